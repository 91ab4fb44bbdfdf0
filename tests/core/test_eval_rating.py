"""The rating models behind `predict_rating` (neighbourhood components, the blend) and the "rating" eval section.

Known answers come from data drawn from a low-rank + bias model and from brute-force computations
of the documented formulas on small matrices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.evaluation import rating
from core.evaluation.base import EvalContext
from core.models.biased_mf import BiasedMF, BiasedMFParams
from core.models.blended_rating import ENGINE, BlendedPredictor, BlendParams, load_rating_model
from core.models.common import build_rating_matrix
from core.models.neighbors import (
    BaselineParams,
    NeighborhoodModel,
    NeighborhoodParams,
    baseline_biases,
    item_neighbors,
    knn_residual,
    neighbor_hits,
    similarities_to,
)

N_USERS, N_ITEMS, RANK = 300, 200, 3
MU = 3.5
NOISE = 0.1
# Clean low-rank data wants far less regularisation than sparse, noisy MovieLens.
PARAMS = BlendParams(
    mf=BiasedMFParams(factors=5, reg_factors=0.1, epochs=20),
    neighborhood=NeighborhoodParams(max_neighbors=30, reg_weights=1.0),
)


def _truth(seed: int = 11) -> tuple[np.random.Generator, dict[str, np.ndarray]]:
    """The generator (positioned after the draws) and the true biases and factors."""
    rng = np.random.default_rng(seed)
    truth = {"bu": rng.normal(0, 0.3, N_USERS), "bi": rng.normal(0, 0.4, N_ITEMS)}
    truth["p"], truth["q"] = rng.normal(0, 0.6, (N_USERS, RANK)), rng.normal(0, 0.6, (N_ITEMS, RANK))
    return rng, truth


def _low_rank(seed: int = 11, density: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user ids, movie ids, stars) from μ + b_u + b_i + p_u·q_i + noise, ids offset from indices."""
    rng, truth = _truth(seed)
    bu, bi, p, q = truth["bu"], truth["bi"], truth["p"], truth["q"]
    users, items = np.nonzero(rng.random((N_USERS, N_ITEMS)) < density)
    value = MU + bu[users] + bi[items] + np.einsum("ij,ij->i", p[users], q[items]) + rng.normal(0, NOISE, len(users))
    order = rng.permutation(len(users))
    return (users + 1)[order], (items + 10_000)[order], np.clip(value, 0.5, 5.0)[order]


@pytest.fixture(scope="module")
def split() -> dict[str, np.ndarray]:
    users, movies, stars = _low_rank()
    n_test = len(stars) // 10
    return {
        "train_u": users[n_test:],
        "train_m": movies[n_test:],
        "train_r": stars[n_test:],
        "test_u": users[:n_test],
        "test_m": movies[:n_test],
        "test_r": stars[:n_test],
    }


@pytest.fixture(scope="module")
def model(split: dict[str, np.ndarray]) -> BlendedPredictor:
    return BlendedPredictor.train(split["train_u"], split["train_m"], split["train_r"], PARAMS)


def _rmse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.clip(pred, 0.5, 5.0) - truth) ** 2)))


def _small_matrix(seed: int = 3) -> sp.csr_matrix:
    """A 40×12 users×items matrix of stars, ~40% filled, sorted indices."""
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((40, 12)) < 0.4, rng.integers(1, 11, (40, 12)) / 2.0, 0.0)
    matrix = sp.csr_matrix(dense)
    matrix.sort_indices()
    return matrix


def _brute_similarity(z: np.ndarray, mask: np.ndarray, i: int, j: int, shrinkage: float) -> float:
    """The module docstring's formula, written out over the users who rated both items."""
    both = mask[:, i] & mask[:, j]
    n = int(both.sum())
    if n == 0 or i == j:
        return 0.0
    num = float(np.sum(z[both, i] * z[both, j]))
    den = float(np.sqrt(np.sum(z[both, i] ** 2) * np.sum(z[both, j] ** 2)))
    return 0.0 if den == 0 else num / den * max(n - 1, 0) / (max(n - 1, 0) + shrinkage)


# ------------------------------------------------------------------------------- components


