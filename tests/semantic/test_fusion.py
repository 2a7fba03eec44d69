"""Fusion of BM25 and cosine lists, on small lists worked out by hand, and the no-match rule
with the real model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.semantic.fusion import DEFAULT_THRESHOLD, convex, hybrid, minmax, rrf

LEXICAL = [(1, 10.0), (2, 5.0), (3, 0.0)]  # normalised: 1 -> 1, 2 -> 0.5, 3 -> 0
SEMANTIC = [(3, 0.9), (4, 0.5), (1, 0.1)]  # normalised: 3 -> 1, 4 -> 0.5, 1 -> 0


def test_minmax() -> None:
    assert minmax([("a", 3.0), ("b", 1.0), ("c", 2.0)]) == {"a": 1.0, "b": 0.0, "c": 0.5}
    assert minmax([("a", 0.3), ("b", 0.3)]) == {"a": 1.0, "b": 1.0}
    assert minmax([]) == {}


def test_convex_over_the_union() -> None:
    # 1: .5*1 + .5*0 = .5; 2: .5*.5 = .25; 3: .5*0 + .5*1 = .5; 4: .5*.5 = .25
    fused = convex(LEXICAL, SEMANTIC, 0.5)
    assert [k for k, _ in fused] == [1, 3, 2, 4]  # ties: lexical list first
    assert [s for _, s in fused] == pytest.approx([0.5, 0.5, 0.25, 0.25])


def test_convex_weight_moves_the_ranking_between_the_two_lists() -> None:
    # w=0.3: 1 -> .7, 2 -> .35, 3 -> .3, 4 -> .15
    assert [k for k, _ in convex(LEXICAL, SEMANTIC, 0.3)] == [1, 2, 3, 4]
    # w=0.7: 1 -> .3, 2 -> .15, 3 -> .7, 4 -> .35
    assert [k for k, _ in convex(LEXICAL, SEMANTIC, 0.7)] == [3, 4, 1, 2]
    assert [k for k, _ in convex(LEXICAL, SEMANTIC, 0.0)][:2] == [1, 2]
    assert [k for k, _ in convex(LEXICAL, SEMANTIC, 1.0)][:2] == [3, 4]
    with pytest.raises(ValueError):
        convex(LEXICAL, SEMANTIC, 1.5)


def test_convex_with_one_side_empty_keeps_the_other_sides_order() -> None:
    assert [k for k, _ in convex(LEXICAL, [], 0.5)] == [1, 2, 3]
    assert [k for k, _ in convex([], SEMANTIC, 0.5)] == [3, 4, 1]
    assert convex([], [], 0.5) == []


def test_rrf() -> None:
    lexical = [("b", 1.0), ("a", 2.0)]  # given out of order: ranked by score, a first
    semantic = [("b", 0.8), ("c", 0.7)]
    fused = dict(rrf(lexical, semantic, k=60))
    assert fused == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 62})
    assert [k for k, _ in rrf(lexical, semantic)] == ["b", "a", "c"]


def test_hybrid_drops_weak_passages_found_by_meaning_alone() -> None:
    lexical = [(1, 4.0), (2, 2.0)]
    semantic = [(3, 0.62), (1, 0.35), (4, 0.21)]  # 2 not in the cosine top list at all
    kept = hybrid(lexical, semantic, weight=0.5, threshold=0.4)
    # 4 is semantic-only and under the threshold; 1 is under it but BM25 found it.
    assert [k for k, _ in kept] == [k for k, _ in convex(lexical, semantic, 0.5) if k != 4]
    assert dict(kept) == {k: s for k, s in convex(lexical, semantic, 0.5) if k != 4}


def test_hybrid_finds_nothing_when_nothing_matches() -> None:
    assert hybrid([], [(7, 0.2), (8, 0.1)], threshold=0.4) == []
    assert [k for k, _ in hybrid([], [(7, 0.55), (8, 0.1)], threshold=0.4)] == [7]


scores = st.floats(min_value=-50, max_value=50, allow_nan=False)
lists = st.dictionaries(st.integers(0, 30), scores, max_size=12).map(lambda d: list(d.items()))


@given(lists, lists, st.floats(min_value=0, max_value=1))
def test_convex_ranks_the_union_with_scores_in_the_unit_range(lexical, semantic, w) -> None:
    fused = convex(lexical, semantic, w)
    assert sorted(k for k, _ in fused) == sorted({k for k, _ in lexical} | {k for k, _ in semantic})
    assert all(-1e-9 <= s <= 1 + 1e-9 for _, s in fused)
    assert [s for _, s in fused] == sorted((s for _, s in fused), reverse=True)


@given(lists, lists)
def test_hybrid_keeps_every_lexical_hit(lexical, semantic) -> None:
    kept = {k for k, _ in hybrid(lexical, semantic, 0.5, threshold=51.0)}  # above every score
    assert kept == {k for k, _ in lexical}


# --- the threshold with the real model ---------------------------------------------------------

PASSAGES = [
    "The morality police, known as al-Hisbah, patrolled the markets and arrested women whose "
    "clothing they judged immodest.",
    "New employees receive a laptop on their first day; the IT desk sets up their accounts.",
    "The group's media office produced videos and magazines to recruit fighters abroad.",
    "Quarterly revenue grew by eight percent, driven by subscriptions in Europe.",
]


def test_threshold_separates_questions_in_other_words_from_questions_about_nothing(
    embedder,
) -> None:
    vectors = embedder.embed(PASSAGES)

    def semantic(question: str) -> list[tuple[int, float]]:
        cosines = vectors @ embedder.embed([question])[0]
        return sorted(enumerate(cosines.tolist()), key=lambda item: -item[1])

    # Asked in other words: BM25 finds nothing for these, the meaning does.
    for question, expected in [
        ("what did the religious police do", 0),
        ("who made their propaganda", 2),
    ]:
        found = hybrid([], semantic(question), threshold=DEFAULT_THRESHOLD)
        assert found and found[0][0] == expected, (question, semantic(question))
    for question in ["how long should I boil an egg", "who won the last Wimbledon final"]:
        assert hybrid([], semantic(question), threshold=DEFAULT_THRESHOLD) == [], question
