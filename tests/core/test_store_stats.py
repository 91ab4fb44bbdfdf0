"""store.stats: catalogue aggregates and title completion, checked against the synthetic dataset."""

from __future__ import annotations

from collections import Counter

import pytest

from core.data.store import stats
from core.runtime import MovieApp
from tests.synthetic import make_dataset


async def test_counts_span_and_known_fields(movie_app: MovieApp) -> None:
    await movie_app.ready()
    data = make_dataset()
    counts = await stats.table_counts(movie_app.db)
    assert counts == {
        "movies": len(data.movies),
        "users": data.ratings["user_id"].nunique(),
        "ratings": len(data.ratings),
        "tags": len(data.tags),
        "enrichments": len(data.movies),  # the build enriches every movie offline
    }
    assert await stats.movie_count(movie_app.db) == len(data.movies)
    years = [m.year for m in data.movies if m.year is not None]
    assert await stats.year_span(movie_app.db) == (min(years), max(years))
    known = await stats.known_field_counts(movie_app.db)
    assert set(known) == set(stats.KNOWN_FIELDS)
    assert known["budget"] == sum(m.budget is not None for m in data.movies)
    assert known["rated"] == data.ratings["movie_id"].nunique()


async def test_genre_and_rating_distributions(movie_app: MovieApp) -> None:
    await movie_app.ready()
    data = make_dataset()
    genres = Counter(g for m in data.movies for g in m.genres)
    assert await stats.genre_counts(movie_app.db) == sorted(genres.items(), key=lambda kv: (-kv[1], kv[0]))
    stars = data.ratings["rating"].value_counts().to_dict()
    assert await stats.rating_counts(movie_app.db) == {float(k): int(v) for k, v in stars.items()}
    assert await stats.mean_rating(movie_app.db) == pytest.approx(float(data.ratings["rating"].mean()))


async def test_enrichment_counts_per_field(movie_app: MovieApp) -> None:
    await movie_app.ready()
    for field in stats.ENRICHMENT_FIELDS:
        pairs = await stats.enrichment_counts(movie_app.db, field)
        assert sum(n for _, n in pairs) == len(make_dataset().movies)
        assert [n for _, n in pairs] == sorted((n for _, n in pairs), reverse=True)
    with pytest.raises(ValueError, match="sentiment"):
        await stats.enrichment_counts(movie_app.db, "reasoning")  # type: ignore[arg-type]


async def test_most_rated_titles_first(movie_app: MovieApp) -> None:
    await movie_app.ready()
    data = make_dataset()
    counts = data.ratings["movie_id"].value_counts().to_dict()
    by_popularity = sorted(data.movies, key=lambda m: (-counts.get(m.movie_id, 0), m.movie_id))
    assert await stats.most_rated_titles(movie_app.db, 5) == [m.title for m in by_popularity[:5]]