def test_baseline_is_the_alternating_damped_mean() -> None:
    matrix = _small_matrix()
    params = BaselineParams(reg_user=2.0, reg_item=3.0, epochs=25)
    base = baseline_biases(matrix, params)
    dense, mask = matrix.toarray(), matrix.toarray() > 0
    mu = dense[mask].mean()
    # At the fixed point each bias is the damped mean of its residuals given the other side.
    resid_i = np.where(mask, dense - mu - base.user_bias[:, None], 0.0)
    np.testing.assert_allclose(base.item_bias, resid_i.sum(0) / (mask.sum(0) + 3.0), atol=1e-6)
    resid_u = np.where(mask, dense - mu - base.item_bias[None, :], 0.0)
    np.testing.assert_allclose(base.user_bias, resid_u.sum(1) / (mask.sum(1) + 2.0), atol=1e-6)
    assert base.global_mean == pytest.approx(mu)


def test_baseline_recovers_true_biases(split: dict[str, np.ndarray]) -> None:
    _, movies, matrix = build_rating_matrix(split["train_u"], split["train_m"], split["train_r"])
    base = baseline_biases(matrix)
    true_bi = _truth()[1]["bi"]
    assert np.corrcoef(base.item_bias, true_bi[movies.ids - 10_000])[0, 1] > 0.9


@pytest.mark.parametrize("shrinkage", [0.0, 5.0, 100.0])
def test_similarities_match_the_formula(shrinkage: float) -> None:
    matrix = _small_matrix()
    residuals = baseline_biases(matrix).residuals(matrix)
    z, mask = residuals.toarray(), matrix.toarray() > 0
    n_items = matrix.shape[1]
    brute = np.array([[_brute_similarity(z, mask, i, j, shrinkage) for j in range(n_items)] for i in range(n_items)])
    neighbors = item_neighbors(residuals, n_items, shrinkage)  # K ≥ items: every positive similarity kept
    np.testing.assert_allclose(neighbors.toarray(), np.where(brute > 0, brute, 0.0), atol=1e-6)
    by_item = residuals.tocsc()
    for target in (0, 5, 11):
        np.testing.assert_allclose(
            similarities_to(residuals, by_item, target, np.arange(n_items), shrinkage), brute[target], atol=1e-9
        )


def test_neighbor_lists_keep_the_k_most_similar() -> None:
    matrix = _small_matrix()
    residuals = baseline_biases(matrix).residuals(matrix)
    full = item_neighbors(residuals, 100, 0.0).toarray()
    top = item_neighbors(residuals, 3, 0.0)
    assert np.all(np.diff(top.indptr) <= 3)
    for i in range(matrix.shape[1]):
        kept = top[i].toarray().ravel()
        expected = np.sort(full[i])[::-1][:3]
        np.testing.assert_allclose(np.sort(kept[kept > 0])[::-1], expected[expected > 0], atol=1e-6)


def test_knn_residual_is_the_similarity_weighted_mean_of_the_top_k() -> None:
    sims = np.array([0.9, 0.1, 0.5, 0.3, 0.8])
    residual = np.array([1.0, 10.0, -1.0, 5.0, 2.0])
    row = np.array([0, 0, 0, 1, 1])
    value, mass = knn_residual(sims, residual, row, 3, k=2)
    assert value[0] == pytest.approx((0.9 * 1.0 + 0.5 * -1.0) / 1.4)  # 0.1 is not among the top 2
    assert value[1] == pytest.approx((0.3 * 5.0 + 0.8 * 2.0) / 1.1)
    assert value[2] == 0.0 and mass[2] == 0.0
    np.testing.assert_allclose(mass[:2], [1.4, 1.1])


def test_neighborhood_model_is_the_exact_ridge_solution() -> None:
    matrix = _small_matrix()
    base = baseline_biases(matrix)
    residuals = base.residuals(matrix)
    neighbors = item_neighbors(residuals, 4, 1.0)
    params = NeighborhoodParams(max_neighbors=4, shrinkage=1.0, reg_weights=2.0, reg_bias=0.5)
    model = NeighborhoodModel.train(residuals, base, neighbors, params)
    # Dense design: one row per rating, columns [b_u, b_i, w, c]; ridge with per-block weights.
    n_users, n_items = matrix.shape
    n_pairs = neighbors.nnz
    rows, target = [], []
    for u in range(n_users):
        lo, hi = residuals.indptr[u], residuals.indptr[u + 1]
        rated, z = residuals.indices[lo:hi], residuals.data[lo:hi]
        for pos, i in enumerate(rated):
            x = np.zeros(n_users + n_items + 2 * n_pairs)
            x[u] = x[n_users + i] = 1.0
            hits = neighbor_hits(neighbors, rated, np.array([i]))
            for pair, r in zip(hits.pair, hits.rated, strict=True):
                x[n_users + n_items + pair] = z[r] / np.sqrt(len(hits.pair))
                x[n_users + n_items + n_pairs + pair] = 1.0 / np.sqrt(len(hits.pair))
            rows.append(x)
            target.append(matrix.data[lo + pos] - base.global_mean)
    x, y = np.array(rows), np.array(target)
    reg = np.r_[np.full(n_users + n_items, 0.5), np.full(2 * n_pairs, 2.0)]
    solution = np.linalg.solve(x.T @ x + np.diag(reg), x.T @ y)
    np.testing.assert_allclose(model.user_bias, solution[:n_users], atol=1e-4)
    np.testing.assert_allclose(model.item_bias, solution[n_users : n_users + n_items], atol=1e-4)
    np.testing.assert_allclose(model.w, solution[n_users + n_items : n_users + n_items + n_pairs], atol=1e-4)
    np.testing.assert_allclose(model.c, solution[n_users + n_items + n_pairs :], atol=1e-4)


