"""Retrieval quality on public benchmarks, through the product's own ingestion, index and search,
beside bm25s measured in the same run.

    python benchmarks/quality.py [--data ../shared/data] [--only scifact,squad,cranfield]
                                 [--squad-sample N] [--json FILE]
                                 [--semantic MODEL|none] [--work DIR]

Every benchmark document becomes one seed file (title line, blank line, text) in a temporary
seeds folder; the product indexes it with `Library.reindex()` and answers each query with
`Library.ask(query, limit=100)`, exactly as a user's question would be answered. A document ranks
where its first passage ranks. The reference is bm25s (Snowball English stemmer from PyStemmer,
English stop words, default Lucene BM25) over the same documents, title and text as one field.

The product is measured twice in the same run, on the same index: as shipped (no semantic layer)
and with its semantic layer on (`semantic.model: MODEL`, default weight and threshold). MODEL
defaults to ../shared/models/all-MiniLM-L6-v2 when it is there and the `semantic` extra is
installed; `--semantic none` measures the product alone. Embedding is the slow part (minutes for
SciFact): with `--work DIR` the seeds and vectors are kept there and a second run embeds only
what it lacks (the Whoosh index is rebuilt every run, so its time is always measured).

Metrics: SciFact (BEIR test, 300 queries) nDCG@10 and Recall@100; SQuAD v1.1 dev (each
question's own paragraph among all 2,067) Hit@1/3/5 and MRR@10; Cranfield (225 queries) nDCG@10
with gains 4..1 for relevance codes 1..4 (-1 is 0) and MAP over the top 100 (codes 1..4 count as
relevant). Ratio = product / bm25s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    DEFAULT_DATA,
    Benchmark,
    Bm25sReference,
    average_precision,
    build_library,
    default_model,
    doc_text,
    first_rank,
    load_cranfield,
    load_scifact,
    load_squad,
    mean,
    ndcg,
    open_library,
    print_table,
    product_ranking,
    recall,
    semantic_option,
    write_seeds,
)

BENCHMARKS = ("scifact", "squad", "cranfield")
SAMPLE_SEED = 20240601
PRODUCT, SEMANTIC, BM25S = "product", "+semantic", "bm25s"


@dataclass
class Outcome:
    """Every system's scores on one benchmark, and what it cost to get them."""

    name: str
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> system -> v
    queries: int = 0
    documents: int = 0
    passages: int = 0
    skipped: int = 0
    product_index_s: float = 0.0
    product_query_ms: float = 0.0
    embedded: int = 0  # passages the semantic layer embedded in this run
    embed_s: float = 0.0
    semantic_query_ms: float = float("nan")
    bm25s_index_s: float = 0.0
    bm25s_query_ms: float = 0.0


Scorer = Callable[[list[str], dict[str, int]], dict[str, float]]


def scifact_scores(ranked: list[str], gains: dict[str, int]) -> dict[str, float]:
    return {"nDCG@10": ndcg(ranked, gains, 10), "Recall@100": recall(ranked, gains, 100)}


def squad_scores(ranked: list[str], gains: dict[str, int]) -> dict[str, float]:
    rank = first_rank(ranked[:10], gains)
    scores = {f"Hit@{k}": float(rank is not None and rank <= k) for k in (1, 3, 5)}
    scores["MRR@10"] = 1.0 / rank if rank else 0.0
    return scores


def cranfield_scores(ranked: list[str], gains: dict[str, int]) -> dict[str, float]:
    return {"nDCG@10": ndcg(ranked, gains, 10), "MAP@100": average_precision(ranked[:100], gains)}


