"""Every rating model `predict_rating` may be served honours the `RatingModel` contract: the registered one
(trained through the registry) and the plain biased MF that databases built before the blend still hold
under the same blob (read back through the registered loader).

The data: two taste blocks; each user rates most of their own block high and a few of the other block low.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.models import registry
from core.models.biased_mf import MAX_RATING, MIN_RATING, BiasedMF, BiasedMFParams
from core.models.blended_rating import BlendParams
from core.models.neighbors import NeighborhoodParams
from core.models.protocols import RatingModel

BLOCK_A = list(range(1, 16))
BLOCK_B = list(range(101, 116))
MF = BiasedMFParams(factors=3, reg_factors=0.1, epochs=10)


def two_blocks(seed: int = 5) -> registry.RatingTriples:
    """60 users: users 1-30 like block A (4-5 stars) and dislike a few of block B (1-2), users 31-60 the reverse."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, float]] = []
    for user in range(1, 61):
        own, other = (BLOCK_A, BLOCK_B) if user <= 30 else (BLOCK_B, BLOCK_A)
        rows += [(user, int(m), float(rng.choice([4.0, 4.5, 5.0]))) for m in rng.choice(own, size=11, replace=False)]
        rows += [(user, int(m), float(rng.choice([1.0, 1.5, 2.0]))) for m in rng.choice(other, size=3, replace=False)]
    users, movies, stars = zip(*rows, strict=True)
    return registry.RatingTriples(np.array(users), np.array(movies), np.array(stars))


TRIPLES = two_blocks()
SPEC = registry.rating_model_spec()


def rated_by(user_id: int) -> dict[int, float]:
    return {
        int(m): float(s)
        for u, m, s in zip(TRIPLES.user_ids, TRIPLES.movie_ids, TRIPLES.stars, strict=True)
        if u == user_id
    }


@pytest.fixture(scope="module", params=["registered", "biased-mf (older databases)"])
def model(request: pytest.FixtureRequest) -> Any:
    if request.param == "registered":
        params = BlendParams(mf=MF, neighborhood=NeighborhoodParams(max_neighbors=10))
        return SPEC.train(TRIPLES, params)
    return BiasedMF.train(*TRIPLES, MF)


def test_it_satisfies_the_protocol(model: Any) -> None:
    assert isinstance(model, RatingModel) and isinstance(model.engine, str)
    assert model.has_user(1) and not model.has_user(999) and model.has_movie(1) and not model.has_movie(999)


def test_the_registered_loader_reads_it_back_with_the_same_predictions(model: Any) -> None:
    again = SPEC.load(model.to_bytes())
    assert type(again) is type(model)
    movies = np.array(BLOCK_A + BLOCK_B)
    for user in (1, 31, 999):
        np.testing.assert_allclose(again.predict_many(user, movies), model.predict_many(user, movies))


def test_predictions_follow_the_taste_blocks_and_stay_on_the_star_scale(model: Any) -> None:
    for user, own, other in ((2, BLOCK_A, BLOCK_B), (40, BLOCK_B, BLOCK_A)):
        unrated_own = [m for m in own if m not in rated_by(user)]
        unrated_other = [m for m in other if m not in rated_by(user)]
        assert min(model.predict(user, m) for m in unrated_own) > max(model.predict(user, m) for m in unrated_other)
        for movie in own + other:
            clamped = model.predict_clamped(user, movie)
            assert MIN_RATING <= clamped <= MAX_RATING
            assert clamped == pytest.approx(float(np.clip(model.predict(user, movie), MIN_RATING, MAX_RATING)))
        many = model.predict_many(user, np.array(own))
        np.testing.assert_allclose(many, [model.predict(user, m) for m in own])


def test_unknown_users_and_movies_fall_back_to_the_biases(model: Any) -> None:
    movie = BLOCK_A[0]
    assert model.predict(999, movie) == pytest.approx(model.global_mean + model.movie_bias(movie))
    assert model.user_bias(999) == 0.0 and model.movie_bias(999) == 0.0
    assert model.confidence(999, movie) == 0.0 and model.confidence(1, 999) == 0.0
    assert 0.0 < model.confidence(1, movie) <= 1.0
    folded = model.predict_from_ratings({}, np.array([movie]))
    assert folded[0] == pytest.approx(model.global_mean + model.movie_bias(movie))


def test_folding_in_a_users_ratings_reproduces_their_taste(model: Any) -> None:
    liked_a = {m: 5.0 for m in BLOCK_A[:6]}
    scores = model.predict_from_ratings(liked_a, np.array(BLOCK_A[6:] + BLOCK_B))
    assert scores[: len(BLOCK_A) - 6].mean() > scores[len(BLOCK_A) - 6 :].mean()


def test_evidence_is_the_users_rated_movies_most_similar_first(model: Any) -> None:
    user = 3
    target = next(m for m in BLOCK_A if m not in rated_by(user))
    evidence = model.similar_rated_by_user(user, target, top=4)
    assert evidence and len(evidence) <= 4
    assert all(mid in rated_by(user) and mid != target for mid, _, _ in evidence)
    assert all(stars == rated_by(user)[mid] for mid, stars, _ in evidence)
    similarities = [sim for _, _, sim in evidence]
    assert similarities == sorted(similarities, reverse=True)
    assert model.similar_rated_by_user(user, 999) == []
