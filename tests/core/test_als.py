"""Implicit ALS recommender on a checkerboard with known answers (after implicit's own tests).

Users of block A rate only block-A movies and users of block B only block-B movies; every user
leaves one movie of their block unrated (a "hole"). The right recommendation for a user is their
hole, and nothing from the other block should outrank it.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.models.als import AlsParams, AlsRecommender
from core.models.common import IdIndex, build_rating_matrix

BLOCK = 10
# External ids deliberately differ from indices (and are unsorted in the input) to exercise IdIndex.
USER_IDS = np.array([500 - 7 * u for u in range(2 * BLOCK)])
MOVIE_IDS = np.array([1000 + 3 * i for i in range(2 * BLOCK)])
A_MOVIES = set(MOVIE_IDS[:BLOCK].tolist())
B_MOVIES = set(MOVIE_IDS[BLOCK:].tolist())
# Some regularisation matters: with λ≈0 a few users land in a poor local optimum on this tiny board.
PARAMS = AlsParams(factors=4, regularization=1.0, alpha=1.0, iterations=30, random_state=7)


def _hole(u: int) -> int:
    """Movie id user u (index) has not rated: one per user, each block movie is somebody's hole."""
    block_start = 0 if u < BLOCK else BLOCK
    return int(MOVIE_IDS[block_start + u % BLOCK])


def _checkerboard() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    users, movies, ratings = [], [], []
    for u in range(2 * BLOCK):
        block_start = 0 if u < BLOCK else BLOCK
        for i in range(block_start, block_start + BLOCK):
            if int(MOVIE_IDS[i]) == _hole(u):
                continue
            users.append(int(USER_IDS[u]))
            movies.append(int(MOVIE_IDS[i]))
            ratings.append(float(rng.choice([3.5, 4.0, 4.5, 5.0])))
    order = rng.permutation(len(users))
    return np.array(users)[order], np.array(movies)[order], np.array(ratings)[order]


def _block_of(movie_id: int) -> set[int]:
    return A_MOVIES if movie_id in A_MOVIES else B_MOVIES


@pytest.fixture(scope="module")
def model() -> AlsRecommender:
    users, movies, ratings = _checkerboard()
    return AlsRecommender.train(users, movies, ratings, PARAMS)


# ----------------------------------------------------------------------------------- IdIndex


def test_id_index_maps_ids_both_ways_and_round_trips() -> None:
    index = IdIndex.from_ids(np.array([30, 10, 20, 10]))
    assert index.ids.tolist() == [10, 20, 30]
    assert [index.index_of(x) for x in (10, 20, 30, 25, -1)] == [0, 1, 2, None, None]
    assert index.indices_of(np.array([30, 99, 10])).tolist() == [2, -1, 0]
    assert index.id_at(1) == 20
    assert 20 in index and 21 not in index
    again = IdIndex.from_arrays(index.to_arrays("m"), "m")
    assert again.ids.tolist() == index.ids.tolist()


def test_id_index_rejects_fractional_ids() -> None:
    with pytest.raises(ValueError):
        IdIndex.from_ids(np.array([1.0, 2.5]))


def test_build_rating_matrix_keeps_last_rating_of_a_duplicate_pair() -> None:
    _, movies, matrix = build_rating_matrix(np.array([1, 1, 2]), np.array([5, 5, 5]), np.array([2.0, 4.5, 3.0]))
    assert matrix.shape == (2, 1)
    assert matrix.toarray().ravel().tolist() == [4.5, 3.0]
    assert movies.ids.tolist() == [5]


@pytest.mark.parametrize(
    ("users", "movies", "ratings"),
    [
        (np.array([1, 2]), np.array([1]), np.array([4.0, 4.0])),
        (np.array([], dtype=int), np.array([], dtype=int), np.array([])),
        (np.array([1]), np.array([1]), np.array([np.nan])),
    ],
)
def test_train_rejects_bad_input(users: np.ndarray, movies: np.ndarray, ratings: np.ndarray) -> None:
    with pytest.raises(ValueError):
        AlsRecommender.train(users, movies, ratings, PARAMS)


# --------------------------------------------------------------------------------- recommending


def test_sizes_and_membership(model: AlsRecommender) -> None:
    assert (model.n_users, model.n_items) == (2 * BLOCK, 2 * BLOCK)
    assert model.has_user(int(USER_IDS[3])) and not model.has_user(501)
    assert model.has_movie(int(MOVIE_IDS[0])) and not model.has_movie(1001)


