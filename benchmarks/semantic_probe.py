"""How the semantic layer's settings were chosen: fusion methods, weights and thresholds swept
over the same lists (the product itself, layer on and off, is measured by benchmarks/quality.py,
benchmarks/eval_seeds.py and benchmarks/speed.py).

    python benchmarks/semantic_probe.py [--data ../shared/data] [--model FOLDER_OR_HUB_NAME]
                                        [--work /tmp/semantic-probe] [--squad-sample N]
                                        [--only quality,seeds,threshold,speed]

Quality: SciFact (test, 300 queries) and SQuAD v1.1 dev are indexed by the product (a Library,
as benchmarks/quality.py does); its own ranking gives the BM25 list (top 100 passages with
their scores). Every passage the index holds is embedded (title, section and text, as the
product would embed it) into a VectorStore under --work, which doubles as the cache: a second
run embeds nothing. The cosine list is the top 100 passages by cosine. Both lists are fused per
passage (convex combination at several weights, reciprocal rank fusion, and the product's rule
with the no-match threshold at several thresholds), and a document ranks where its first
passage does. The product's BM25 lists and the question vectors are cached under --work too.
Passages are embedded and keyed as the product does (bot.index.embedding_text, vector_key), so
the vectors the product builds in index/vectors are the probe's too.

Seeds: the seed evaluation (benchmarks/seeds_eval.jsonl) by kind of question, Hit@1 and Hit@3
as benchmarks/eval_seeds.py counts them, for the same systems; and how many of the off-topic
questions below get any answer at all from each (BM25 alone answers any that shares a word).

Threshold: the best cosine over a corpus for questions about it, the gold passage's cosine, and
the best cosine for questions about nothing in it (hand-written off-topic questions, and each
benchmark's questions against the other corpus), as percentiles.

Speed: passages/s on 1 and 2 threads, per-question embedding latency, cosine top-100 over
100k x 384 vectors, store commit times and disk, and memory.

Embeddings never go into the repository: --work defaults to a folder under /tmp.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import (
    DEFAULT_DATA,
    REPO,
    Benchmark,
    build_library,
    load_scifact,
    load_squad,
    mean,
    percentile,
    print_table,
    write_seeds,
)
from eval_seeds import OFF_TOPIC
from quality import SAMPLE_SEED, scifact_scores, squad_scores

from bot.index import embedding_text, open_index
from bot.semantic.fusion import DEFAULT_THRESHOLD, DEFAULT_WEIGHT, convex, hybrid, rrf
from bot.semantic.model import Embedder
from bot.semantic.store import VectorStore

DEFAULT_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
DEPTH = 100
WEIGHTS = (0.3, 0.4, 0.5, 0.7)
THRESHOLDS = (0.35, DEFAULT_THRESHOLD, 0.45, 0.5)
COMMIT_EVERY = 1024  # passages embedded between store commits (a killed run resumes)

Ident = tuple[str, str, int]  # (seed file, article title, passage number): what a Result names


@dataclass(frozen=True)
class Passage:
    ident: Ident
    body: str
    text: str  # what is embedded: title, section and body

    @property
    def doc(self) -> str:
        return self.ident[0]

    @property
    def key(self) -> str:  # bot.index.vector_key, as hex: what the product's store holds
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


@dataclass
class Prepared:
    """One benchmark, indexed and embedded, with both systems' lists for every query."""

    bench: Benchmark
    names: dict[str, str]  # seed file -> doc id
    passages: list[Passage]
    matrix: np.ndarray  # one normalised row per passage
    lexical: dict[str, list[tuple[Ident, float]]]  # qid -> (passage, BM25 score), best first
    queries: np.ndarray  # one normalised row per query, in bench.queries order
    lexical_ms: float
    off_topic: np.ndarray  # the OFF_TOPIC questions' vectors
    off_topic_lexical: list[list[tuple[Ident, float]]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def embed_text(fields: dict) -> str:
    return embedding_text(fields["title"], fields.get("section"), fields["body"])


def prepare(bench: Benchmark, embedder: Embedder, work: Path) -> Prepared:
    root = work / bench.name
    seeds, index = root / "seeds", root / "index"
    names = write_seeds(bench.docs, seeds)
    lib, summary = build_library(seeds, index, max_results=DEPTH)
    log(f"{bench.name}: {summary.describe()}")
    try:
        passages = indexed_passages(index)
        matrix = embed_passages(passages, embedder, index / "vectors")
        lexical, lexical_ms = cached_lexical(lib, bench.queries, root)
        off_lexical = [lexical_list(lib, q) for q in OFF_TOPIC]
    finally:
        lib.close()
    queries = cached_queries(embedder, bench.queries, root)
    off = embedder.embed(OFF_TOPIC)
    return Prepared(bench, names, passages, matrix, lexical, queries, lexical_ms, off, off_lexical)


def lexical_list(lib, question: str) -> list[tuple[Ident, float]]:
    """The product's own ranking: its top 100 passages with their scores."""
    return [((r.doc, r.title, r.passage), r.score) for r in lib.ask(question, limit=DEPTH).results]


def indexed_passages(index: Path) -> list[Passage]:
    """Every passage the product indexed, in a stable order."""
    with open_index(index).searcher() as searcher:
        stored = [f for f in searcher.all_stored_fields() if "passage" in f]
    stored.sort(key=lambda f: (f["doc"], int(f["part"]), int(f["passage"])))
    passages = {}
    for f in stored:
        ident = (f["doc"], f["title"], int(f["passage"]))
        passages.setdefault(ident, Passage(ident, f["body"], embed_text(f)))
    return list(passages.values())


def fingerprint(*parts: object) -> str:
    """Changes when the product's search code or the questions change (cache keys)."""
    digest = hashlib.sha1()
    for path in sorted((REPO / "bot").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(json.dumps(parts, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def cached_lexical(
    lib, queries: dict[str, str], root: Path
) -> tuple[dict[str, list[tuple[Ident, float]]], float]:
    """The product's top-100 passages for every question (cached under --work: SQuAD's
    10,570 questions take minutes)."""
    cache = root / f"lexical-{fingerprint(queries)}.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        lists = {q: [(tuple(i), s) for i, s in hits] for q, hits in saved["lists"].items()}
        return lists, saved["ms"]
    lists = {}
    started = time.perf_counter()
    for qid, question in queries.items():
        lists[qid] = lexical_list(lib, question)
    ms = (time.perf_counter() - started) * 1000 / max(1, len(queries))
    cache.write_text(json.dumps({"lists": lists, "ms": ms}))
    return lists, ms


def cached_queries(embedder: Embedder, queries: dict[str, str], root: Path) -> np.ndarray:
    digest = hashlib.sha1(json.dumps(list(queries.values())).encode()).hexdigest()[:16]
    cache = root / f"queries-{embedder.model_id}-{digest}.npy"
    if cache.is_file():
        return np.load(cache)
    log(f"embedding {len(queries)} questions")
    vectors = embedder.embed(list(queries.values()))
    np.save(cache, vectors)
    return vectors


def embed_passages(passages: Sequence[Passage], embedder: Embedder, folder: Path) -> np.ndarray:
    """Vectors for the passages, embedding only those the store lacks (the store is the
    probe's cache, and a run killed midway keeps what it committed)."""
    store = VectorStore.open(folder, embedder.model_id, embedder.dim)
    keys = [p.key for p in passages]
    todo = store.missing(keys)
    text = {p.key: p.text for p in passages}
    started = time.perf_counter()
    for start in range(0, len(todo), COMMIT_EVERY):
        batch = todo[start : start + COMMIT_EVERY]
        store.add(batch, embedder.embed([text[k] for k in batch]))
        store.commit(keys)
        done = start + len(batch)
        rate = done / (time.perf_counter() - started)
        log(f"  embedded {done}/{len(todo)} passages ({rate:.1f}/s)")
    store.commit(keys)
    vectors = store.load()
    rows = vectors.row_of()
    return np.asarray(vectors.matrix[[rows[k] for k in keys]])


def cosine_lists(
    queries: np.ndarray, matrix: np.ndarray, passages: Sequence[Passage]
) -> list[list[tuple[Ident, float]]]:
    """The top 100 passages by cosine for every question."""
    out = []
    for row in queries @ matrix.T:  # [questions, passages]
        k = min(DEPTH, len(row))
        top = np.argpartition(-row, k - 1)[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        out.append([(passages[i].ident, float(row[i])) for i in top])
    return out


Ranker = Callable[[list, list], list]


def systems() -> dict[str, Ranker]:
    out: dict[str, Ranker] = {
        "BM25 (product)": lambda lex, sem: lex,
        "cosine": lambda lex, sem: sem,
    }
    for w in WEIGHTS:
        out[f"convex w={w}"] = lambda lex, sem, w=w: convex(lex, sem, w)
    out["RRF k=60"] = lambda lex, sem: rrf(lex, sem)
    w = DEFAULT_WEIGHT
    for t in THRESHOLDS:
        out[f"hybrid w={w} t={t}"] = lambda lex, sem, t=t: hybrid(lex, sem, w, t)
    return out


def evaluate(prep: Prepared, scorer) -> dict[str, dict[str, float]]:
    """The benchmark's metrics for every system, and the share of the off-topic questions
    that get any answer at all."""
    cos = cosine_lists(prep.queries, prep.matrix, prep.passages)
    off_cos = cosine_lists(prep.off_topic, prep.matrix, prep.passages)
    out = {}
    for name, rank in systems().items():
        totals: dict[str, list[float]] = {}
        for (qid, _), sem in zip(prep.bench.queries.items(), cos, strict=True):
            fused = rank(prep.lexical[qid], sem)
            docs = list(dict.fromkeys(prep.names[ident[0]] for ident, _ in fused))[:DEPTH]
            for metric, value in scorer(docs, prep.bench.qrels.get(qid, {})).items():
                totals.setdefault(metric, []).append(value)
        out[name] = {m: mean(v) for m, v in totals.items()}
        pairs = zip(prep.off_topic_lexical, off_cos, strict=True)
        out[name]["off-topic answered"] = mean(bool(rank(lex, sem)) for lex, sem in pairs)
    return out


# --- threshold ---------------------------------------------------------------------------------


def best_cosines(queries: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return (queries @ matrix.T).max(axis=1) if len(queries) else np.zeros(0)


def gold_cosines(prep: Prepared) -> np.ndarray:
    """For each query, the best cosine of a passage of a relevant document."""
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(prep.passages):
        by_doc.setdefault(prep.names[p.doc], []).append(i)
    out = []
    for q, qid in enumerate(prep.bench.queries):
        rows = [i for d in prep.bench.qrels.get(qid, {}) for i in by_doc.get(d, [])]
        if rows:
            out.append(float((prep.matrix[rows] @ prep.queries[q]).max()))
    return np.array(out)


def threshold_report(
    preps: dict[str, Prepared], seeds: SeedsEval | None, embedder: Embedder
) -> None:
    off = embedder.embed(OFF_TOPIC)
    rows = []

    def row(name: str, values: np.ndarray) -> None:
        qs = [float(percentile(list(values), q)) for q in (5, 25, 50, 75, 95)]
        rows.append([name, len(values), *qs, *(float((values >= t).mean()) for t in THRESHOLDS)])

    for name, prep in preps.items():
        row(f"{name} questions, best cosine", best_cosines(prep.queries, prep.matrix))
        row(f"{name} questions, gold passage", gold_cosines(prep))
        row(f"off-topic questions vs {name}", best_cosines(off, prep.matrix))
    if len(preps) == 2:
        (a, pa), (b, pb) = preps.items()
        row(f"{a} questions vs {b} corpus", best_cosines(pa.queries, pb.matrix))
        row(f"{b} questions vs {a} corpus", best_cosines(pb.queries, pa.matrix))
    if seeds is not None:
        row("seed questions, best cosine", best_cosines(seeds.queries, seeds.matrix))
        row("off-topic questions vs seeds", best_cosines(off, seeds.matrix))
    headers = ["cosines", "n", "p5", "p25", "p50", "p75", "p95", *(f">={t}" for t in THRESHOLDS)]
    print_table(headers, rows)


# --- the seed evaluation -----------------------------------------------------------------------


@dataclass
class SeedsEval:
    """The shipped seeds with benchmarks/seeds_eval.jsonl, and the off-topic questions."""

    questions: list  # eval_seeds.Question
    passages: list[Passage]
    matrix: np.ndarray
    queries: np.ndarray
    lexical: list[list[tuple[Ident, float]]]
    off_topic: np.ndarray
    off_topic_lexical: list[list[tuple[Ident, float]]]


def prepare_seeds(embedder: Embedder, work: Path) -> SeedsEval | None:
    from eval_seeds import DEFAULT_QUESTIONS, DEFAULT_SEEDS, load_questions

    if not DEFAULT_SEEDS.is_dir():
        return None
    root = work / "seeds-eval"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DEFAULT_SEEDS, root / "seeds")
    lib, _ = build_library(root / "seeds", root / "index", max_results=DEPTH)
    try:
        questions = load_questions(DEFAULT_QUESTIONS)

        def lexical(texts: list[str]) -> list[list[tuple[Ident, float]]]:
            return [lexical_list(lib, t) for t in texts]

        passages = indexed_passages(root / "index")
        matrix = embed_passages(passages, embedder, root / "index" / "vectors")
        return SeedsEval(
            questions,
            passages,
            matrix,
            embedder.embed([q.question for q in questions]),
            lexical([q.question for q in questions]),
            embedder.embed(OFF_TOPIC),
            lexical(OFF_TOPIC),
        )
    finally:
        lib.close()


def seeds_report(seeds: SeedsEval) -> None:
    """Hit@1 / Hit@3 by kind of question (a hit: the gold answer is in the passage), and how
    many off-topic questions get any answer at all."""
    body = {p.ident: " ".join(p.body.split()) for p in seeds.passages}
    cos = cosine_lists(seeds.queries, seeds.matrix, seeds.passages)
    off_cos = cosine_lists(seeds.off_topic, seeds.matrix, seeds.passages)
    kinds = sorted({q.kind for q in seeds.questions})
    rows = []
    for name, rank in systems().items():
        hits: dict[str, list[tuple[float, float]]] = {}
        for q, lex, sem in zip(seeds.questions, seeds.lexical, cos, strict=True):
            gold = " ".join(q.answer.split())
            ranked = [ident for ident, _ in rank(lex, sem)][:3]
            first = next((i for i, ident in enumerate(ranked) if gold in body[ident]), None)
            for kind in (q.kind, "all"):
                hits.setdefault(kind, []).append((first == 0, first is not None))
        answered = mean(
            bool(rank(lex, sem)) for lex, sem in zip(seeds.off_topic_lexical, off_cos, strict=True)
        )
        cells = [
            f"{mean(a for a, _ in hits[k]):.2f}/{mean(b for _, b in hits[k]):.2f}"
            for k in [*kinds, "all"]
        ]
        rows.append([name, *cells, answered])
    counts = {k: sum(q.kind == k for q in seeds.questions) for k in kinds}
    headers = [
        "system (Hit@1/Hit@3)",
        *(f"{k} ({counts[k]})" for k in kinds),
        f"all ({len(seeds.questions)})",
        f"off-topic answered ({len(OFF_TOPIC)})",
    ]
    print_table(headers, rows)


# --- speed -------------------------------------------------------------------------------------


def speed_report(model: str, preps: dict[str, Prepared]) -> None:
    rows: list[list[object]] = []
    sample = {
        name: [p.text for p in random.Random(1).sample(prep.passages, 128)]
        for name, prep in preps.items()
    }
    questions = [q for prep in preps.values() for q in list(prep.bench.queries.values())[:150]]
    questions = questions or OFF_TOPIC
    for threads in (1, 2):
        embedder = Embedder.load(model, threads=threads)
        embedder.embed(["warm up"])
        for name, texts in sample.items():
            started = time.perf_counter()
            embedder.embed(texts)
            rate = len(texts) / (time.perf_counter() - started)
            rows.append([f"passages/s, {name} sample, {threads} thread(s)", f"{rate:.1f}"])
        times = []
        cpu = time.process_time()
        for q in questions:
            started = time.perf_counter()
            embedder.embed([q])
            times.append(ms_since(started))
        cpu_ms = (time.process_time() - cpu) * 1000 / len(questions)
        label = f"question embedding, {threads} thread(s)"
        rows.append(
            [
                f"{label}: median / p95 ms",
                f"{percentile(times, 50):.2f} / {percentile(times, 95):.2f}",
            ]
        )
        rows.append([f"{label}: CPU ms per question", f"{cpu_ms:.2f}"])
    lex = [(i, float(100 - i)) for i in range(DEPTH)]
    sem = [(i + 50, 0.9 - i / 200) for i in range(DEPTH)]
    started = time.perf_counter()
    for _ in range(100):
        hybrid(lex, sem)
    rows.append([f"hybrid fusion of two {DEPTH}-lists, ms", ms_since(started) / 100])
    rows.append(
        ["peak RSS, a process that loads the model and embeds, MB", child_rss(MODEL_CHILD, model)]
    )
    rows += store_speed()
    print_table(["measure", "value"], rows)


# Peak RSS from /proc (VmHWM): ru_maxrss would report the parent's peak across fork + exec.
PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

MODEL_CHILD = (
    PEAK
    + """
import sys
from bot.semantic.model import Embedder
before = peak()
e = Embedder.load(sys.argv[1])
e.embed(["a question"] * 4 + ["a passage " * 120] * 64)
print(peak(), before)
"""
)

STORE_CHILD = (
    PEAK
    + """
import sys
import numpy as np
from pathlib import Path
from bot.semantic.store import VectorStore
before = peak()
current = VectorStore.open(Path(sys.argv[1]), "probe", 384).load()
for q in np.random.default_rng(1).standard_normal((20, 384), dtype=np.float32):
    current.nearest(q, 100)
print(peak(), before)
"""
)


def child_rss(code: str, arg: str) -> str:
    """Peak RSS of a fresh interpreter running `code`, and what it had before the work."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code, arg], capture_output=True, text=True, env=env, check=True
    )
    peak, before = (float(v) for v in out.stdout.split())
    return f"{peak:.0f} (before: {before:.0f})"


def store_speed(n: int = 100_000, dim: int = 384) -> list[list[object]]:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = [f"{i:040x}" for i in range(n)]
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="probe-store-", dir="/tmp") as tmp:
        store = VectorStore.open(Path(tmp) / "vectors", "probe", dim)
        started = time.perf_counter()
        store.add(keys, vectors)
        store.commit(keys)
        rows.append([f"store: first commit of {n} x {dim}, s", time.perf_counter() - started])
        disk = sum(p.stat().st_size for p in (Path(tmp) / "vectors").iterdir())
        rows.append(["store: disk, MB", disk / 1e6])
        started = time.perf_counter()
        store.commit(keys)
        rows.append(["store: commit with nothing changed, ms", ms_since(started)])
        more = [f"new{i}" for i in range(1000)]
        started = time.perf_counter()
        store.add(more, vectors[:1000])
        store.commit(keys[1000:] + more)
        rows.append(["store: commit +1000 / -1000 keys (append), ms", ms_since(started)])
        reader = VectorStore.open(Path(tmp) / "vectors", "probe", dim)
        started = time.perf_counter()
        loaded = reader.load()
        rows.append(["store: load (keys + memory map), ms", ms_since(started)])
        started = time.perf_counter()
        reader.load()
        rows.append(["store: load again, unchanged, ms", ms_since(started)])
        times = []
        for q in vectors[rng.integers(0, n, 200)]:
            started = time.perf_counter()
            loaded.nearest(q, DEPTH)
            times.append(ms_since(started))
        rows.append([f"cosine top-{DEPTH} over {n} x {dim}, median ms", percentile(times, 50)])
        rows.append([f"cosine top-{DEPTH} over {n} x {dim}, p95 ms", percentile(times, 95)])
        rows.append(
            [
                "peak RSS, a process that loads the store and searches, MB",
                child_rss(STORE_CHILD, str(Path(tmp) / "vectors")),
            ]
        )
    return rows


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "semantic-probe")
    parser.add_argument("--squad-sample", type=int, default=None)
    parser.add_argument("--only", default="quality,seeds,threshold,speed")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))

    embedder = Embedder.load(args.model)
    log(f"model {args.model}: dim {embedder.dim}, id {embedder.model_id}")
    preps: dict[str, Prepared] = {}
    if parts & {"quality", "threshold"}:
        squad = load_squad(args.data)
        if args.squad_sample and args.squad_sample < len(squad.queries):
            keep = random.Random(SAMPLE_SEED).sample(sorted(squad.queries), args.squad_sample)
            squad.queries = {q: squad.queries[q] for q in sorted(keep)}
        for bench in (load_scifact(args.data), squad):
            preps[bench.name] = prepare(bench, embedder, args.work)
    if "quality" in parts:
        for name, prep in preps.items():
            scorer = scifact_scores if name == "scifact" else squad_scores
            results = evaluate(prep, scorer)
            metrics = list(next(iter(results.values())))
            print(
                f"\n{name}: {len(prep.bench.queries)} queries, {len(prep.passages)} passages, "
                f"product BM25 {prep.lexical_ms:.1f} ms/question"
            )
            print_table(["system", *metrics], [[s, *r.values()] for s, r in results.items()])
    seeds = prepare_seeds(embedder, args.work) if parts & {"seeds", "threshold"} else None
    if "seeds" in parts and seeds is not None:
        print("\nseed evaluation (benchmarks/seeds_eval.jsonl):")
        seeds_report(seeds)
    if "threshold" in parts:
        print()
        threshold_report(preps, seeds, embedder)
    if "speed" in parts:
        print()
        speed_report(args.model, preps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
