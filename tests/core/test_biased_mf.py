"""Biased MF rating predictor on data drawn from a known low-rank + bias model."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.models.biased_mf import BiasedMF, BiasedMFParams
from core.models.common import IdIndex

N_USERS, N_ITEMS, RANK = 300, 200, 3
MU = 3.5
NOISE = 0.1
# The real-data defaults regularise hard (tuned for sparse, noisy MovieLens); this clean data needs less.
PARAMS = BiasedMFParams(factors=5, reg_factors=0.1, epochs=20)


def _truth() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "bu": rng.normal(0.0, 0.3, N_USERS),
        "bi": rng.normal(0.0, 0.4, N_ITEMS),
        "p": rng.normal(0.0, 0.6, (N_USERS, RANK)),
        "q": rng.normal(0.0, 0.6, (N_ITEMS, RANK)),
    }


def _ratings(truth: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """~25% of all (user, item) pairs, with user/item ids offset from the indices."""
    rng = np.random.default_rng(12)
    users, items = np.nonzero(rng.random((N_USERS, N_ITEMS)) < 0.25)
    value = MU + truth["bu"][users] + truth["bi"][items] + np.einsum("ij,ij->i", truth["p"][users], truth["q"][items])
    value += rng.normal(0.0, NOISE, len(value))
    order = rng.permutation(len(users))
    return (users + 1)[order], (items + 10_000)[order], np.clip(value, 0.5, 5.0)[order]


@pytest.fixture(scope="module")
def split() -> dict[str, np.ndarray]:
    users, movies, ratings = _ratings(_truth())
    n_test = len(ratings) // 10
    return {
        "train_u": users[n_test:],
        "train_m": movies[n_test:],
        "train_r": ratings[n_test:],
        "test_u": users[:n_test],
        "test_m": movies[:n_test],
        "test_r": ratings[:n_test],
    }


@pytest.fixture(scope="module")
def model(split: dict[str, np.ndarray]) -> BiasedMF:
    return BiasedMF.train(split["train_u"], split["train_m"], split["train_r"], PARAMS)


def _rmse(model: BiasedMF, users: np.ndarray, movies: np.ndarray, ratings: np.ndarray) -> float:
    pred = np.array([model.predict_clamped(int(u), int(m)) for u, m in zip(users, movies, strict=True)])
    return float(np.sqrt(np.mean((pred - ratings) ** 2)))


def _handmade() -> BiasedMF:
    """A 2-user × 4-movie predictor with hand-set parameters, for exact expectations."""
    users = IdIndex.from_ids(np.array([1, 2]))
    movies = IdIndex.from_ids(np.array([10, 20, 30, 40]))
    q = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    p = np.array([[1.0, 0.0], [-1.0, 0.0]])
    ratings = sp.csr_matrix(np.array([[5.0, 4.0, 3.0, 0.0], [1.0, 0.0, 2.0, 1.5]]))
    return BiasedMF(
        BiasedMFParams(factors=2),
        global_mean=4.0,
        user_index=users,
        movie_index=movies,
        user_factors=p,
        item_factors=q,
        user_bias=np.array([0.5, -1.0]),
        item_bias=np.array([0.25, 0.0, -0.5, -2.0]),
        ratings=ratings,
    )


# ----------------------------------------------------------------------------------- accuracy


def test_held_out_rmse_is_far_below_the_baselines(model: BiasedMF, split: dict[str, np.ndarray]) -> None:
    test_r = split["test_r"]
    global_baseline = float(np.sqrt(np.mean((test_r - split["train_r"].mean()) ** 2)))
    bias_only = BiasedMF.train(
        split["train_u"], split["train_m"], split["train_r"], BiasedMFParams(factors=0, epochs=1)
    )
    bias_rmse = _rmse(bias_only, split["test_u"], split["test_m"], test_r)
    rmse = _rmse(model, split["test_u"], split["test_m"], test_r)
    assert rmse < 0.4 * global_baseline
    # The factors must carry the interaction signal the biases cannot.
    assert rmse < 0.6 * bias_rmse
    assert rmse < 3 * NOISE


def test_learned_biases_track_the_true_ones(model: BiasedMF) -> None:
    truth = _truth()
    learned_bi = np.array([model.predict(999_999, 10_000 + i) - model.global_mean for i in range(N_ITEMS)])
    assert np.corrcoef(learned_bi, truth["bi"])[0, 1] > 0.9
    assert abs(model.global_mean - MU) < 0.2


def test_training_is_deterministic(split: dict[str, np.ndarray]) -> None:
    args = (split["train_u"][:3000], split["train_m"][:3000], split["train_r"][:3000], PARAMS)
    assert BiasedMF.train(*args).to_bytes() == BiasedMF.train(*args).to_bytes()


def test_train_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        BiasedMF.train(np.array([1, 2]), np.array([1, 2]), np.array([4.0]))
    with pytest.raises(ValueError):
        BiasedMF.train(np.array([1]), np.array([1]), np.array([-1.0]))
    with pytest.raises(ValueError):
        BiasedMFParams(epochs=0)


# --------------------------------------------------------------------------------- predictions


def test_prediction_is_the_biased_dot_product() -> None:
    m = _handmade()
    # μ + b_u + b_i + p·q = 4 + 0.5 + 0.25 + 1.0
    assert m.predict(1, 10) == pytest.approx(5.75)
    assert m.predict(2, 40) == pytest.approx(4.0 - 1.0 - 2.0 + 1.0)
    np.testing.assert_allclose(m.predict_many(1, np.array([10, 30, 99])), [5.75, 4.0, 4.5])


def test_predictions_are_clamped_to_the_star_scale() -> None:
    m = _handmade()
    assert m.predict(1, 10) > 5.0 and m.predict_clamped(1, 10) == 5.0
    assert m.predict(2, 10) == pytest.approx(2.25) and m.predict_clamped(2, 10) == pytest.approx(2.25)
    assert m.predict(2, 30) == pytest.approx(2.5)
    low = BiasedMF(
        m.params, 1.0, m._users, m._movies, m._p, m._q, np.array([0.0, -1.0]), np.array([0.0, 0, 0, -1.0]), m._ratings
    )
    assert low.predict(2, 40) < 0.5 and low.predict_clamped(2, 40) == 0.5


def test_clamped_predictions_of_a_trained_model_stay_in_range(model: BiasedMF) -> None:
    values = [model.predict_clamped(u, 10_000 + i) for u in range(1, 40) for i in range(N_ITEMS)]
    assert min(values) >= 0.5 and max(values) <= 5.0


def test_unknown_user_or_movie_fall_back_to_biases() -> None:
    m = _handmade()
    assert m.predict(999, 10) == pytest.approx(4.0 + 0.25)  # μ + b_i
    assert m.predict(2, 999) == pytest.approx(4.0 - 1.0)  # μ + b_u
    assert m.predict(999, 999) == pytest.approx(4.0)  # μ
    assert m.global_mean == 4.0


def test_fold_in_beats_the_item_bias_fallback_for_an_unseen_user(split: dict[str, np.ndarray]) -> None:
    # Train without user 1, then predict half of their ratings from the other half.
    mask = split["train_u"] != 1
    m = BiasedMF.train(split["train_u"][mask], split["train_m"][mask], split["train_r"][mask], PARAMS)
    assert not m.has_user(1)
    movies, ratings = split["train_m"][~mask], split["train_r"][~mask]
    half = len(movies) // 2
    known = {int(mv): float(r) for mv, r in zip(movies[:half], ratings[:half], strict=True)}
    folded = np.clip(m.predict_from_ratings(known, movies[half:]), 0.5, 5.0)
    fallback = np.array([m.predict_clamped(1, int(mv)) for mv in movies[half:]])
    assert np.sqrt(np.mean((folded - ratings[half:]) ** 2)) < 0.7 * np.sqrt(np.mean((fallback - ratings[half:]) ** 2))
    np.testing.assert_allclose(m.predict_from_ratings({}, movies[half:]), fallback, atol=1e-9)


# ---------------------------------------------------------------------------------- confidence


def test_counts_and_confidence_grow_with_the_number_of_ratings() -> None:
    m = _handmade()
    assert m.n_ratings_of_user(1) == 3 and m.n_ratings_of_user(2) == 3 and m.n_ratings_of_user(9) == 0
    assert [m.n_ratings_of_movie(x) for x in (10, 20, 30, 40, 99)] == [2, 1, 2, 1, 0]
    assert m.confidence(1, 10) > m.confidence(1, 20) > 0.0
    assert m.confidence(9, 10) == 0.0 and m.confidence(1, 99) == 0.0
    assert m.confidence(1, 10) == pytest.approx(3 / 13 * 2 / 12)


def test_confidence_is_monotone_in_counts_on_trained_data(model: BiasedMF) -> None:
    users = sorted(range(1, N_USERS + 1), key=model.n_ratings_of_user)
    few, many = users[0], users[-1]
    assert model.n_ratings_of_user(few) < model.n_ratings_of_user(many)
    movie = 10_000
    assert 0.0 < model.confidence(few, movie) < model.confidence(many, movie) < 1.0


# ------------------------------------------------------------------------------------ evidence


def test_evidence_lists_the_users_rated_movies_most_similar_first() -> None:
    m = _handmade()
    evidence = m.similar_rated_by_user(1, 10, {20: 4.0, 30: 3.0, 40: 1.0, 777: 5.0, 10: 5.0})
    assert [e[0] for e in evidence] == [20, 30, 40]  # unknown 777 and the target itself are skipped
    assert [e[1] for e in evidence] == [4.0, 3.0, 1.0]
    assert evidence[0][2] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    assert evidence[1][2] == pytest.approx(0.0) and evidence[2][2] == pytest.approx(-1.0)
    assert [e[0] for e in m.similar_rated_by_user(1, 10, {20: 4.0, 30: 3.0, 40: 1.0}, top=1)] == [20]


def test_evidence_defaults_to_training_ratings_and_handles_unknowns() -> None:
    m = _handmade()
    assert m.similar_rated_by_user(2, 20) == [
        (10, 1.0, pytest.approx(0.9 / np.hypot(0.9, 0.1))),
        (30, 2.0, pytest.approx(0.1 / np.hypot(0.9, 0.1))),
        (40, 1.5, pytest.approx(-0.9 / np.hypot(0.9, 0.1))),
    ]
    assert m.similar_rated_by_user(1, 999, {10: 5.0}) == []
    assert m.similar_rated_by_user(9, 10) == []


def test_evidence_on_trained_data_comes_from_the_users_ratings(model: BiasedMF) -> None:
    user = 5
    rated = model.user_ratings(user)
    assert rated
    target = next(10_000 + i for i in range(N_ITEMS) if 10_000 + i not in rated)
    evidence = model.similar_rated_by_user(user, target, rated, top=5)
    assert len(evidence) == 5
    assert all(mid in rated and rated[mid] == stars for mid, stars, _ in evidence)
    sims = [s for _, _, s in evidence]
    assert sims == sorted(sims, reverse=True)


# ---------------------------------------------------------------------------------- persistence


def test_bytes_round_trip_is_identical(model: BiasedMF) -> None:
    again = BiasedMF.from_bytes(model.to_bytes())
    assert again.params == model.params
    assert again.global_mean == model.global_mean
    movies = np.array([10_000 + i for i in range(N_ITEMS)] + [5])
    for user in (1, 2, 150, 300, 999_999):
        np.testing.assert_array_equal(again.predict_many(user, movies), model.predict_many(user, movies))
        assert again.confidence(user, 10_003) == model.confidence(user, 10_003)
        assert again.n_ratings_of_user(user) == model.n_ratings_of_user(user)
    assert again.similar_rated_by_user(7, 10_001) == model.similar_rated_by_user(7, 10_001)


def test_from_bytes_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        BiasedMF.from_bytes(b"\x00garbage")


# --------------------------------------------------------------------- matrix fit and fold-in


def test_fit_matrix_equals_train_and_allows_empty_rows(split: dict[str, np.ndarray]) -> None:
    from core.models.common import build_rating_matrix

    users, movies, matrix = build_rating_matrix(split["train_u"], split["train_m"], split["train_r"])
    direct = BiasedMF.fit_matrix(matrix, users, movies, PARAMS)
    assert direct.to_bytes() == BiasedMF.train(split["train_u"], split["train_m"], split["train_r"], PARAMS).to_bytes()
    # Dropping one user's and one movie's ratings keeps the indices; their factors and biases stay 0.
    dense = matrix.toarray()
    dense[0, :] = 0.0
    dense[:, 0] = 0.0
    holed = sp.csr_matrix(dense.astype(np.float32))
    m = BiasedMF.fit_matrix(holed, users, movies, PARAMS)
    assert np.all(m._p[0] == 0.0) and m._bu[0] == 0.0 and np.all(m._q[0] == 0.0)
    assert m.n_users == len(users) and np.isfinite(m._train_rmse())


def test_fold_in_is_what_predict_from_ratings_uses(model: BiasedMF) -> None:
    rated = model.user_ratings(3)
    idx = model._movies.indices_of(np.array(list(rated)))
    p, bu = model.fold_in(idx, np.array(list(rated.values())))
    target = np.array([10_000, 10_001])
    expected = (
        model.global_mean
        + bu
        + model._bi[model._movies.indices_of(target)]
        + model._q[model._movies.indices_of(target)] @ p
    )
    np.testing.assert_allclose(model.predict_from_ratings(rated, target), expected)
    assert model.engine == "biased-mf"
