"""The ml-32m-shaped generator of the scaling benchmarks: shape, determinism, and that the importer reads it.

Runs on a tiny made-up "ml-latest-small" (so it needs no shared data) at a few thousand ratings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.synthetic_movielens import MIN_USER_RATINGS, Sizes, generate
from core.data.importers.movielens import load_movielens

SIZES = Sizes(ratings=6_000, users=90, movies=400, tags=50)


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten real-looking movies (ids 1..10 in steps of 3) rated by three users."""
    directory = tmp_path_factory.mktemp("real")
    ids = np.arange(1, 31, 3)
    pd.DataFrame({"movieId": ids, "title": [f"Film {i} (1999)" for i in ids], "genres": "Drama|Comedy"}).to_csv(
        directory / "movies.csv", index=False
    )
    pd.DataFrame({"movieId": ids, "imdbId": [f"{100000 + i:07d}" for i in ids], "tmdbId": 100 + ids}).to_csv(
        directory / "links.csv", index=False
    )
    rows = [(u, m, 1.0 + (u + m) % 9 / 2, 1_200_000_000 + m) for u in (1, 2, 3) for m in ids]
    pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"]).to_csv(
        directory / "ratings.csv", index=False
    )
    pd.DataFrame({"userId": [1], "movieId": [ids[0]], "tag": ["classic"], "timestamp": [1_200_000_000]}).to_csv(
        directory / "tags.csv", index=False
    )
    return directory


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, SIZES, seed=7, real_dir=real_dir)
    return out


def test_sizes_and_movielens_guarantees(generated: Path, real_dir: Path) -> None:
    ratings = pd.read_csv(generated / "ratings.csv")
    movies = pd.read_csv(generated / "movies.csv")
    assert len(ratings) == SIZES.ratings
    assert ratings["userId"].nunique() == SIZES.users
    assert len(movies) == SIZES.movies and movies["movieId"].is_unique
    assert not ratings.duplicated(["userId", "movieId"]).any()
    synthetic_users = ratings[ratings["userId"] > 3]  # users 1-3 are the real ones, kept as they are
    assert synthetic_users.groupby("userId").size().min() >= MIN_USER_RATINGS
    assert set(ratings["rating"].unique()) <= {x / 2 for x in range(1, 11)}
    assert set(ratings["movieId"]) <= set(movies["movieId"])
    real = pd.read_csv(real_dir / "movies.csv")
    assert movies.head(len(real))[["movieId", "title"]].equals(real[["movieId", "title"]])
    real_ratings = pd.read_csv(real_dir / "ratings.csv")
    merged = real_ratings.merge(ratings, on=["userId", "movieId"], suffixes=("", "_out"))
    assert len(merged) == len(real_ratings) and (merged["rating"] == merged["rating_out"]).all()


def test_popularity_is_skewed(generated: Path) -> None:
    """Zipf-like: the busiest tenth of the movies holds far more than a tenth of the ratings."""
    per_movie = pd.read_csv(generated / "ratings.csv").groupby("movieId").size().sort_values(ascending=False)
    assert per_movie.head(SIZES.movies // 10).sum() > 0.2 * SIZES.ratings  # uniform would give 0.1


def test_same_seed_same_files(generated: Path, real_dir: Path, tmp_path: Path) -> None:
    generate(tmp_path, SIZES, seed=7, real_dir=real_dir)
    for name in ("movies.csv", "links.csv", "ratings.csv", "tags.csv"):
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name
    generate(tmp_path / "other", SIZES, seed=8, real_dir=real_dir)
    assert (tmp_path / "other" / "ratings.csv").read_bytes() != (generated / "ratings.csv").read_bytes()


def test_the_movielens_importer_reads_it(generated: Path) -> None:
    dataset = load_movielens(generated)
    assert len(dataset.ratings) == SIZES.ratings
    assert len(dataset.movies) == SIZES.movies
    assert all(m.year is not None and m.genres for m in dataset.movies)


def test_fraction_sizes_follow_ml32m() -> None:
    third = Sizes.of_fraction(1 / 3)
    assert 55_000 < third.movies < 65_000 and third.users == 66_983
    assert Sizes.of_fraction(0.001).movies == 9_125  # never fewer than the real catalogue
