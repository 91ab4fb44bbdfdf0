"""benchmarks.predictor_bounds: each emulated bound binds on the ratings it is made for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from benchmarks.predictor_bounds import TERMS_PER_RATING, bound_as_at_one_third
from core.models.blended_rating import BlendParams


def _ratings(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 400, 60_000)
    movies = (rng.zipf(1.3, 60_000) % 5_000) + 1  # long-tailed popularity, as real catalogues have
    return pd.DataFrame({"user_id": users, "movie_id": movies, "rating": rng.integers(1, 11, 60_000) / 2})


def test_every_emulated_bound_is_tighter_than_the_data_and_the_rest_stay_as_served() -> None:
    ratings = _ratings()
    configs = bound_as_at_one_third(ratings, n_folds=5)
    served = BlendParams()
    per_user = ratings["user_id"].value_counts().to_numpy() * 0.8
    assert len(configs) == 6  # three similarity/regression bounds, them together, the blend at two sizes
    for name, params in configs.items():
        hood = params.neighborhood
        if hood.max_similarity_items != served.neighborhood.max_similarity_items:
            assert hood.max_similarity_items < ratings["movie_id"].nunique(), name  # fewer than the catalogue
        if hood.max_corated_pairs != served.neighborhood.max_corated_pairs:
            assert hood.max_corated_pairs < np.sum(per_user**2), name
        if hood.max_model_terms != served.neighborhood.max_model_terms:
            assert hood.max_model_terms < 0.05 * 0.8 * len(ratings) * TERMS_PER_RATING, name
        if params.holdout_max_ratings != served.holdout_max_ratings:
            assert params.holdout_max_ratings < 0.8 * len(ratings), name
        reset = replace(
            params,
            holdout_max_ratings=served.holdout_max_ratings,
            neighborhood=replace(
                hood,
                max_similarity_items=served.neighborhood.max_similarity_items,
                max_corated_pairs=served.neighborhood.max_corated_pairs,
                max_model_terms=served.neighborhood.max_model_terms,
            ),
        )
        assert reset != params and reset == served, name  # some bound moved, and nothing else