def test_user_rated_movie_ids_are_the_users_block_minus_the_hole(model: AlsRecommender) -> None:
    for u in (0, 15):
        rated = set(model.user_rated_movie_ids(int(USER_IDS[u])).tolist())
        assert rated == _block_of(_hole(u)) - {_hole(u)}
    assert model.user_rated_movie_ids(501).size == 0


def test_recommends_the_hole_first_for_every_user(model: AlsRecommender) -> None:
    for u in range(2 * BLOCK):
        recs = model.recommend_for_user(int(USER_IDS[u]), 3)
        assert recs[0][0] == _hole(u), f"user {u}: {recs}"
        # The hole outranks everything from the other block by a clear margin.
        assert recs[0][1] > recs[1][1] + 0.1


def test_never_recommends_rated_movies_and_returns_fewer_when_exhausted(model: AlsRecommender) -> None:
    user = int(USER_IDS[4])
    rated = set(model.user_rated_movie_ids(user).tolist())
    recs = model.recommend_for_user(user, 100)
    ids = [m for m, _ in recs]
    # 20 movies, 9 rated: exactly the 11 unrated ones, each once, best first.
    assert len(ids) == 11 and len(set(ids)) == 11
    assert not rated & set(ids)
    scores = [s for _, s in recs]
    assert scores == sorted(scores, reverse=True)


def test_candidates_restrict_results_and_unknown_candidates_are_ignored(model: AlsRecommender) -> None:
    u = 2
    user = int(USER_IDS[u])
    rated_candidate = next(iter(model.user_rated_movie_ids(user).tolist()))
    b_candidates = sorted(B_MOVIES)[:4]
    candidates = np.array([*b_candidates, rated_candidate, 999_999])
    recs = model.recommend_for_user(user, 10, candidate_movie_ids=candidates)
    assert {m for m, _ in recs} == set(b_candidates)

    with_hole = model.recommend_for_user(user, 1, candidate_movie_ids=np.array([*b_candidates, _hole(u)]))
    assert with_hole[0][0] == _hole(u)


def test_empty_or_fully_rated_candidates_give_nothing(model: AlsRecommender) -> None:
    user = int(USER_IDS[0])
    assert model.recommend_for_user(user, 5, candidate_movie_ids=np.array([], dtype=np.int64)) == []
    assert model.recommend_for_user(user, 5, candidate_movie_ids=np.array([999_999])) == []
    assert model.recommend_for_user(user, 5, candidate_movie_ids=model.user_rated_movie_ids(user)) == []


def test_unknown_user_and_non_positive_n_give_nothing(model: AlsRecommender) -> None:
    assert model.recommend_for_user(501, 5) == []
    assert model.recommend_for_user(int(USER_IDS[0]), 0) == []


def test_cold_start_from_liked_block_a_movies_returns_block_a(model: AlsRecommender) -> None:
    liked = sorted(A_MOVIES)[:3]
    recs = model.recommend_from_liked(liked, 5)
    ids = [m for m, _ in recs]
    assert len(ids) == 5
    assert set(ids) <= A_MOVIES - set(liked)

    as_dict = model.recommend_from_liked({m: 4.5 for m in sorted(B_MOVIES)[:3]}, 5)
    assert {m for m, _ in as_dict} <= B_MOVIES - set(sorted(B_MOVIES)[:3])


def test_cold_start_respects_candidates_and_ignores_unknown_liked(model: AlsRecommender) -> None:
    liked = [*sorted(A_MOVIES)[:2], 999_999]
    candidates = np.array([*sorted(B_MOVIES)[:2], sorted(A_MOVIES)[5], liked[0]])
    recs = model.recommend_from_liked(liked, 10, candidate_movie_ids=candidates)
    assert recs[0][0] == sorted(A_MOVIES)[5]
    assert liked[0] not in {m for m, _ in recs}
    assert len(recs) == 3
    assert model.recommend_from_liked([999_999], 5) == []


# ----------------------------------------------------------------------------------- explaining


