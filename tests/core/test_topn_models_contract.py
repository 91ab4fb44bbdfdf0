"""Every registered top-N model honours the `TopNModel` contract (after implicit's checkerboard mixin).

The data: two disjoint taste blocks; every user rates 6 of their block's 10 movies and nothing of the other
block. Each model is trained through the registry (so a newly registered model is tested without a new
test), saved and loaded back, and asked for known users and for liked movies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.models import registry
from core.models.als import AlsParams
from core.models.ease import EaseParams
from core.models.protocols import TopNModel
from tests.core.test_ease import BLOCK_A, BLOCK_B, checkerboard

TOP_N = [spec.name for spec in registry.top_n_models()]
# Small, fast settings for the tiny board; a model not listed trains with its registered defaults.
SMALL: dict[str, Any] = {
    "als": AlsParams(factors=4, regularization=0.5, iterations=15),
    "ease": EaseParams(l2=5.0, binary=True, min_item_ratings=1),
}
TRIPLES = registry.RatingTriples(*checkerboard())
USERS = sorted({int(u) for u in TRIPLES.user_ids})


def block_of(movie_id: int) -> list[int]:
    return BLOCK_A if movie_id in BLOCK_A else BLOCK_B


def rated_by(user_id: int) -> set[int]:
    return {int(m) for u, m in zip(TRIPLES.user_ids, TRIPLES.movie_ids, strict=True) if u == user_id}


@pytest.fixture(scope="module")
def trained() -> dict[str, registry.Trained]:
    return registry.train_models(registry.top_n_models(), TRIPLES, SMALL)


def model_of(trained: dict[str, registry.Trained], name: str) -> Any:
    return trained[name].model


@pytest.mark.parametrize("name", TOP_N)
def test_it_satisfies_the_protocol_and_knows_its_training_data(trained: dict[str, registry.Trained], name: str) -> None:
    model = model_of(trained, name)
    assert isinstance(model, TopNModel)
    assert model.has_user(USERS[0]) and not model.has_user(9999)
    assert model.has_movie(BLOCK_A[0]) and not model.has_movie(9999)
    ratings = model.user_ratings(USERS[0])
    assert set(ratings) == rated_by(USERS[0]) and all(3.0 <= s <= 5.0 for s in ratings.values())
    assert model.user_ratings(9999) == {}


@pytest.mark.parametrize("name", TOP_N)
def test_save_and_load_round_trip_recommends_the_same(trained: dict[str, registry.Trained], name: str) -> None:
    spec = registry.model_spec(name)
    model = model_of(trained, name)
    components = [model_of(trained, c.name) for c in registry.components_of(spec)]
    again = spec.load(model.to_bytes(), components)
    assert type(again) is type(model)
    for user in USERS[::7]:
        first, second = model.recommend_for_user(user, 4), again.recommend_for_user(user, 4)
        assert [m for m, _ in first] == [m for m, _ in second]
        np.testing.assert_allclose([s for _, s in first], [s for _, s in second], rtol=1e-6)


@pytest.mark.parametrize("name", TOP_N)
def test_recommendations_never_repeat_a_rated_movie_and_start_in_the_users_block(
    trained: dict[str, registry.Trained], name: str
) -> None:
    model = model_of(trained, name)
    for user in USERS:
        picks = model.recommend_for_user(user, 20)
        ids = [m for m, _ in picks]
        assert ids and not set(ids) & rated_by(user) and len(set(ids)) == len(ids)
        assert ids[0] in block_of(next(iter(rated_by(user))))
        scores = [s for _, s in picks]
        assert scores == sorted(scores, reverse=True)
    assert model.recommend_for_user(9999, 5) == []


@pytest.mark.parametrize("name", TOP_N)
def test_candidates_restrict_the_ranking(trained: dict[str, registry.Trained], name: str) -> None:
    model = model_of(trained, name)
    user = USERS[0]
    unrated = [m for m in BLOCK_A + BLOCK_B if m not in rated_by(user)]
    allowed = np.array([*unrated[:3], 9999])  # an id the model does not know is ignored
    picks = model.recommend_for_user(user, 10, allowed)
    assert picks and {m for m, _ in picks} <= set(allowed.tolist()) - {9999}
    assert model.recommend_for_user(user, 10, np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("name", TOP_N)
def test_fold_in_of_liked_movies_stays_in_their_block(trained: dict[str, registry.Trained], name: str) -> None:
    model = model_of(trained, name)
    liked = {BLOCK_B[0]: 5.0, BLOCK_B[1]: 5.0, BLOCK_B[2]: 4.0}
    ids = [m for m, _ in model.recommend_from_liked(liked, 5)]
    assert ids and not set(ids) & set(liked) and ids[0] in BLOCK_B
    as_list = [m for m, _ in model.recommend_from_liked([BLOCK_B[0], BLOCK_B[1]], 5)]  # ids alone: 5 stars each
    assert as_list and as_list[0] in BLOCK_B and not {BLOCK_B[0], BLOCK_B[1]} & set(as_list)
    assert model.recommend_from_liked({9999: 5.0}, 5) == []


@pytest.mark.parametrize("name", TOP_N)
def test_explanations_point_at_rated_movies(trained: dict[str, registry.Trained], name: str) -> None:
    model = model_of(trained, name)
    for user in USERS[::5]:
        picks = [m for m, _ in model.recommend_for_user(user, 3)]
        explained = model.explain_many_for_user(user, picks, top=2)
        assert len(explained) == len(picks) and any(explained)
        for parts in explained:
            assert len(parts) <= 2 and {m for m, _ in parts} <= rated_by(user)
            values = [c for _, c in parts]
            assert all(c > 0 for c in values) and values == sorted(values, reverse=True)
        single = model.explain_for_user(user, picks[0], top=2)  # the batched solve, for one pick
        assert [m for m, _ in single] == [m for m, _ in explained[0]]
        np.testing.assert_allclose([c for _, c in single], [c for _, c in explained[0]], rtol=1e-9)
    liked = {BLOCK_A[0]: 5.0, BLOCK_A[1]: 5.0}
    picks = [m for m, _ in model.recommend_from_liked(liked, 3)]
    for parts in model.explain_many_from_liked(liked, picks, top=3):
        assert {m for m, _ in parts} <= set(liked)
    assert model.explain_many_for_user(9999, picks) == [[] for _ in picks]


def test_the_registry_loads_every_model_back_from_its_blob(trained: dict[str, registry.Trained]) -> None:
    blobs = {registry.model_spec(name).blob: t.model.to_bytes() for name, t in trained.items()}
    loaded = registry.load_models(blobs)
    assert set(loaded) == set(TOP_N)
    for name in TOP_N:
        assert loaded[name].recommend_for_user(USERS[1], 3) == model_of(trained, name).recommend_for_user(USERS[1], 3)
