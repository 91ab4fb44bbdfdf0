"""store.vectors: KNN nearest first with filters inside the scan, similarity to given movies, counts."""

from __future__ import annotations

import pytest

from core.data.store import fetch_one
from core.data.store.movies import count_movies
from core.data.store.vectors import count_with_vector, knn, similarity_to
from core.runtime import MovieApp
from core.search.filters import make_filters, movie_conditions, vector_conditions
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, make_dataset


async def _vector_of(app: MovieApp, movie_id: int) -> bytes:
    row = await fetch_one(app.db, "SELECT embedding FROM movie_vectors WHERE movie_id = ?", (movie_id,))
    assert row is not None
    return bytes(row[0])


async def test_knn_returns_nearest_first(movie_app: MovieApp) -> None:
    await movie_app.ready()
    query = await _vector_of(movie_app, SPACE_IDS[0])
    hits = await knn(movie_app.db, query, 5, ([], []))
    assert len(hits) == 5
    assert hits[0] == (SPACE_IDS[0], pytest.approx(1.0, abs=1e-5))  # a movie is nearest to itself
    similarities = [s for _, s in hits]
    assert similarities == sorted(similarities, reverse=True)


async def test_knn_applies_the_conditions_inside_the_scan(movie_app: MovieApp) -> None:
    await movie_app.ready()
    query = await _vector_of(movie_app, SPACE_IDS[0])
    conditions = vector_conditions(make_filters(genres=["Romance"], max_budget=5_000_000))
    cheap_romance = {
        m.movie_id for m in make_dataset().movies if "Romance" in m.genres and m.budget and m.budget <= 5_000_000
    }
    hits = await knn(movie_app.db, query, 10, conditions)
    # k exceeds the matches and the query is a space movie, yet every match (and only they) come back.
    assert {mid for mid, _ in hits} == cheap_romance


async def test_similarity_to_given_movies(movie_app: MovieApp) -> None:
    await movie_app.ready()
    query = await _vector_of(movie_app, ROMANCE_IDS[0])
    nearest = dict(await knn(movie_app.db, query, 3, ([], [])))
    wanted = [*nearest, SPACE_IDS[4], 987654321]
    found = await similarity_to(movie_app.db, query, wanted)
    assert set(found) == {*nearest, SPACE_IDS[4]}  # no vector, no entry
    for movie_id, similarity in nearest.items():
        assert found[movie_id] == pytest.approx(similarity)
    assert found[SPACE_IDS[4]] < min(nearest.values())
    assert await similarity_to(movie_app.db, query, []) == {}


async def test_count_with_vector_matches_the_plain_count(movie_app: MovieApp) -> None:
    await movie_app.ready()
    for filters in (make_filters(), make_filters(genres=["Sci-Fi"], min_year=1995), make_filters(max_budget=1)):
        conditions = movie_conditions(filters)
        # Every synthetic movie has a vector, so both counts agree.
        assert await count_with_vector(movie_app.db, conditions) == await count_movies(movie_app.db, conditions)
    assert await count_with_vector(movie_app.db, movie_conditions(make_filters(genres=["Sci-Fi"]))) == len(SPACE_IDS)