def test_explain_for_user_names_rated_movies_of_the_same_block(model: AlsRecommender) -> None:
    u = 6
    user = int(USER_IDS[u])
    rated = set(model.user_rated_movie_ids(user).tolist())
    reasons = model.explain_for_user(user, _hole(u), top=3)
    assert len(reasons) == 3
    assert {m for m, _ in reasons} <= rated
    contributions = [c for _, c in reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert all(c > 0 for c in contributions)


def test_explain_for_unknown_user_or_movie_is_empty(model: AlsRecommender) -> None:
    assert model.explain_for_user(501, int(MOVIE_IDS[0])) == []
    assert model.explain_for_user(int(USER_IDS[0]), 1001) == []


def test_explain_from_liked_names_only_liked_movies(model: AlsRecommender) -> None:
    liked = {int(MOVIE_IDS[0]): 5.0, int(MOVIE_IDS[1]): 4.0, int(MOVIE_IDS[15]): 3.0}
    target = int(MOVIE_IDS[2])
    reasons = model.explain_from_liked(liked, target, top=5)
    assert {m for m, _ in reasons} <= set(liked)
    # The two liked block-A movies explain a block-A pick; 5 stars weigh more than 4. The block-B
    # movie may appear only with a negligible share.
    assert [m for m, _ in reasons[:2]] == [int(MOVIE_IDS[0]), int(MOVIE_IDS[1])]
    assert all(c < 0.1 * reasons[1][1] for _, c in reasons[2:])


def test_explain_keeps_only_movies_that_push_the_score_up(model: AlsRecommender) -> None:
    # One block-A movie and six block-B ones: for a block-A pick the B movies' contributions are ~0
    # with either sign (on this fixed seed, some negative), and a negative one is not a reason.
    liked = {int(MOVIE_IDS[0]): 5.0, **{int(x): 5.0 for x in MOVIE_IDS[BLOCK : BLOCK + 6]}}
    reasons = model.explain_from_liked(liked, int(MOVIE_IDS[2]), top=len(liked))
    assert reasons[0][0] == int(MOVIE_IDS[0])
    assert all(c > 0 for _, c in reasons)
    assert len(reasons) < len(liked)


def test_explain_matches_the_total_of_implicits_slow_path(model: AlsRecommender) -> None:
    # Our vectorised user weights must equal implicit's own (loop-built) ones: compare contributions.
    user = int(USER_IDS[1])
    uidx = model._users.index_of(user)
    assert uidx is not None
    item = model._movies.index_of(_hole(1))
    _, slow, _ = model._model.explain(uidx, model._ratings, item, N=3)
    fast = model.explain_for_user(user, _hole(1), top=3)
    assert [m for m, _ in fast] == [model._movies.id_at(int(i)) for i, s in slow if s > 0]
    np.testing.assert_allclose([c for _, c in fast], [s for _, s in slow if s > 0], rtol=1e-3)


# ----------------------------------------------------------------------------------- similarity


def test_similar_movies_come_from_the_same_block_and_exclude_itself(model: AlsRecommender) -> None:
    movie = int(MOVIE_IDS[12])
    sims = model.similar_movies(movie, 5)
    assert len(sims) == 5
    assert movie not in {m for m, _ in sims}
    assert {m for m, _ in sims} <= B_MOVIES
    scores = [s for _, s in sims]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0001 <= s <= 1.0001 for s in scores)
    assert len(model.similar_movies(movie, 100)) == 2 * BLOCK - 1
    assert model.similar_movies(1001, 5) == []


# ----------------------------------------------------------------------------------- persistence


def test_bytes_round_trip_gives_identical_answers(model: AlsRecommender) -> None:
    blob = model.to_bytes()
    assert isinstance(blob, bytes)
    again = AlsRecommender.from_bytes(blob)
    assert again.params == model.params
    assert (again.n_users, again.n_items) == (model.n_users, model.n_items)
    for user in USER_IDS.tolist():
        assert again.recommend_for_user(user, 5) == model.recommend_for_user(user, 5)
        assert again.user_ratings(user) == model.user_ratings(user)
    liked = sorted(A_MOVIES)[:3]
    assert again.recommend_from_liked(liked, 5) == model.recommend_from_liked(liked, 5)
    assert again.similar_movies(int(MOVIE_IDS[3]), 4) == model.similar_movies(int(MOVIE_IDS[3]), 4)
    user = int(USER_IDS[8])
    assert again.explain_for_user(user, _hole(8)) == model.explain_for_user(user, _hole(8))


def test_from_bytes_rejects_garbage_and_foreign_blobs() -> None:
    with pytest.raises(ValueError):
        AlsRecommender.from_bytes(b"not an npz")
    from core.models.biased_mf import BiasedMF

    users, movies, ratings = _checkerboard()
    foreign = BiasedMF.train(users, movies, ratings).to_bytes()
    with pytest.raises(ValueError):
        AlsRecommender.from_bytes(foreign)


