"""benchmarks.ease_cap: the default ensemble measured with its EASE capped to the most-rated movies."""

from __future__ import annotations

from pathlib import Path

from benchmarks.ease_cap import measure


def test_a_smaller_cap_models_fewer_movies_that_hold_more_than_their_share_of_the_ratings(
    synthetic_db: Path,
) -> None:
    rows = measure(synthetic_db, (0.2, 0.6, 1.0))
    modelled = [row["modelled_movies"] for row in rows]
    assert modelled == sorted(modelled) and modelled[0] < modelled[-1]
    rating_shares = [row["share_of_ratings"] for row in rows]
    assert rating_shares == sorted(rating_shares) and rating_shares[-1] <= 1.0
    # the most-rated fifth of the movies holds more than a fifth of the ratings
    assert rating_shares[0] > 0.2 * rating_shares[-1]
    assert all(0.0 <= row["ndcg@10"] <= 1.0 for row in rows)
