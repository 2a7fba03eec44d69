"""What the semantic layer gains and costs, measured before it is wired into the product.

    python benchmarks/semantic_probe.py [--data ../shared/data] [--model FOLDER_OR_HUB_NAME]
                                        [--work /tmp/semantic-probe] [--squad-sample N]
                                        [--only quality,threshold,speed]

Quality: SciFact (test, 300 queries) and SQuAD v1.1 dev are indexed by the product (a Library,
as benchmarks/quality.py does); its own ranking gives the BM25 list (top 100 passages with
their scores). Every passage the index holds is embedded (title, section and text, as the
product would embed it) into a VectorStore under --work, which doubles as the cache: a second
run embeds nothing. The cosine list is the top 100 passages by cosine. Both lists are fused per
passage (convex combination at several weights, reciprocal rank fusion, and the product's rule
with the no-match threshold), and a document ranks where its first passage does.

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
import random
import resource
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
from quality import SAMPLE_SEED, scifact_scores, squad_scores

from bot.index import open_index
from bot.semantic.fusion import DEFAULT_THRESHOLD, convex, hybrid, rrf
from bot.semantic.model import Embedder
from bot.semantic.store import VectorStore

DEFAULT_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
DEPTH = 100
WEIGHTS = (0.3, 0.5, 0.7)
COMMIT_EVERY = 1024  # passages embedded between store commits (a killed run resumes)

# Questions a team member might ask that nothing in SciFact, SQuAD dev or the seeds answers.
OFF_TOPIC = [
    "what is the wifi password for the guest network",
    "how do I reset my VPN password",
    "when is the next team offsite",
    "who approves vacation requests",
    "how do I book a meeting room",
    "where can I find the expense report template",
    "what time does the cafeteria close on Fridays",
    "how many days of parental leave do we get",
    "who is on call this weekend",
    "how do I set up two-factor authentication on my laptop",
    "what is the dress code for the client dinner",
    "can I bring my dog to the office",
    "how long should I boil an egg",
    "what's a good recipe for banana bread",
    "how do I remove a red wine stain from a carpet",
    "which tyres are best for winter driving",
    "how often should I water a cactus",
    "what is the best way to learn to play guitar",
    "who won the last Wimbledon final",
    "how many players are on a volleyball team",
    "what is the offside rule in ice hockey",
    "how do I change a bicycle inner tube",
    "what's the weather forecast for tomorrow",
    "recommend a good science fiction novel",
    "how do I convert a spreadsheet to PDF",
    "what is the keyboard shortcut to undo in Photoshop",
    "how do I cancel my gym membership",
    "where is the nearest train station to the office",
    "what is the capital of Mongolia",
    "how tall is the Eiffel Tower",
    "when does daylight saving time start",
    "how do I knit a scarf",
    "what are the rules of chess castling",
    "what's the plot of the movie Inception",
    "how much does a Tesla Model 3 cost",
    "how do I make sourdough starter",
    "which smartphone has the best camera",
    "how do you tie a bow tie",
    "what's the difference between espresso and ristretto",
    "how do I renew my passport",
]


@dataclass(frozen=True)
class Passage:
    doc: str  # seed file name
    passage: int
    text: str  # what is embedded: title, section and body

    @property
    def key(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


@dataclass
class Prepared:
    """One benchmark, indexed and embedded, with both systems' lists for every query."""

    bench: Benchmark
    names: dict[str, str]  # seed file -> doc id
    passages: list[Passage]
    matrix: np.ndarray  # one normalised row per passage
    lexical: dict[str, list[tuple[tuple[str, int], float]]]  # qid -> ((doc, passage), score)
    queries: np.ndarray  # one normalised row per query, in bench.queries order
    lexical_ms: float


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def embed_text(fields: dict) -> str:
    parts = [fields.get("title") or "", fields.get("section") or "", fields["body"]]
    return "\n".join(p for p in parts if p)


def prepare(bench: Benchmark, embedder: Embedder, work: Path) -> Prepared:
    root = work / bench.name
    seeds, index = root / "seeds", root / "index"
    names = write_seeds(bench.docs, seeds)
    lib, summary = build_library(seeds, index, max_results=DEPTH)
    log(f"{bench.name}: {summary.describe()}")
    try:
        ix = open_index(index)
        with ix.searcher() as searcher:
            stored = [f for f in searcher.all_stored_fields() if "passage" in f]
        seen: set[tuple[str, int]] = set()
        passages = []
        for f in sorted(stored, key=lambda f: (f["doc"], int(f["part"]), int(f["passage"]))):
            ident = (f["doc"], int(f["passage"]))
            if ident not in seen:  # benchmark seeds have one article each
                seen.add(ident)
                passages.append(Passage(f["doc"], int(f["passage"]), embed_text(f)))
        matrix = embed_passages(passages, embedder, index / "vectors")

        lexical = {}
        started = time.perf_counter()
        for qid, question in bench.queries.items():
            answer = lib.ask(question, limit=DEPTH)
            lexical[qid] = [((r.doc, r.passage), r.score) for r in answer.results]
        lexical_ms = (time.perf_counter() - started) * 1000 / max(1, len(bench.queries))
    finally:
        lib.close()
    log(f"{bench.name}: embedding {len(bench.queries)} queries")
    queries = embedder.embed(list(bench.queries.values()))
    return Prepared(bench, names, passages, matrix, lexical, queries, lexical_ms)


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