def test_training_is_deterministic_for_a_fixed_seed() -> None:
    users, movies, ratings = _checkerboard()
    first = AlsRecommender.train(users, movies, ratings, PARAMS)
    second = AlsRecommender.train(users, movies, ratings, PARAMS)
    assert first.to_bytes() == second.to_bytes()


def test_explaining_many_picks_at_once_equals_implicits_explain_for_each(model: AlsRecommender) -> None:
    # One factorisation of the user's weights serves every pick; each pick's answer must still be
    # implicit's own explanation of it (unknown movie ids get [] in their place).
    for u in (0, 3, 12):
        user = int(USER_IDS[u])
        uidx = model._users.index_of(user)
        picks = [m for m, _ in model.recommend_for_user(user, 6)] + [424242]
        many = model.explain_many_for_user(user, picks, top=4)
        assert len(many) == len(picks) and many[-1] == []
        for movie_id, fast in zip(picks[:-1], many, strict=False):
            _, slow, _ = model._model.explain(uidx, model._ratings, model._movies.index_of(movie_id), N=4)
            assert [m for m, _ in fast] == [model._movies.id_at(int(i)) for i, s in slow if s > 0]
            np.testing.assert_allclose([c for _, c in fast], [s for _, s in slow if s > 0], rtol=1e-3)
    liked = {int(MOVIE_IDS[0]): 5.0, int(MOVIE_IDS[1]): 4.0}
    targets = [int(MOVIE_IDS[2]), int(MOVIE_IDS[3])]
    for many, single in zip(
        model.explain_many_from_liked(liked, targets, top=2),
        [model.explain_from_liked(liked, t, top=2) for t in targets],
        strict=True,
    ):
        assert [m for m, _ in many] == [m for m, _ in single]
        np.testing.assert_allclose([c for _, c in many], [c for _, c in single], rtol=1e-9)


def test_batched_explanations_match_implicit_with_alpha_and_varied_stars() -> None:
    # alpha scales every confidence (c_j = alpha · stars) inside W and in each contribution; with alpha = 1
    # a misplaced alpha would go unnoticed, so compare against implicit with alpha = 2.5.
    users, movies, stars = _checkerboard()
    model = AlsRecommender.train(
        users, movies, stars, AlsParams(factors=4, regularization=1.0, alpha=2.5, iterations=15)
    )
    for u in (2, 14):
        user = int(USER_IDS[u])
        uidx = model._users.index_of(user)
        picks = [m for m, _ in model.recommend_for_user(user, 5)]
        for movie_id, fast in zip(picks, model.explain_many_for_user(user, picks, top=5), strict=True):
            _, slow, _ = model._model.explain(uidx, model._ratings, model._movies.index_of(movie_id), N=5)
            assert [m for m, _ in fast] == [model._movies.id_at(int(i)) for i, s in slow if s > 0]
            np.testing.assert_allclose([c for _, c in fast], [s for _, s in slow if s > 0], rtol=1e-4)


def test_score_vectors_rank_as_recommend_and_blank_rated_movies(model: AlsRecommender) -> None:
    for u in (0, BLOCK + 3):
        user = int(USER_IDS[u])
        scores = model.score_vector_for_user(user)
        assert scores is not None and len(scores) == model.n_items
        rated = model.movie_index.indices_of(model.user_rated_movie_ids(user))
        assert np.isnan(scores[rated]).all() and np.isfinite(np.delete(scores, rated)).all()
        order = model.movie_index.ids[np.argsort(-np.nan_to_num(scores, nan=-np.inf))][:5]
        assert [m for m, _ in model.recommend_for_user(user, 5)] == order.tolist()
    liked = {int(MOVIE_IDS[0]): 5.0, int(MOVIE_IDS[1]): 4.0}
    folded = model.score_vector_from_liked(liked)
    assert folded is not None and np.isnan(folded[model.movie_index.indices_of(np.array(list(liked)))]).all()
    top = model.movie_index.ids[int(np.nanargmax(folded))]
    assert top == model.recommend_from_liked(liked, 1)[0][0] and int(top) in A_MOVIES
    assert model.score_vector_for_user(99999) is None and model.score_vector_from_liked({123456: 5.0}) is None
