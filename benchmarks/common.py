"""Shared pieces of the benchmark scripts: data loaders, ranking metrics, and the two ways of
searching the same documents (the product's own Library, and the bm25s reference).

Kept in one module so that quality.py and speed.py read the public data the same way and a
metric is defined once. Nothing here is imported by the product.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
SHARED_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"

if str(REPO) not in sys.path:  # so `python benchmarks/x.py` finds the bot package
    sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class Doc:
    """One benchmark document: what becomes one seed file (title line, blank line, text)."""

    id: str
    title: str
    text: str


@dataclass
class Benchmark:
    """Documents, queries (in file order) and graded judgements: qrels[qid][docid] = gain."""

    name: str
    docs: list[Doc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def squash(text: str) -> str:
    """One line of single-spaced text: the benchmark files wrap lines, a paragraph does not."""
    return " ".join(text.split())


# --- loaders -----------------------------------------------------------------------------------


def load_scifact(data: Path, split: str = "test") -> Benchmark:
    """BEIR SciFact: only queries with judgements in `split` (300 for test)."""
    root = data / "scifact"
    docs = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                docs.append(Doc(str(row["_id"]), squash(row["title"]), squash(row["text"])))
    qrels: dict[str, dict[str, int]] = {}
    # The qrels end lines in CRLF; the csv module copes with that.
    with (root / "qrels" / f"{split}.tsv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader)  # header
        for row in reader:
            if len(row) >= 3 and int(row[2]) > 0:
                qrels.setdefault(row[0].strip(), {})[row[1].strip()] = int(row[2])
    queries: dict[str, str] = {}
    with (root / "queries.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                if str(row["_id"]) in qrels:
                    queries[str(row["_id"])] = row["text"]
    return Benchmark("scifact", docs, queries, qrels)


def load_squad(data: Path) -> Benchmark:
    """SQuAD v1.1 dev: every paragraph is a document (id = its index over the file); a
    question's only relevant document is its own paragraph."""
    raw = json.loads((data / "squad-v1.1" / "dev-v1.1.json").read_text(encoding="utf-8"))
    docs: list[Doc] = []
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for article in raw["data"]:
        title = article["title"].replace("_", " ")  # "Super_Bowl_50" is a page name
        for para in article["paragraphs"]:
            pid = str(len(docs))
            docs.append(Doc(pid, title, squash(para["context"])))
            for qa in para["qas"]:
                queries[qa["id"]] = qa["question"]
                qrels[qa["id"]] = {pid: 1}
    return Benchmark("squad", docs, queries, qrels)


def cranfield_gain(rel: int) -> int:
    """Cranfield codes 1 (complete answer) .. 4 (minimum interest) become gains 4..1; -1 (no
    interest) is 0. Using the raw codes as gains would rank the weakest references highest."""
    return 5 - rel if 1 <= rel <= 4 else 0


def _smart_records(text: str) -> list[dict[str, str]]:
    """SMART-format records: `.I n` starts one, `.X` lines start field X."""
    records: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    key = None
    for line in text.replace("\r\n", "\n").split("\n"):
        match = re.match(r"^\.([A-Z])(?:\s+(.*))?$", line)
        if match:
            key = match.group(1)
            if key == "I":
                current = {"I": (match.group(2) or "").strip()}
                records.append(current)
            elif current is not None:
                current[key] = current.get(key, "")
            continue
        if current is not None and key is not None and key != "I":
            current[key] = current.get(key, "") + " " + line
    return records


def load_cranfield(data: Path) -> Benchmark:
    """Cranfield 1400. Query k (1-based, in file order) is query k of cranqrel, whatever its
    `.I` number says. Documents 471 and 995 are empty and left out (nothing can find them)."""
    root = data / "cranfield"
    docs = []
    for rec in _smart_records((root / "cran.all.1400").read_text(encoding="utf-8")):
        title, text = squash(rec.get("T", "")), squash(rec.get("W", ""))
        if title or text:
            docs.append(Doc(rec["I"], title, text))
    queries: dict[str, str] = {}
    for k, rec in enumerate(_smart_records((root / "cran.qry").read_text(encoding="utf-8")), 1):
        queries[str(k)] = squash(rec.get("W", ""))
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "cranqrel").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            gain = cranfield_gain(int(parts[2]))
            if gain > 0:
                qrels.setdefault(parts[0], {})[parts[1]] = gain
    return Benchmark("cranfield", docs, queries, qrels)


# --- metrics -----------------------------------------------------------------------------------


def ndcg(ranked: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains and log2 discount, as trec_eval's ndcg_cut (and BEIR)."""
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], gains: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in gains.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def average_precision(ranked: Sequence[str], gains: dict[str, int]) -> float:
    """AP over the whole ranked list given (its depth is the cut-off), binary relevance."""
    relevant = {d for d, g in gains.items() if g > 0}
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for i, d in enumerate(ranked):
        if d in relevant:
            found += 1
            total += found / (i + 1)
    return total / len(relevant)


