"""The cold-start section: who is hidden, what is revealed, and a quick run on two taste blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.evaluation import coldstart
from core.evaluation.base import EvalContext


def block_ratings(n_users: int = 80, seed: int = 3) -> pd.DataFrame:
    """Odd users love movies 1-40 (≥ 4 stars) and rate a few of 41-80 low; even users the reverse."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        own, other = (np.arange(1, 41), np.arange(41, 81)) if user % 2 else (np.arange(41, 81), np.arange(1, 41))
        for movie in rng.choice(own, size=20, replace=False):
            rows.append((user, int(movie), float(rng.choice([4.0, 4.5, 5.0])), 0))
        for movie in rng.choice(other, size=3, replace=False):
            rows.append((user, int(movie), 2.0, 0))
    rows.append((999, 1, 5.0, 0))  # too few ratings: never hidden
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def test_hidden_users_are_eligible_and_reproducible() -> None:
    ratings = block_ratings()
    hidden = coldstart.hidden_users(ratings, seed=1)
    assert len(hidden) == round(0.2 * 80) and 999 not in hidden
    assert np.array_equal(hidden, coldstart.hidden_users(ratings, seed=1))
    assert not np.array_equal(hidden, coldstart.hidden_users(ratings, seed=2))


def test_revealed_movies_are_liked_and_excluded_from_the_rest() -> None:
    ratings = block_ratings()
    hidden = coldstart.hidden_users(ratings, seed=1)
    cases = coldstart.reveal(ratings, hidden, seed=1)
    assert sorted(cases) == hidden.tolist()
    for user, (given, rest) in cases.items():
        own = ratings[ratings.user_id == user]
        assert len(given) == coldstart.GIVEN and len(set(given)) == coldstart.GIVEN
        assert set(given) <= set(own.loc[own.rating >= 4, "movie_id"])
        assert not set(given) & set(rest.movie_id) and len(rest) == len(own) - coldstart.GIVEN


def test_quick_run_beats_most_popular_through_the_liked_movies_path() -> None:
    result = coldstart.run(EvalContext(db_path=Path("unused.db"), ratings=block_ratings(), quick=True))
    names = [row["model"] for row in result.table]
    assert names == ["most-popular", "ALS (engine=als)", "EASE", coldstart.DEFAULT_MODEL]
    by_name = {row["model"]: row for row in result.table}
    for row in result.table:
        assert 0.0 <= float(row["ndcg@10"]) <= 1.0 and 0.0 <= float(row["r@10"]) <= 1.0  # type: ignore[arg-type]
        assert row["users"] == 16
    # Five liked movies from one block identify it; popularity cannot.
    default = float(by_name[coldstart.DEFAULT_MODEL]["ndcg@10"])  # type: ignore[arg-type]
    assert default > 1.5 * float(by_name["most-popular"]["ndcg@10"])  # type: ignore[arg-type]
    (target,) = result.targets
    assert target.value == default and target.met == (default >= 2 * float(by_name["most-popular"]["ndcg@10"]))  # type: ignore[arg-type]


def test_no_eligible_user_gives_an_empty_section() -> None:
    tiny = pd.DataFrame([(1, 1, 5.0, 0), (2, 1, 4.0, 0)], columns=["user_id", "movie_id", "rating", "timestamp"])
    result = coldstart.run(EvalContext(db_path=Path("unused.db"), ratings=tiny, quick=True))
    assert result.table == [] and result.targets == []
