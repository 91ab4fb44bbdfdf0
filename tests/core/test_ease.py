"""EASE on data with known answers: two disjoint taste blocks, the closed form, fold-in, evidence, blobs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.models.ease import (
    EaseParams,
    EaseRecommender,
    ease_weights,
    interaction_matrix,
    round_to_float16,
)

BLOCK_A = list(range(1, 11))  # movie ids 1-10
BLOCK_B = list(range(101, 111))  # movie ids 101-110


def checkerboard(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users 1-20 rate only block A, users 21-40 only block B; each user rates 6 of their block's 10."""
    rng = np.random.default_rng(seed)
    users, movies, stars = [], [], []
    for user in range(1, 41):
        block = BLOCK_A if user <= 20 else BLOCK_B
        for movie in rng.choice(block, size=6, replace=False):
            users.append(user)
            movies.append(int(movie))
            stars.append(float(rng.choice([3.0, 4.0, 5.0])))
    return np.array(users), np.array(movies), np.array(stars)


@pytest.fixture(scope="module")
def model() -> EaseRecommender:
    return EaseRecommender.train(*checkerboard(), EaseParams(l2=2.0, binary=True, min_item_ratings=1))


def test_weights_match_the_closed_form_and_have_a_zero_diagonal() -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((30, 12)) < 0.4).astype(np.float64)
    g = x.T @ x
    b = ease_weights(g, 3.0)
    p = np.linalg.inv(g + 3.0 * np.eye(12))
    expected = np.eye(12) - p / np.diag(p)[None, :]
    assert b.dtype == np.float32
    np.testing.assert_allclose(b, expected, atol=1e-5)
    assert np.all(np.diag(b) == 0.0)


def test_each_user_gets_their_own_blocks_unrated_movies(model: EaseRecommender) -> None:
    users, movies, _ = checkerboard()
    for user in (1, 7, 21, 33):
        rated = set(movies[users == user].tolist())
        own = BLOCK_A if user <= 20 else BLOCK_B
        picks = model.recommend_for_user(user, 10)
        assert len(picks) == 10 and not {m for m, _ in picks} & rated
        # Own-block movies come first: every positive score is an unrated movie of the user's block.
        assert picks[0][1] > 0 and picks[0][0] in own
        assert {m for m, s in picks if s > 0} <= set(own) - rated
        # The blocks never co-occur, so B is block-diagonal: the other block scores exactly zero.
        scores, _ = model.user_scores(user)  # type: ignore[misc]
        other = model.movie_index.indices_of(np.array(BLOCK_B if user <= 20 else BLOCK_A))
        assert np.all(scores[other] == 0.0)


def test_scores_are_the_users_row_times_b(model: EaseRecommender) -> None:
    users, movies, _ = checkerboard()
    rated = movies[users == 3]
    scores, row = model.user_scores(3)  # type: ignore[misc]
    dense_b = model.dense_weights()
    x = np.zeros(model.n_items)
    x[model.movie_index.indices_of(rated)] = 1.0
    np.testing.assert_allclose(scores, x @ dense_b, rtol=1e-6)
    assert row.nnz == len(rated)


def test_fold_in_from_liked_movies_recommends_their_block_and_never_the_liked(model: EaseRecommender) -> None:
    picks = model.recommend_from_liked([101, 102, 103], 5)
    ids = [m for m, _ in picks]
    assert len(ids) == 5 and set(ids) <= set(BLOCK_B) - {101, 102, 103}
    assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)
    # Binary X: stars do not matter, and unknown ids are ignored.
    assert model.recommend_from_liked({101: 1.0, 102: 5.0, 103: 3.0, 99999: 5.0}, 5) == picks
    assert model.recommend_from_liked([99999], 5) == []


def test_candidates_restrict_the_ranking(model: EaseRecommender) -> None:
    picks = model.recommend_for_user(1, 10, candidate_movie_ids=np.array([5, 6, 105, 424242]))
    users, movies, _ = checkerboard()
    allowed = {5, 6, 105} - set(movies[users == 1].tolist())
    assert {m for m, _ in picks} <= allowed and len(picks) == len(allowed)


def test_evidence_is_x_j_times_b_ji_over_rated_movies(model: EaseRecommender) -> None:
    users, movies, _ = checkerboard()
    rated = set(movies[users == 2].tolist())
    target = model.recommend_for_user(2, 1)[0][0]
    evidence = model.explain_for_user(2, target, top=3)
    assert evidence and len(evidence) <= 3 and {m for m, _ in evidence} <= rated
    dense_b = model.dense_weights()
    col = model.movie_index.index_of(target)
    for movie_id, value in evidence:
        assert value == pytest.approx(float(dense_b[model.movie_index.index_of(movie_id), col]), rel=1e-6)
        assert value > 0
    assert [v for _, v in evidence] == sorted((v for _, v in evidence), reverse=True)
    # The contributions of every rated movie add up to the pick's score.
    total = sum(v for _, v in model.contributions(model.rating_row(2), target))  # type: ignore[arg-type]
    assert total == pytest.approx(model.recommend_for_user(2, 1)[0][1], rel=1e-5)
    assert model.explain_from_liked([101, 102], 103, top=2) and model.explain_for_user(999, target) == []