# ------------------------------------------------------------------------------------ blend


def test_blend_beats_its_components_and_the_baselines(model: BlendedPredictor, split: dict[str, np.ndarray]) -> None:
    truth = split["test_r"]
    blend = _rmse(model.predict_pairs(split["test_u"], split["test_m"]), truth)
    mf = BiasedMF.train(split["train_u"], split["train_m"], split["train_r"], PARAMS.mf)
    pairs = zip(split["test_u"], split["test_m"], strict=True)
    mf_rmse = _rmse(np.array([mf.predict(int(u), int(m)) for u, m in pairs]), truth)
    global_rmse = float(np.sqrt(np.mean((truth - split["train_r"].mean()) ** 2)))
    assert model.engine == ENGINE  # enough data for the full feature-weighted blend
    assert blend < 0.4 * global_rmse
    assert blend < 3 * NOISE
    assert blend <= mf_rmse * 1.02  # never materially worse than the MF it blends


def test_component_predictions_include_the_blend(model: BlendedPredictor, split: dict[str, np.ndarray]) -> None:
    user = int(split["train_u"][0])
    movies = np.array([m for m in np.unique(split["train_m"])[:20]])
    parts = model.component_predictions(user, movies)
    assert set(parts) == {"baseline", "mf", "gnm", "knn", "blend"}
    np.testing.assert_allclose(parts["blend"], model.predict_many(user, movies))
    np.testing.assert_allclose(parts["mf"], model.mf.predict_many(user, movies))


def test_unknown_user_or_movie_fall_back_to_baseline_biases(model: BlendedPredictor) -> None:
    movie, user = 10_003, 7
    assert model.predict(999_999, movie) == pytest.approx(model.global_mean + model.movie_bias(movie))
    assert model.predict(user, 5) == pytest.approx(model.global_mean + model.user_bias(user))
    assert model.predict(999_999, 5) == pytest.approx(model.global_mean)
    assert model.confidence(999_999, movie) == 0.0 and 0.0 < model.confidence(user, movie) < 1.0
    assert 0.5 <= model.predict_clamped(user, movie) <= 5.0


def test_fold_in_beats_the_fallback_for_an_unseen_user(split: dict[str, np.ndarray]) -> None:
    mask = split["train_u"] != 1
    m = BlendedPredictor.train(split["train_u"][mask], split["train_m"][mask], split["train_r"][mask], PARAMS)
    movies, stars = split["train_m"][~mask], split["train_r"][~mask]
    half = len(movies) // 2
    known = {int(mv): float(r) for mv, r in zip(movies[:half], stars[:half], strict=True)}
    folded = _rmse(m.predict_from_ratings(known, movies[half:]), stars[half:])
    fallback = _rmse(m.predict_many(1, movies[half:]), stars[half:])
    assert folded < 0.7 * fallback
    np.testing.assert_allclose(m.predict_from_ratings({}, movies[half:]), m.predict_many(1, movies[half:]))


def test_evidence_is_the_users_most_similar_rated_movies(model: BlendedPredictor) -> None:
    user = 5
    rated = model.user_ratings(user)
    target = next(10_000 + i for i in range(N_ITEMS) if 10_000 + i not in rated)
    evidence = model.similar_rated_by_user(user, target, rated, top=5)
    assert evidence and len(evidence) <= 5
    assert all(mid in rated and rated[mid] == stars and sim > 0 for mid, stars, sim in evidence)
    sims = [s for _, _, s in evidence]
    assert sims == sorted(sims, reverse=True)
    assert model.similar_rated_by_user(user, 5, rated) == []  # unknown movie
    assert model.similar_rated_by_user(999_999, target) == []  # no ratings


