"""Pushing picks down by their closeness to disliked movies."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from core.services.recommend.dislikes import fetch_size, push_down


class _Closeness:
    """A stand-in model: scoring from "liked" movies returns fixed closeness to the dislikes."""

    def __init__(self, closeness: dict[int, float]) -> None:
        self.closeness = closeness
        self.asked: list[Mapping[int, float]] = []

    def recommend_from_liked(
        self, liked: Mapping[int, float], n: int, candidates: np.ndarray
    ) -> list[tuple[int, float]]:
        self.asked.append(liked)
        return [(int(m), self.closeness[int(m)]) for m in candidates if int(m) in self.closeness][:n]


PICKS = [(1, 1.0), (2, 0.9), (3, 0.8), (4, 0.7)]


def test_picks_close_to_the_dislikes_move_down() -> None:
    # Movie 2 is far closer to the dislike than the typical candidate; 4 shares the typical (popularity) part.
    model = _Closeness({1: 0.1, 2: 0.9, 3: 0.1, 4: 0.2})
    order = [m for m, _ in push_down(model, PICKS, [99], weight=0.5)]  # type: ignore[arg-type]
    assert order == [1, 3, 4, 2]
    assert model.asked == [{99: 5.0}]


def test_no_dislikes_or_no_weight_or_unknown_dislikes_change_nothing() -> None:
    model = _Closeness({1: 0.1, 2: 0.9, 3: 0.1, 4: 0.2})
    assert push_down(model, PICKS, [], weight=0.5) == PICKS  # type: ignore[arg-type]
    assert push_down(model, PICKS, [99], weight=0.0) == PICKS  # type: ignore[arg-type]
    assert push_down(_Closeness({}), PICKS, [99], weight=0.5) == PICKS  # type: ignore[arg-type]


def test_fetch_size_makes_room_for_exclusions_and_pushing() -> None:
    assert fetch_size(10, [], frozenset({1, 2})) == 12
    assert fetch_size(10, [5], frozenset({1, 2, 5})) == 33
