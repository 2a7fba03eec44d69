"""Hybrid ranking: BM25 and cosine similarity fused into one list, and the rule that keeps
"nothing found" honest.

BM25 scores are unbounded and depend on the question's words; cosines lie in [-1, 1] and
crowd together. To add them, each list is min-max normalised over its own top k, and a passage
missing from one list scores 0 on that side: a convex combination over the union of both top-k
lists. Reciprocal rank fusion, which ignores the scores, is kept for comparison (it measured
worse here; see benchmarks/semantic_probe.py).

A nearest neighbour always exists, so a passage found by meaning alone (not by BM25) is an
answer only when its cosine reaches a threshold; a question about nothing in the documents
then finds nothing, as it does without the semantic layer.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_WEIGHT",
    "RRF_K",
    "convex",
    "hybrid",
    "minmax",
    "rrf",
]

K = TypeVar("K", bound=Hashable)  # what identifies a passage: a Whoosh docnum, a key

# Both measured with all-MiniLM-L6-v2 in benchmarks/semantic_probe.py. Weight: 0.4 was the best
# of 0.3 / 0.4 / 0.5 / 0.7 on SciFact, SQuAD and the seed evaluation alike. Threshold: the best
# cosine of off-topic questions stays under 0.40 for 90-100% of them (0.46 at most), while
# 87-89% of gold passages reach it; quality did not move between 0.35 and 0.50.
DEFAULT_WEIGHT = 0.4  # share of the semantic score
DEFAULT_THRESHOLD = 0.40
RRF_K = 60  # the constant of Cormack et al. (2009), used by most hybrid search engines


def minmax(ranked: Sequence[tuple[K, float]]) -> dict[K, float]:
    """Scores rescaled to [0, 1] over the list given (the best is 1). When all scores are
    equal, all are the best."""
    if not ranked:
        return {}
    low = min(score for _, score in ranked)
    span = max(score for _, score in ranked) - low
    return {key: (score - low) / span if span > 0 else 1.0 for key, score in ranked}


def convex(
    lexical: Sequence[tuple[K, float]], semantic: Sequence[tuple[K, float]], weight: float
) -> list[tuple[K, float]]:
    """(1 - weight) * normalised BM25 + weight * normalised cosine, over the union of both
    lists, best first. Ties keep the order the lists come in, the lexical one first."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], not {weight}")
    lex, sem = minmax(lexical), minmax(semantic)
    keys = _union(lexical, semantic)
    fused = {k: (1.0 - weight) * lex.get(k, 0.0) + weight * sem.get(k, 0.0) for k in keys}
    return _best_first(fused, keys)


def rrf(
    lexical: Sequence[tuple[K, float]], semantic: Sequence[tuple[K, float]], k: int = RRF_K
) -> list[tuple[K, float]]:
    """Reciprocal rank fusion: the sum of 1 / (k + rank) over the lists a passage is in.
    The lists are ranked by their scores here, whatever order they come in."""
    fused: dict[K, float] = {}
    for ranked in (lexical, semantic):
        order = sorted(range(len(ranked)), key=lambda i: -ranked[i][1])
        for rank, i in enumerate(order, 1):
            key = ranked[i][0]
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return _best_first(fused, _union(lexical, semantic))


def hybrid(
    lexical: Sequence[tuple[K, float]],
    semantic: Sequence[tuple[K, float]],
    weight: float = DEFAULT_WEIGHT,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[tuple[K, float]]:
    """The product's ranking: `convex`, without the passages that only the semantic side
    found and whose cosine is under `threshold`. Empty when BM25 found nothing and no
    passage is that close in meaning: the question gets "nothing found".

    The semantic list is normalised whole (the threshold does not change the scores of
    what remains), so the rule only removes answers, never reorders them.
    """
    found_by_words = {key for key, _ in lexical}
    cosine = dict(semantic)
    return [
        (key, score)
        for key, score in convex(lexical, semantic, weight)
        if key in found_by_words or cosine[key] >= threshold
    ]


def _union(*lists: Sequence[tuple[K, float]]) -> list[K]:
    return list(dict.fromkeys(key for ranked in lists for key, _ in ranked))


def _best_first(scores: dict[K, float], order: list[K]) -> list[tuple[K, float]]:
    position = {key: i for i, key in enumerate(order)}
    return sorted(scores.items(), key=lambda item: (-item[1], position[item[0]]))
