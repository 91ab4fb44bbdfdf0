"""Calibrated recommendations: the genre table, the miscalibration measure and the greedy re-ranking."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.genre_table import GenreTable
from core.errors import InvalidInputError
from core.services.recommend.calibrate import (
    CALIBRATION_WEIGHT,
    FOCUSED_WEIGHT,
    calibrate,
    calibration_weight,
    default_weight,
    miscalibration,
    target_shares,
)

ACTION = list(range(1, 11))  # action films, the model's favourites
SCIFI = list(range(11, 16))  # science fiction, ranked below every action film
TABLE = GenreTable([*[(m, "Action") for m in ACTION], *[(m, "Sci-Fi") for m in SCIFI], (16, "Sci-Fi"), (16, "Drama")])
PICKS = [(m, 1.0 - 0.01 * i) for i, m in enumerate(ACTION + SCIFI)]  # best first


def test_the_table_holds_each_movies_genres_and_weighted_shares() -> None:
    assert TABLE.genres == ("Action", "Drama", "Sci-Fi")
    assert TABLE.rows([16, 1, 999]).tolist() == [[0, 1, 1], [1, 0, 0], [0, 0, 0]]
    # two sci-fi likes at 5 stars, one action like at 2.5: sci-fi carries 10 of 12.5 stars
    assert np.allclose(TABLE.shares(np.array([11, 16, 1]), np.array([5.0, 5.0, 2.5])), [0.2, 0.4, 0.8])


def test_the_person_s_mix_counts_likes_only() -> None:
    assert np.allclose(target_shares(TABLE, {11: 5.0, 1: 1.0}), [0.0, 0.0, 1.0])  # the 1-star action film is no like
    assert target_shares(TABLE, {1: 2.0}) is None


def test_miscalibration_is_least_for_the_person_s_own_mix() -> None:
    target = np.array([0.2, 0.0, 0.8])
    lists = np.array([[0.2, 0.0, 0.8], [0.5, 0.0, 0.5], [1.0, 0.0, 0.0]])
    costs = miscalibration(target, lists)
    assert costs[0] < 0.01 and costs[0] < costs[1] < costs[2]


def test_a_science_fiction_fan_gets_science_fiction_moved_up() -> None:
    fan = {11: 5.0, 12: 4.5}  # their likes are all science fiction (11 and 12 are rated, not candidates here)
    plain = calibrate(PICKS, fan, TABLE, 5, weight=0.0)
    assert [m for m, _ in plain] == ACTION[:5]
    calibrated = calibrate(PICKS, fan, TABLE, 5, weight=0.5)
    assert sum(m in SCIFI for m, _ in calibrated) >= 3
    assert dict(calibrated) == {m: s for m, s in PICKS if m in dict(calibrated)}  # scores are kept


def test_a_mixed_taste_keeps_a_mix() -> None:
    mixed = {1: 5.0, 2: 5.0, 11: 5.0, 12: 5.0}  # half action, half science fiction
    chosen = [m for m, _ in calibrate(PICKS, mixed, TABLE, 6, weight=0.9)]
    assert 2 <= sum(m in SCIFI for m in chosen) <= 4
    assert chosen[0] == ACTION[0]  # the best pick fits the mix as well as any: it stays first


def test_without_likes_or_weight_the_order_is_the_model_s() -> None:
    assert calibrate(PICKS, {1: 1.0}, TABLE, 4, weight=0.5) == PICKS[:4]
    assert calibrate(PICKS, {11: 5.0}, TABLE, 4, weight=0.0) == PICKS[:4]
    assert calibrate(PICKS, {11: 5.0}, GenreTable([]), 4, weight=0.5) == PICKS[:4]


def test_the_requested_weight_is_checked() -> None:
    assert calibration_weight(0.3) == 0.3 and calibration_weight(0) == 0.0
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        calibration_weight(1.5)


def _greedy_by_definition(
    picks: list[tuple[int, float]], rated: dict[int, float], table: GenreTable, weight: float
) -> list[int]:
    """Steck's greedy re-rank written out: each step scores every free candidate's list with `miscalibration`."""
    target = target_shares(table, rated)
    assert target is not None
    scores = np.array([s for _, s in picks])
    relevance = (scores - scores.min()) / (scores.max() - scores.min())
    chosen: list[int] = []
    for _ in range(10):
        best, best_value = -1, -np.inf
        for i in range(len(picks)):
            if i in chosen:
                continue
            members = [*chosen, i]
            shares = table.rows([picks[j][0] for j in members]).mean(axis=0)
            value = (1 - weight) * relevance[members].sum() - weight * float(miscalibration(target, shares[None, :])[0])
            if value > best_value:
                best, best_value = i, value
        chosen.append(best)
    return [picks[i][0] for i in chosen]


@pytest.mark.parametrize("seed", range(6))
def test_the_fast_greedy_picks_what_the_definition_picks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = [f"g{j}" for j in range(12)]
    table = GenreTable(
        (m, str(g)) for m in range(1, 301) for g in rng.choice(names, size=rng.integers(1, 4), replace=False)
    )
    picks = [
        (int(m), float(s))
        for m, s in zip(rng.choice(np.arange(1, 301), 40, replace=False), np.sort(rng.random(40))[::-1], strict=True)
    ]
    rated = {int(m): float(rng.choice([2.0, 4.0, 5.0])) for m in rng.choice(np.arange(1, 301), 30, replace=False)}
    weight = [0.03, 0.3, 0.9][seed % 3]
    assert [m for m, _ in calibrate(picks, rated, table, 10, weight)] == _greedy_by_definition(
        picks, rated, table, weight
    )


def test_a_focused_taste_gets_the_focused_strength_by_default() -> None:
    table = GenreTable([*[(m, "Sci-Fi") for m in range(1, 21)], *[(m, "Drama") for m in range(21, 41)]])
    scifi_fan = {m: 5.0 for m in range(1, 13)}  # 12 likes, all science fiction
    assert default_weight(table, scifi_fan) == FOCUSED_WEIGHT
    assert calibration_weight(None, table, scifi_fan) == FOCUSED_WEIGHT
    assert calibration_weight(0.05, table, scifi_fan) == 0.05  # a requested strength always wins
    mixed = {**{m: 5.0 for m in range(1, 8)}, **{m: 4.0 for m in range(21, 26)}}  # 7 of 12 likes
    assert default_weight(table, mixed) == CALIBRATION_WEIGHT
    few = {m: 5.0 for m in range(1, 6)}  # focused, but only 5 likes: too few to say so
    assert default_weight(table, few) == CALIBRATION_WEIGHT
    disliked = {**{m: 5.0 for m in range(1, 11)}, **{m: 1.0 for m in range(21, 31)}}  # dislikes are not likes
    assert default_weight(table, disliked) == FOCUSED_WEIGHT
    assert default_weight(None, scifi_fan) == CALIBRATION_WEIGHT