def test_evidence_for_many_picks_is_each_picks_column_of_b(model: EaseRecommender) -> None:
    # The batched lookup of B[rated, picks] must give every pick exactly its own dense column's values.
    dense_b = model.dense_weights()
    for user in (1, 2, 7):
        row = model.rating_row(user)
        assert row is not None
        picks = [m for m, _ in model.recommend_for_user(user, 5)] + [999999]  # an unknown id gets []
        many = model.explain_many_for_user(user, picks, top=10)
        assert many[-1] == []
        for movie_id, evidence in zip(picks[:-1], many, strict=False):
            col = model.movie_index.index_of(movie_id)
            expected = sorted(
                (
                    (int(model.movie_index.id_at(int(j))), float(dense_b[j, col]))
                    for j in row.indices
                    if dense_b[j, col] > 0
                ),
                key=lambda p: -p[1],
            )[:10]
            assert [m for m, _ in evidence] == [m for m, _ in expected]
            np.testing.assert_allclose([v for _, v in evidence], [v for _, v in expected], rtol=1e-6)
    assert model.explain_many_from_liked([101, 102], [103, 104], top=2) == [
        model.explain_from_liked([101, 102], 103, top=2),
        model.explain_from_liked([101, 102], 104, top=2),
    ]


def test_star_valued_x_weights_contributions_by_stars() -> None:
    users, movies, stars = checkerboard()
    stars_model = EaseRecommender.train(users, movies, stars, EaseParams(l2=2.0, binary=False, min_item_ratings=1))
    row = sp.csr_matrix(np.array([[2.0, 0.0, 4.0]]))
    assert interaction_matrix(row, binary=True).toarray().tolist() == [[1.0, 0.0, 1.0]]
    assert interaction_matrix(row, binary=False).toarray().tolist() == [[2.0, 0.0, 4.0]]
    # Doubling a liked movie's stars doubles its contribution.
    one = dict(stars_model.contributions(stars_model.liked_row({101: 2.0, 102: 5.0}), 103))
    two = dict(stars_model.contributions(stars_model.liked_row({101: 4.0, 102: 5.0}), 103))
    assert two[101] == pytest.approx(2 * one[101], rel=1e-6) and two[102] == pytest.approx(one[102], rel=1e-6)


def test_movies_below_min_item_ratings_are_never_recommended() -> None:
    users, movies, stars = checkerboard()
    users = np.append(users, [1, 2])
    movies = np.append(movies, [500, 501])  # each rated once
    stars = np.append(stars, [5.0, 5.0])
    model = EaseRecommender.train(users, movies, stars, EaseParams(l2=2.0, min_item_ratings=2))
    assert {500, 501}.isdisjoint(model.modelled_movie_ids.tolist())
    for user in range(1, 21):
        assert {500, 501}.isdisjoint(m for m, _ in model.recommend_for_user(user, 20))


def test_weights_are_the_closed_form_at_float16_precision() -> None:
    users, movies, stars = checkerboard()
    model = EaseRecommender.train(users, movies, stars, EaseParams(l2=2.0, binary=True, min_item_ratings=1))
    x = interaction_matrix(model._ratings, binary=True).toarray()
    exact = ease_weights(x.T @ x, 2.0)
    b = model.dense_weights()
    assert np.array_equal(b, b.astype(np.float16).astype(np.float64))  # every weight is a float16 value
    np.testing.assert_allclose(b, exact, rtol=1e-3, atol=1e-4)
    assert np.array_equal(round_to_float16(exact), round_to_float16(round_to_float16(exact)))


def test_blob_round_trip_without_pickle(model: EaseRecommender) -> None:
    blob = model.to_bytes()
    again = EaseRecommender.from_bytes(blob)
    assert again.params == model.params
    assert np.array_equal(again.dense_weights(), model.dense_weights())
    for user in (1, 25):
        assert again.recommend_for_user(user, 5) == model.recommend_for_user(user, 5)
    assert again.recommend_from_liked([1, 2], 3) == model.recommend_from_liked([1, 2], 3)
    assert again.nbytes == model.nbytes > 0
    with pytest.raises(ValueError, match="ease"):
        EaseRecommender.from_bytes(b"not an npz")


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        EaseParams(l2=0.0)
    with pytest.raises(ValueError):
        EaseParams(min_item_ratings=0)


def test_unmodelled_movies_with_low_ids_do_not_shift_the_weights() -> None:
    # Movies 0 and 11 are rated once (below min_item_ratings=2) and sort before (and between) the blocks in
    # the movie index, so B's rows/columns are NOT the movie index: scores and evidence must still use each
    # movie's own weights.
    users, movies, stars = checkerboard()
    users = np.append(users, [1, 21])
    movies = np.append(movies, [0, 11])
    stars = np.append(stars, [5.0, 5.0])
    model = EaseRecommender.train(users, movies, stars, EaseParams(l2=2.0, binary=True, min_item_ratings=2))
    assert {0, 11}.isdisjoint(model.modelled_movie_ids.tolist())
    b = model.dense_weights()
    assert not b[model.movie_index.index_of(0)].any() and not b[:, model.movie_index.index_of(11)].any()
    for user in (1, 2, 25):
        row = model.rating_row(user)
        assert row is not None
        x = interaction_matrix(row, binary=True).toarray()[0]
        expected = x @ b
        for movie_id, score in model.recommend_for_user(user, 5):
            assert score == pytest.approx(expected[model.movie_index.index_of(movie_id)], rel=1e-5)
            evidence = model.explain_for_user(user, movie_id, top=10)
            col = model.movie_index.index_of(movie_id)
            assert evidence or score <= 0  # a positive score has a rated movie pushing it up
            for rated_id, value in evidence:
                assert value == pytest.approx(b[model.movie_index.index_of(rated_id), col], rel=1e-6)
    # The movie rated once is never evidence, even for the user who rated it.
    assert all(m != 0 for m, _ in model.explain_for_user(1, model.recommend_for_user(1, 1)[0][0], top=20))
