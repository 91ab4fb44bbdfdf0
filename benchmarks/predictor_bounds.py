"""What the rating predictor's size bounds cost: 5-fold RMSE on real ratings with each bound made to bind
as hard as it does at one third of ml-32m.

`movie-mcp build` bounds the blended predictor for large data (`NeighborhoodParams`, `BlendParams`): the
similarity pass covers the 20,000 most-rated movies and at most 200M co-rated pairs, the neighbourhood
regression at most 5M terms, and the blend weights are fit on users holding at most 3M ratings. None binds
on ml-latest-small. On the one-third ml-32m-shaped set (10M ratings) they bind like this: the 20,000
movies hold 91% of the ratings; the pairs cap counts 60 ratings per user; the regression takes 1.8% of
the users (1,258 of 70,000); the blend is fit on 10% of the ratings. This runs the evaluation's 5-fold
cross-validation (`movie-mcp eval --sections rating`, seed 42) with each bound set to bind by those shares
on the real ratings, beside the unbounded model.

Shares overstate what the regression and blend bounds cost at scale: what they cap is how much data
learns a few things (item-item weights; a dozen blend weights), and at one third the capped amount is
still large (5M terms; components trained on 1-3M ratings), while here the same share is tiny (53k terms;
8,000 ratings). Read those rows as upper bounds; the blend is also measured on half the ratings.

    .venv/bin/python -m benchmarks.predictor_bounds [--db db/movies.db] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import Settings
from core.evaluation.rating import cross_validate
from core.evaluation.runner import load_ratings
from core.models.blended_rating import BlendParams

# How hard each bound binds at one third of ml-32m (from that build's log and its ratings.csv).
MOVIES_RATINGS_SHARE = 0.91  # the 20,000 most-rated of 60,000 movies hold 91% of the ratings
RATINGS_PER_USER = 60  # the co-rated pairs cap counts at most 60 of each user's ratings
# 1,258 of 70,000 users fit the 5M regression terms; users are taken in random order, so that is also
# about the share of the terms. The emulated cap is approximate (terms grow faster than ratings per
# user): the training log says how many users it took (11 of 671 on ml-latest-small, 1.6%).
REGRESSION_TERMS_SHARE = 0.018
BLEND_RATINGS_SHARE = 0.10  # the blend weights were fit on users holding 1M of the 10M ratings (3M now)
TERMS_PER_RATING = 37  # ml-latest-small's regression terms per rating (the log says how many users fit)


def bound_as_at_one_third(ratings: pd.DataFrame, n_folds: int) -> dict[str, BlendParams]:
    """BlendParams whose bounds bind on `ratings` (a training fold's worth) as they do at one third."""
    train_share = (n_folds - 1) / n_folds
    per_movie = np.sort(ratings["movie_id"].value_counts().to_numpy())[::-1]
    movies = int(np.searchsorted(np.cumsum(per_movie) / per_movie.sum(), MOVIES_RATINGS_SHARE)) + 1
    per_user = ratings["user_id"].value_counts().to_numpy() * train_share
    pairs = int(np.sum(np.minimum(per_user, RATINGS_PER_USER) ** 2))
    # regression terms: one per (rating, rated neighbour) pair; ml-latest-small has 3.7M for 100k ratings
    all_terms = len(ratings) * train_share * TERMS_PER_RATING
    terms = max(1, int(REGRESSION_TERMS_SHARE * all_terms))
    blend_ratings = max(1, int(BLEND_RATINGS_SHARE * len(ratings) * train_share))
    base = BlendParams()
    hood = base.neighborhood
    return {
        f"similarity pass: the {movies:,} most-rated movies": replace(
            base, neighborhood=replace(hood, max_similarity_items=movies)
        ),
        f"co-rated pairs ≤ {pairs:,} (~{RATINGS_PER_USER} per user)": replace(
            base, neighborhood=replace(hood, max_corated_pairs=pairs)
        ),
        f"regression ≤ {terms:,} terms": replace(base, neighborhood=replace(hood, max_model_terms=terms)),
        "the three similarity and regression bounds together": replace(
            base,
            neighborhood=replace(hood, max_similarity_items=movies, max_corated_pairs=pairs, max_model_terms=terms),
        ),
        f"blend fit on ≤ {blend_ratings:,} ratings ({BLEND_RATINGS_SHARE:.0%})": replace(
            base, holdout_max_ratings=blend_ratings
        ),
        f"blend fit on ≤ {5 * blend_ratings:,} ratings ({5 * BLEND_RATINGS_SHARE:.0%})": replace(
            base, holdout_max_ratings=5 * blend_ratings
        ),
    }


def measure(db: Path, n_folds: int = 5, seed: int = 42) -> list[dict[str, object]]:
    ratings = load_ratings(db)
    configs = {"unbounded (as served on this data)": BlendParams(), **bound_as_at_one_third(ratings, n_folds)}
    rows: list[dict[str, object]] = []
    for name, params in configs.items():
        started = time.perf_counter()
        table, _ = cross_validate(ratings, params, seed, n_folds)
        blend = next(row for row in table if row["model"] == "blend")
        rows.append(
            {
                "bounds": name,
                "rmse": blend["rmse"],
                "mae": blend["mae"],
                "seconds": round(time.perf_counter() - started),
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Settings.from_env().db_path)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("core.models.neighbors").setLevel(logging.INFO)  # how many users each regression took
    print(json.dumps(measure(args.db, args.folds), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
