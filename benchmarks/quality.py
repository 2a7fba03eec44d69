"""Retrieval quality on public benchmarks, through the product's own ingestion, index and search,
beside bm25s measured in the same run.

    python benchmarks/quality.py [--data ../shared/data] [--only scifact,squad,cranfield]
                                 [--squad-sample N] [--json FILE]

Every benchmark document becomes one seed file (title line, blank line, text) in a temporary
seeds folder; the product indexes it with `Library.reindex()` and answers each query with
`Library.ask(query, limit=100)`, exactly as a user's question would be answered. A document ranks
where its first passage ranks. The reference is bm25s (Snowball English stemmer from PyStemmer,
English stop words, default Lucene BM25) over the same documents, title and text as one field.

Metrics: SciFact (BEIR test, 300 queries) nDCG@10 and Recall@100; SQuAD v1.1 dev (each
question's own paragraph among all 2,067) Hit@1/3/5 and MRR@10; Cranfield (225 queries) nDCG@10
with gains 4..1 for relevance codes 1..4 (-1 is 0) and MAP over the top 100 (codes 1..4 count as
relevant). Ratio = product / bm25s.
"""

from __future__ import annotations

import argparse
import json
import random
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
    doc_text,
    first_rank,
    load_cranfield,
    load_scifact,
    load_squad,
    mean,
    ndcg,
    print_table,
    product_ranking,
    recall,
    write_seeds,
)

BENCHMARKS = ("scifact", "squad", "cranfield")
SAMPLE_SEED = 20240601


@dataclass
class Outcome:
    """Both systems' scores on one benchmark, and what it cost to get them."""

    name: str
    metrics: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (ours, ref)
    queries: int = 0
    documents: int = 0
    passages: int = 0
    skipped: int = 0
    product_index_s: float = 0.0
    product_query_ms: float = 0.0
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


def evaluate(bench: Benchmark, scorer: Scorer, depth: int, workdir: Path) -> Outcome:
    """Index the benchmark with both systems, run every query through both, average scores."""
    out = Outcome(bench.name, queries=len(bench.queries), documents=len(bench.docs))
    seeds, index = workdir / bench.name / "seeds", workdir / bench.name / "index"
    names = write_seeds(bench.docs, seeds)

    started = time.perf_counter()
    lib, summary = build_library(seeds, index, max_results=max(depth, 1))
    out.product_index_s = time.perf_counter() - started
    out.passages, out.skipped = summary.passages, len(summary.skipped)
    ours: dict[str, list[float]] = {}
    started = time.perf_counter()
    try:
        for qid, question in bench.queries.items():
            ranked = product_ranking(lib, names, question, depth)
            for metric, value in scorer(ranked, bench.qrels.get(qid, {})).items():
                ours.setdefault(metric, []).append(value)
    finally:
        lib.close()
    out.product_query_ms = (time.perf_counter() - started) * 1000 / max(1, len(bench.queries))

    ref = Bm25sReference([doc_text(d) for d in bench.docs])
    out.bm25s_index_s = ref.seconds
    started = time.perf_counter()
    results = ref.search(list(bench.queries.values()), k=depth)
    out.bm25s_query_ms = (time.perf_counter() - started) * 1000 / max(1, len(bench.queries))
    theirs: dict[str, list[float]] = {}
    for qid, hits in zip(bench.queries, results, strict=True):
        ranked = [bench.docs[i].id for i in hits]
        for metric, value in scorer(ranked, bench.qrels.get(qid, {})).items():
            theirs.setdefault(metric, []).append(value)

    out.metrics = {m: (mean(ours[m]), mean(theirs.get(m, []))) for m in ours}
    return out


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
    rows = []
    for o in outcomes:
        for metric, (ours, theirs) in o.metrics.items():
            ratio = ours / theirs if theirs else float("nan")
            rows.append([o.name, metric, ours, theirs, ratio])
    print_table(["benchmark", "metric", "product", "bm25s", "ratio"], rows)
    print()
    rows = [
        [
            o.name,
            o.documents,
            o.passages,
            o.skipped,
            o.queries,
            f"{o.product_index_s:.1f}",
            f"{o.bm25s_index_s:.2f}",
            f"{o.product_query_ms:.1f}",
            f"{o.bm25s_query_ms:.2f}",
        ]
        for o in outcomes
    ]
    headers = [
        "benchmark",
        "docs",
        "passages",
        "skipped",
        "queries",
        "product index s",
        "bm25s index s",
        "product ms/q",
        "bm25s ms/q",
    ]
    print_table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    parser.add_argument(
        "--squad-sample", type=int, default=None, help="seeded sample of SQuAD questions"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    outcomes = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for name in names:
            bench, scorer, depth = load(name, args.data, args.squad_sample)
            print(f"{name}: {len(bench.docs)} docs, {len(bench.queries)} queries ...", flush=True)
            outcomes.append(evaluate(bench, scorer, depth, Path(tmp)))
    print()
    report(outcomes)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