def evaluate(
    bench: Benchmark, scorer: Scorer, depth: int, workdir: Path, model: str | None = None
) -> Outcome:
    """Index the benchmark with every system, run every query through each, average scores."""
    out = Outcome(bench.name, queries=len(bench.queries), documents=len(bench.docs))
    seeds, index = workdir / bench.name / "seeds", workdir / bench.name / "index"
    _fresh_index(index)
    names = write_seeds(bench.docs, seeds)

    started = time.perf_counter()
    lib, summary = build_library(seeds, index, max_results=max(depth, 1))
    out.product_index_s = time.perf_counter() - started
    out.passages, out.skipped = summary.passages, len(summary.skipped)
    libs = {PRODUCT: lib}
    if model is not None:
        # The same index, its vectors added: what `python -m bot index` does once the layer is on.
        semantic = open_library(seeds, index, max_results=max(depth, 1), model=model)
        counted: list[int] = []
        started = time.perf_counter()
        semantic.reindex(embedding=lambda done, total: counted.append(total) if not done else None)
        out.embed_s = time.perf_counter() - started
        out.embedded = sum(counted)
        libs[SEMANTIC] = semantic
    scores: dict[str, dict[str, list[float]]] = {}
    try:
        for system, library in libs.items():
            started = time.perf_counter()
            for qid, question in bench.queries.items():
                ranked = product_ranking(library, names, question, depth)
                for metric, value in scorer(ranked, bench.qrels.get(qid, {})).items():
                    scores.setdefault(metric, {}).setdefault(system, []).append(value)
            ms = (time.perf_counter() - started) * 1000 / max(1, len(bench.queries))
            if system == PRODUCT:
                out.product_query_ms = ms
            else:
                out.semantic_query_ms = ms
    finally:
        for library in libs.values():
            library.close()

    ref = Bm25sReference([doc_text(d) for d in bench.docs])
    out.bm25s_index_s = ref.seconds
    started = time.perf_counter()
    results = ref.search(list(bench.queries.values()), k=depth)
    out.bm25s_query_ms = (time.perf_counter() - started) * 1000 / max(1, len(bench.queries))
    for qid, hits in zip(bench.queries, results, strict=True):
        ranked = [bench.docs[i].id for i in hits]
        for metric, value in scorer(ranked, bench.qrels.get(qid, {})).items():
            scores.setdefault(metric, {}).setdefault(BM25S, []).append(value)

    out.metrics = {m: {sys: mean(v) for sys, v in by.items()} for m, by in scores.items()}
    return out


def _fresh_index(index: Path) -> None:
    """Remove a kept Whoosh index (so its build is measured) but not its vectors (a cache)."""
    if not index.is_dir():
        return
    for path in index.iterdir():
        if path.name == "vectors":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def load(name: str, data: Path, squad_sample: int | None) -> tuple[Benchmark, Scorer, int]:
    if name == "scifact":
        return load_scifact(data), scifact_scores, 100
    if name == "cranfield":
        return load_cranfield(data), cranfield_scores, 100
    bench = load_squad(data)
    if squad_sample and squad_sample < len(bench.queries):
        keep = random.Random(SAMPLE_SEED).sample(sorted(bench.queries), squad_sample)
        bench.queries = {q: bench.queries[q] for q in sorted(keep)}
    return bench, squad_scores, 10


def report(outcomes: list[Outcome]) -> None:
    semantic = any(SEMANTIC in by for o in outcomes for by in o.metrics.values())
    systems = [PRODUCT, SEMANTIC, BM25S] if semantic else [PRODUCT, BM25S]
    rows = []
    for o in outcomes:
        for metric, by in o.metrics.items():
            values = [by.get(system, float("nan")) for system in systems]
            ratios = [v / by[BM25S] if by.get(BM25S) else float("nan") for v in values[:-1]]
            rows.append([o.name, metric, *values, *ratios])
    ratio_names = ["ratio", "+semantic ratio"] if semantic else ["ratio"]
    print_table(["benchmark", "metric", *systems, *ratio_names], rows)
    print()
    rows = []
    for o in outcomes:
        row = [o.name, o.documents, o.passages, o.skipped, o.queries, f"{o.product_index_s:.1f}"]
        if semantic:
            row.append(f"{o.embedded} in {o.embed_s:.1f}")
        row += [f"{o.bm25s_index_s:.2f}", f"{o.product_query_ms:.1f}"]
        if semantic:
            row.append(f"{o.semantic_query_ms:.1f}")
        row.append(f"{o.bm25s_query_ms:.2f}")
        rows.append(row)
    headers = ["benchmark", "docs", "passages", "skipped", "queries", "product index s"]
    if semantic:
        headers.append("embedded passages in s")
    headers += ["bm25s index s", "product ms/q"]
    if semantic:
        headers.append("+semantic ms/q")
    headers.append("bm25s ms/q")
    print_table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    parser.add_argument(
        "--squad-sample", type=int, default=None, help="seeded sample of SQuAD questions"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--semantic",
        type=semantic_option,
        default=default_model(),
        metavar="MODEL",
        help="measure the product with its semantic layer on too (default: ../shared/models/"
        "all-MiniLM-L6-v2 when present and the extra is installed; 'none': off)",
    )
    parser.add_argument("--work", type=Path, default=None, help="keep seeds and vectors here")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    outcomes = []
    if args.semantic:
        print(f"semantic layer: {args.semantic}")
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        work = args.work or Path(tmp)
        for name in names:
            bench, scorer, depth = load(name, args.data, args.squad_sample)
            print(f"{name}: {len(bench.docs)} docs, {len(bench.queries)} queries ...", flush=True)
            outcomes.append(evaluate(bench, scorer, depth, work, args.semantic))
    print()
    report(outcomes)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