def test_bytes_round_trip_is_identical(model: BlendedPredictor, split: dict[str, np.ndarray]) -> None:
    blob = model.to_bytes()
    again = load_rating_model(blob)
    assert isinstance(again, BlendedPredictor) and again.params == model.params
    np.testing.assert_array_equal(
        again.predict_pairs(split["test_u"], split["test_m"]), model.predict_pairs(split["test_u"], split["test_m"])
    )
    assert again.similar_rated_by_user(7, 10_001) == model.similar_rated_by_user(7, 10_001)
    assert again.engine == model.engine and again.global_mean == model.global_mean
    assert again.to_bytes() == blob


def test_load_rating_model_reads_an_older_mf_blob_and_rejects_garbage(split: dict[str, np.ndarray]) -> None:
    mf = BiasedMF.train(split["train_u"][:2000], split["train_m"][:2000], split["train_r"][:2000])
    assert isinstance(load_rating_model(mf.to_bytes()), BiasedMF)
    with pytest.raises(ValueError):
        load_rating_model(b"\x00garbage")
    with pytest.raises(ValueError):
        BlendedPredictor.from_bytes(mf.to_bytes())


def test_training_is_deterministic(split: dict[str, np.ndarray]) -> None:
    args = (split["train_u"][:3000], split["train_m"][:3000], split["train_r"][:3000], PARAMS)
    assert BlendedPredictor.train(*args).to_bytes() == BlendedPredictor.train(*args).to_bytes()


def test_tiny_data_uses_the_mf_alone() -> None:
    users, movies, stars = _low_rank(density=0.01)
    keep = slice(0, 300)
    m = BlendedPredictor.train(users[keep], movies[keep], stars[keep], PARAMS)
    assert m.engine == "biased-mf"
    np.testing.assert_allclose(
        m.predict_many(int(users[0]), movies[:10]), m.mf.predict_many(int(users[0]), movies[:10])
    )


def test_blend_params_json_round_trip() -> None:
    assert BlendParams.from_json(PARAMS.to_json()) == PARAMS
    with pytest.raises(ValueError):
        BlendParams(holdout_fraction=0.0)
    with pytest.raises(ValueError):
        NeighborhoodParams(reg_weights=0.0)


# ---------------------------------------------------------------------------- eval section


def test_fold_assignment_is_balanced_and_seeded() -> None:
    folds = rating.fold_assignment(1003, 5, seed=42)
    assert set(np.bincount(folds)) <= {200, 201}
    np.testing.assert_array_equal(folds, rating.fold_assignment(1003, 5, seed=42))
    assert not np.array_equal(folds, rating.fold_assignment(1003, 5, seed=43))


def test_quick_run_reports_every_model() -> None:
    users, movies, stars = _low_rank(density=0.1)
    ratings = pd.DataFrame({"user_id": users, "movie_id": movies, "rating": stars, "timestamp": 0})
    result = rating.run(EvalContext(db_path=Path("unused.db"), ratings=ratings, quick=True))
    assert result.name == "rating"
    by_model = {row["model"]: row for row in result.table}
    assert list(by_model) == list(rating.MODEL_ORDER)
    assert all(np.isfinite(row["rmse"]) and row["mae"] <= row["rmse"] for row in result.table)
    assert by_model["blend"]["rmse"] < by_model["user + item biases"]["rmse"] < by_model["global mean"]["rmse"]
    assert by_model["blend"]["predict_ms"] is not None
    assert result.targets and result.targets[0].value == by_model["blend"]["rmse"]
    assert any("quick run" in note for note in result.notes)


def test_search_scores_every_candidate_on_each_outer_fold() -> None:
    users, movies, stars = _low_rank(density=0.08)
    ratings = pd.DataFrame({"user_id": users, "movie_id": movies, "rating": stars})
    grid = {"mf.reg_factors": (0.1, 0.5), "neighborhood.max_neighbors": (10,), "neighborhood.reg_weights": (1.0, 3.0)}
    rows = rating.search(ratings, seed=1, n_folds=2, grid=grid)
    assert len(rows) == 2 * (2 + 2)  # per fold: 2 MF candidates, 1 × 2 neighbourhood candidates
    assert {r["component"] for r in rows} == {"mf", "neighbourhood"}
    assert all(0.0 < float(r["rmse"]) < 1.5 for r in rows)