def cosine_lists(prep: Prepared) -> list[list[tuple[tuple[str, int], float]]]:
    scores = prep.queries @ prep.matrix.T  # [queries, passages]
    out = []
    for row in scores:
        k = min(DEPTH, len(row))
        top = np.argpartition(-row, k - 1)[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        out.append([((prep.passages[i].doc, prep.passages[i].passage), float(row[i])) for i in top])
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
    out[f"hybrid w=0.5 t={DEFAULT_THRESHOLD}"] = lambda lex, sem: hybrid(lex, sem, 0.5)
    return out


def evaluate(prep: Prepared, scorer) -> dict[str, dict[str, float]]:
    cos = cosine_lists(prep)
    out = {}
    for name, rank in systems().items():
        totals: dict[str, list[float]] = {}
        for (qid, _), sem in zip(prep.bench.queries.items(), cos, strict=True):
            fused = rank(prep.lexical[qid], sem)
            docs = list(dict.fromkeys(prep.names[doc] for (doc, _), _ in fused))[:DEPTH]
            for metric, value in scorer(docs, prep.bench.qrels.get(qid, {})).items():
                totals.setdefault(metric, []).append(value)
        out[name] = {m: mean(v) for m, v in totals.items()}
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


def threshold_report(preps: dict[str, Prepared], embedder: Embedder) -> None:
    off = embedder.embed(OFF_TOPIC)
    rows = []

    def row(name: str, values: np.ndarray) -> None:
        qs = [percentile(list(values), q) for q in (5, 25, 50, 75, 95)]
        rows.append([name, len(values), *qs, float((values >= DEFAULT_THRESHOLD).mean())])

    for name, prep in preps.items():
        row(f"{name} questions, best cosine", best_cosines(prep.queries, prep.matrix))
        row(f"{name} questions, gold passage", gold_cosines(prep))
        row(f"off-topic questions vs {name}", best_cosines(off, prep.matrix))
    if len(preps) == 2:
        (a, pa), (b, pb) = preps.items()
        row(f"{a} questions vs {b} corpus", best_cosines(pa.queries, pb.matrix))
        row(f"{b} questions vs {a} corpus", best_cosines(pb.queries, pa.matrix))
    seeds = seeds_matrix(embedder)
    if seeds is not None:
        row("off-topic questions vs shipped seeds", best_cosines(off, seeds))
    headers = ["cosines", "n", "p5", "p25", "p50", "p75", "p95", f">= {DEFAULT_THRESHOLD}"]
    print_table(headers, rows)


def seeds_matrix(embedder: Embedder) -> np.ndarray | None:
    """The shipped seeds' passages, embedded (small: a few hundred passages)."""
    seeds = REPO / "seeds"
    if not seeds.is_dir():
        return None
    with tempfile.TemporaryDirectory(prefix="probe-seeds-") as tmp:
        lib, _ = build_library(seeds, Path(tmp) / "index")
        lib.close()
        with open_index(Path(tmp) / "index").searcher() as searcher:
            texts = [embed_text(f) for f in searcher.all_stored_fields() if "passage" in f]
    return embedder.embed(texts)


# --- speed -------------------------------------------------------------------------------------


def speed_report(model: str, preps: dict[str, Prepared]) -> None:
    rows = []
    sample = {
        name: [p.text for p in random.Random(1).sample(prep.passages, 128)]
        for name, prep in preps.items()
    }
    for threads in (1, 2):
        embedder = Embedder.load(model, threads=threads)
        embedder.embed(["warm up"])
        for name, texts in sample.items():
            started = time.perf_counter()
            embedder.embed(texts)
            rate = len(texts) / (time.perf_counter() - started)
            rows.append([f"passages/s, {name} sample, {threads} thread(s)", f"{rate:.1f}"])
        questions = [q for prep in preps.values() for q in list(prep.bench.queries.values())[:150]]
        times = []
        for q in questions:
            started = time.perf_counter()
            embedder.embed([q])
            times.append((time.perf_counter() - started) * 1000)
        rows.append([f"question embedding ms, {threads} thread(s), median", percentile(times, 50)])
        rows.append([f"question embedding ms, {threads} thread(s), p95", percentile(times, 95)])
    rows.append(["peak RSS after loading and embedding, MB", peak_rss_mb()])
    rows += store_speed()
    print_table(["measure", "value"], rows)


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
        rows.append(["peak RSS after the 100k store, MB", peak_rss_mb()])
    return rows


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "semantic-probe")
    parser.add_argument("--squad-sample", type=int, default=None)
    parser.add_argument("--only", default="quality,threshold,speed")
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
    if "threshold" in parts:
        print()
        threshold_report(preps, embedder)
    if "speed" in parts:
        print()
        speed_report(args.model, preps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
