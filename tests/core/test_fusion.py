"""Rank fusion with known ranks, and franchises' originals moved above their sequels."""

from __future__ import annotations

import math

import pytest

from core.search.fusion import clear_winner_first, originals_first, reciprocal_rank_fusion, with_popularity


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=0)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 1 + 1 / 2)
    assert scores[3] == pytest.approx(1 / 3 + 1 / 1)
    assert scores[2] == pytest.approx(1 / 2)
    assert scores[4] == pytest.approx(1 / 3)
    assert [item for item, _ in fused] == [1, 3, 2, 4]


def test_rrf_damping_and_weights_change_the_order() -> None:
    # With k = 60, being second in both lists beats being first in one only.
    assert reciprocal_rank_fusion([[1, 2], [3, 2]])[0][0] == 2
    # A heavier second list lets its first item win.
    assert reciprocal_rank_fusion([[1, 2], [3, 2]], weights=[1.0, 3.0], k=0)[0][0] == 3


def test_rrf_ties_keep_first_seen_order_and_checks_weights() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([[5], [6]])] == [5, 6]
    assert reciprocal_rank_fusion([]) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1.0, 2.0])


FRANCHISE = {10: "Genie Collection", 11: "Genie Collection", 12: "Genie Collection"}
ORIGINAL = {"Genie Collection": 10}


def test_the_original_takes_its_franchise_best_place() -> None:
    assert originals_first([11, 7, 12, 10, 8], FRANCHISE, ORIGINAL, {10}) == [10, 11, 7, 12, 8]


def test_an_original_the_retrievers_missed_is_brought_in() -> None:
    assert originals_first([7, 12, 11, 8], FRANCHISE, ORIGINAL, {10}) == [7, 10, 12, 11, 8]


def test_the_original_stays_when_the_query_does_not_fit_it() -> None:
    assert originals_first([11, 7, 10], FRANCHISE, ORIGINAL, set()) == [11, 7, 10]


def test_no_franchise_or_original_already_first_changes_nothing() -> None:
    assert originals_first([10, 11, 7], FRANCHISE, ORIGINAL, {10}) == [10, 11, 7]
    assert originals_first([1, 2], {}, {}, set()) == [1, 2]


def test_popularity_lifts_a_near_tie_but_not_a_clear_winner() -> None:
    counts = {1: 2000, 2: 3, 3: 20, 4: 17}
    # Nearly equal text scores: the film thousands rated goes first.
    assert [i for i, _ in with_popularity([(2, 0.100), (1, 0.095)], counts, 0.5)] == [1, 2]
    # A clear first place with a near-equal count stays first (17 vs 20 ratings barely differ).
    assert [i for i, _ in with_popularity([(4, 0.080), (3, 0.075)], counts, 0.5)] == [4, 3]
    assert with_popularity([(3, 0.1)], counts, 0.5) == [(3, pytest.approx(0.1 * (1 + 0.5 * math.log(21))))]
    assert with_popularity([(9, 0.1)], counts, 0.5) == [(9, 0.1)]  # unknown count: no boost


def test_a_clear_winner_by_meaning_goes_first_whatever_the_prior_did() -> None:
    fused = [(1, 0.30), (2, 0.25), (3, 0.20)]  # after the popularity prior: 1 is the better-known film
    clear = [(3, 0.67), (1, 0.37), (2, 0.30)]  # by cosine 3 is far ahead
    assert [i for i, _ in clear_winner_first(fused, clear, 0.2)] == [3, 1, 2]
    close = [(3, 0.67), (1, 0.55)]  # a near tie: the prior's order stands
    assert clear_winner_first(fused, close, 0.2) == fused
    assert clear_winner_first(fused, [(3, 0.9)], 0.2) == fused  # no runner-up to beat
    assert clear_winner_first(fused, [], 0.2) == fused
