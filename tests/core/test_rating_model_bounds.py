"""The bounds that keep the blended rating model's training cost in check on large data.

Each bound is set tight on small data here, so it binds: the similarity pass's item and co-rated
pair caps, the neighbourhood regression's user sample, and the blend weights' user sample.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from core.models.blended_rating import BlendedPredictor, _user_sample
from core.models.common import build_rating_matrix
from core.models.neighbors import (
    NeighborhoodModel,
    SimilarityBudget,
    baseline_biases,
    cap_corated_pairs,
    item_neighbors,
)
from tests.core.test_eval_rating import PARAMS, _low_rank, _rmse, _small_matrix


def _residuals(seed: int = 11) -> tuple[sp.csr_matrix, object]:
    users, movies, stars = _low_rank(seed)
    _, _, matrix = build_rating_matrix(users, movies, stars)
    base = baseline_biases(matrix)
    return base.residuals(matrix), base


def test_corated_pair_cap_keeps_a_subset_within_the_budget() -> None:
    residuals, _ = _residuals()
    counts = np.diff(residuals.indptr)
    budget = int(np.sum(counts**2)) // 4
    capped = cap_corated_pairs(residuals, budget)
    kept = np.diff(capped.indptr)
    assert int(np.sum(kept**2)) <= budget < int(np.sum(counts**2))
    assert np.all(kept <= counts) and kept.max() < counts.max()  # only the heavy rows shrink
    light = counts <= kept.max()
    np.testing.assert_array_equal(kept[light], counts[light])
    original = set(zip(*residuals.nonzero(), strict=True))
    assert set(zip(*capped.nonzero(), strict=True)) <= original
    assert cap_corated_pairs(residuals, int(np.sum(counts**2))) is residuals  # within budget: untouched


def test_similarity_pass_covers_only_the_most_rated_items() -> None:
    matrix = _small_matrix()
    residuals = baseline_biases(matrix).residuals(matrix)
    counts = np.bincount(residuals.indices, minlength=matrix.shape[1])
    limited = item_neighbors(residuals, 100, 1.0, SimilarityBudget(max_items=5)).toarray()
    involved = np.flatnonzero((limited > 0).any(axis=0) | (limited > 0).any(axis=1))
    top5 = np.argsort(-counts, kind="stable")[:5]
    assert set(involved) <= set(top5) and len(involved) >= 2
    full = item_neighbors(residuals, 100, 1.0).toarray()
    inner = np.ix_(top5, top5)
    np.testing.assert_allclose(limited[inner], full[inner], atol=1e-6)  # same similarities among them


def test_sampled_regression_folds_in_the_other_users() -> None:
    residuals, base = _residuals()
    neighbors = item_neighbors(residuals, 30, 100.0)
    params = PARAMS.neighborhood
    full = NeighborhoodModel.train(residuals, base, neighbors, params)
    sampled = NeighborhoodModel.train(residuals, base, neighbors, replace(params, max_model_terms=20_000))
    assert not np.allclose(sampled.w, full.w)  # the bound did bind
    # Every user has a bias; the fold-in biases track the jointly solved ones.
    assert np.all(np.isfinite(sampled.user_bias))
    assert np.corrcoef(sampled.user_bias, full.user_bias)[0, 1] > 0.9
    assert np.corrcoef(sampled.item_bias, full.item_bias)[0, 1] > 0.9


def test_blend_weight_sample_takes_whole_users_within_the_budget() -> None:
    users, movies, stars = _low_rank()
    _, _, matrix = build_rating_matrix(users, movies, stars)
    sample = _user_sample(matrix, matrix.nnz // 3, np.random.default_rng(0))
    kept = np.diff(sample.indptr)
    assert 0 < sample.nnz <= matrix.nnz // 3 and sample.shape == matrix.shape
    assert np.all((kept == 0) | (kept == np.diff(matrix.indptr)))
    assert _user_sample(matrix, matrix.nnz, np.random.default_rng(0)) is matrix


def test_bounded_blend_stays_accurate() -> None:
    users, movies, stars = _low_rank()
    n_test = len(stars) // 10
    bounded = replace(
        PARAMS,
        holdout_max_ratings=len(stars) // 3,
        neighborhood=replace(PARAMS.neighborhood, max_model_terms=50_000, max_similarity_items=150),
    )
    args = (users[n_test:], movies[n_test:], stars[n_test:])
    truth = stars[:n_test]
    full = _rmse(BlendedPredictor.train(*args, PARAMS).predict_pairs(users[:n_test], movies[:n_test]), truth)
    small = _rmse(BlendedPredictor.train(*args, bounded).predict_pairs(users[:n_test], movies[:n_test]), truth)
    assert small < full + 0.05
