"""The profiles section: hidden users written out as exports, imported, and ranked on the synthetic catalogue."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from core.evaluation import SECTIONS, profiles
from core.evaluation.base import EvalContext
from tests.synthetic import ROMANCE_IDS, SPACE_IDS


def _ratings(db: Path) -> pd.DataFrame:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return pd.read_sql_query("SELECT user_id, movie_id, rating, timestamp FROM ratings", conn)
    finally:
        conn.close()


def test_the_section_is_registered() -> None:
    assert SECTIONS["profiles"] == "core.evaluation.profiles"


def test_split_reveals_half_of_each_users_ratings(synthetic_db: Path) -> None:
    ratings = _ratings(synthetic_db)
    cases = profiles.split_cases(ratings, np.array([1, 13]), seed=42)
    for user, (revealed, held) in cases.items():
        own = ratings[ratings["user_id"] == user]
        assert len(revealed) + len(held) == len(own) and abs(len(revealed) - len(own) / 2) <= 1
        assert not set(revealed["movie_id"]) & set(held["movie_id"])


def block_ratings() -> pd.DataFrame:
    """40 users with 20 ratings each over the synthetic catalogue: odd users rate every space movie 4-5 stars and
    8 romance movies 1-2.5; even users the reverse (the synthetic users themselves have too few to be hidden)."""
    rng = np.random.default_rng(5)
    rows = []
    for user in range(1, 41):
        own, other = (SPACE_IDS, ROMANCE_IDS) if user % 2 else (ROMANCE_IDS, SPACE_IDS)
        rows += [(user, m, float(rng.choice([4.0, 4.5, 5.0])), 1_000_000 + m) for m in own]
        rows += [
            (user, int(m), float(rng.choice([1.0, 2.0, 2.5])), 1_000_000) for m in rng.choice(other, 8, replace=False)
        ]
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def test_nobody_to_hide_is_reported_not_crashed(synthetic_db: Path) -> None:
    result = profiles.run(EvalContext(db_path=synthetic_db, ratings=_ratings(synthetic_db), quick=True))
    assert result.table == [] and "cold-start" in result.notes[0]


def test_quick_run_imports_every_revealed_rating_and_reports_each_path(synthetic_db: Path) -> None:
    result = profiles.run(EvalContext(db_path=synthetic_db, ratings=block_ratings(), quick=True))
    paths = [row["path"] for row in result.table]
    assert paths[:2] == ["liked_movies (each 5★)", "liked_movies with stars"]
    assert "imdb profile, low ratings ignored" in paths and "letterboxd profile, dislikes w=0.25" in paths
    matched = result.notes[0]
    assert matched.startswith("matched on import: IMDb ") and "/ Letterboxd " in matched
    imdb, letterboxd, revealed = (int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", matched)[:3])
    assert imdb == letterboxd == revealed  # every synthetic title matches exactly
    by = {row["path"]: row for row in result.table}
    # The two taste blocks make the synthetic users easy: profiles must find their own block.
    assert by["letterboxd profile, dislikes w=0.25"]["test ndcg@10 (≥4)"] > 0.5
    assert "letterboxd, calibrated λ=0.3" in paths and "liked_movies with stars, calibrated λ=0.3" in paths
    # A genre calibration never pulls a list away from the user's own mix (here each block's lists already
    # hold the block's genres, so there is little to pull).
    for half in ("tune", "test"):
        assert (
            by["letterboxd, calibrated λ=0.3"][f"{half} miscalibration@10"]
            <= by["letterboxd profile, dislikes w=0.25"][f"{half} miscalibration@10"]
        )
    assert len(result.targets) == 6 and "calibration" in result.notes[-2]
