"""Rank fusion with known ranks, and franchises' originals moved above their sequels."""

from __future__ import annotations

import pytest

from core.search.fusion import originals_first, reciprocal_rank_fusion


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


FRANCHISE = {
    10: ("Genie Collection", "1992-11-25"),
    11: ("Genie Collection", "1994-05-20"),
    12: ("Genie Collection", "1996-08-13"),
}


def test_the_original_takes_its_franchise_best_place() -> None:
    ranked = [(11, 0.9), (7, 0.8), (12, 0.7), (10, 0.6), (8, 0.5)]
    assert [i for i, _ in originals_first(ranked, FRANCHISE, 0.5)] == [10, 11, 7, 12, 8]


def test_the_original_stays_when_the_query_fits_it_poorly() -> None:
    ranked = [(11, 0.9), (7, 0.8), (10, 0.3)]
    assert originals_first(ranked, FRANCHISE, 0.5) == ranked


def test_no_franchise_or_original_already_first_changes_nothing() -> None:
    ranked = [(10, 0.9), (11, 0.8), (7, 0.7)]
    assert originals_first(ranked, FRANCHISE, 0.5) == ranked
    assert originals_first([(1, 1.0), (2, 0.5)], {}, 0.5) == [(1, 1.0), (2, 0.5)]