def first_rank(ranked: Sequence[str], gains: dict[str, int]) -> int | None:
    """1-based rank of the first relevant document, or None."""
    for i, d in enumerate(ranked):
        if gains.get(d, 0) > 0:
            return i + 1
    return None


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p99 of 200 values is the 198th smallest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


# --- systems -----------------------------------------------------------------------------------


def doc_text(doc: Doc) -> str:
    """What a plain reference engine indexes for a document: title and text as one field."""
    return f"{doc.title} {doc.text}".strip()


def seed_name(doc_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", doc_id) + ".txt"


def write_seeds(docs: Sequence[Doc], seeds_dir: Path) -> dict[str, str]:
    """One seed file per document: title line, blank line, text. Returns file name -> doc id.
    A document without a title gets `Document <id>`, because the product reads the first line
    of a file as its title."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for doc in docs:
        name = seed_name(doc.id)
        title = doc.title or f"Document {doc.id}"
        text = doc.text or doc.title
        (seeds_dir / name).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        names[name] = doc.id
    return names


def default_model() -> str | None:
    """The model the product's semantic layer is measured with: ../shared/models'
    all-MiniLM-L6-v2, when it is there and the `semantic` extra is installed."""
    from bot.semantic import available

    return str(SHARED_MODEL) if available() and (SHARED_MODEL / "onnx").is_dir() else None


def semantic_option(value: str) -> str | None:
    """--semantic MODEL: a model folder or hub name; 'none' (or '') turns the layer off."""
    return None if value.strip().lower() in ("", "none", "off") else value


def open_library(
    seeds_dir: Path, index_dir: Path, max_results: int = 100, model: str | None = None
) -> Any:
    """A product Library over the given folders, configured as a user's config.yaml would;
    with `model`, its semantic layer on (semantic.model: model, other settings default)."""
    from bot.config import settings_from_mapping
    from bot.library import Library

    raw: dict[str, Any] = {
        "seeds_dir": str(seeds_dir),
        "index_dir": str(index_dir),
        "answers": {"max_results": max_results},
    }
    if model is not None:
        raw["semantic"] = {"model": model}
    return Library(settings_from_mapping(raw, seeds_dir.parent, {}))


def build_library(
    seeds_dir: Path, index_dir: Path, max_results: int = 100, model: str | None = None
) -> tuple[Any, Any]:
    """Index the seeds through the product; returns (library, ReindexSummary)."""
    lib = open_library(seeds_dir, index_dir, max_results, model)
    summary = lib.reindex()
    return lib, summary


def folder_mb(path: Path) -> float:
    """Bytes of the files under a folder, in MB (what it takes on disk, near enough)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def product_ranking(lib: Any, names: dict[str, str], question: str, limit: int) -> list[str]:
    """Doc ids best first: a document ranks where its first passage does."""
    answer = lib.ask(question, limit=limit)
    return list(dict.fromkeys(names[r.doc] for r in answer.results if r.doc in names))


class Bm25sReference:
    """bm25s with the Snowball English stemmer (PyStemmer) and English stop words: the plain
    BM25 a user would otherwise reach for. Default parameters (Lucene variant, k1 1.5, b 0.75)."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        started = time.perf_counter()
        tokens = bm25s.tokenize(
            list(texts), stopwords="en", stemmer=self.stemmer, show_progress=False
        )
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)
        self.seconds = time.perf_counter() - started
        self.size = len(texts)

    def search(self, questions: Sequence[str], k: int) -> list[list[int]]:
        """Indices of the top k texts for each question (zero-score padding dropped)."""
        tokens = self._bm25s.tokenize(
            list(questions),
            stopwords="en",
            stemmer=self.stemmer,
            return_ids=False,
            show_progress=False,
        )
        k = min(k, self.size)
        out: list[list[int]] = [[] for _ in questions]
        # A question made only of stop words has no tokens; bm25s needs at least one.
        keep = [i for i, words in enumerate(tokens) if words]
        if not keep:
            return out
        docs, scores = self.retriever.retrieve(
            [tokens[i] for i in keep], k=k, show_progress=False, n_threads=1
        )
        for row, i in enumerate(keep):
            out[i] = [int(d) for d, s in zip(docs[row], scores[row], strict=True) if s > 0]
        return out
        sub = type(tokens)(ids=[tokens.ids[i] for i in keep], vocab=tokens.vocab)
        docs, scores = self.retriever.retrieve(sub, k=k, show_progress=False, n_threads=1)
        for row, i in enumerate(keep):
            out[i] = [int(d) for d, s in zip(docs[row], scores[row], strict=True) if s > 0]
        return out


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table (first column left, the rest right)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.ljust(widths[0]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(values)]
        return "  ".join(parts).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.3f}"
    return str(value)
