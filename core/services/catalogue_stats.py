"""What the MCP resources and prompts read that no tool answers: catalogue statistics, title completion
and resolution (the queries are in `core.data.store.stats`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.data import store
from core.data.store import stats
from core.errors import InvalidInputError, NotFoundError
from core.runtime import MovieApp
from core.schemas import MovieSummary
from core.services.catalogue import star_histogram


class CountBy(BaseModel):
    """How many movies have one value of a field."""

    value: str
    movies: int


class Span(BaseModel):
    """The lowest and highest value."""

    first: int | None
    last: int | None


class CatalogueStats(BaseModel):
    """What the catalogue holds: sizes, coverage of each field, genres, ratings and enrichment."""

    movies: int
    users: int
    ratings: int
    tags: int
    user_ids: Span = Field(description="the lowest and highest user id (first, last)")
    years: Span = Field(description="release years of the movies (first, last)")
    coverage: dict[str, int] = Field(description="movies with each field known (overview, budget, revenue, ...)")
    genres: list[CountBy] = Field(description="movies per genre, most common first")
    rating_histogram: dict[str, int] = Field(description="ratings per star value, 0.5 to 5.0")
    mean_rating: float | None
    enriched_movies: int
    enrichment: dict[str, list[CountBy]] = Field(
        description="enriched movies per sentiment, budget tier, revenue tier, target audience and engine"
    )
    source: str | None = Field(description="the data the database was built from")
    built_at: str | None


async def catalogue_stats(app: MovieApp) -> CatalogueStats:
    """Counts and distributions over the whole catalogue (a handful of aggregate queries, ~10 ms)."""
    await app.ready()
    db = app.db
    counts = await stats.table_counts(db)
    first_year, last_year = await stats.year_span(db)
    mean = await stats.mean_rating(db)
    return CatalogueStats(
        movies=counts["movies"],
        users=counts["users"],
        ratings=counts["ratings"],
        tags=counts["tags"],
        user_ids=Span(first=app.user_range[0] or None, last=app.user_range[1] or None),
        years=Span(first=first_year, last=last_year),
        coverage=await stats.known_field_counts(db),
        genres=_count_by(await stats.genre_counts(db)),
        rating_histogram=star_histogram(await stats.rating_counts(db)),
        mean_rating=round(mean, 3) if mean is not None else None,
        enriched_movies=counts["enrichments"],
        enrichment={field: _count_by(await stats.enrichment_counts(db, field)) for field in stats.ENRICHMENT_FIELDS},
        source=app.meta.get("source"),
        built_at=app.meta.get("built_at"),
    )


def _count_by(pairs: list[tuple[str, int]]) -> list[CountBy]:
    return [CountBy(value=value, movies=n) for value, n in pairs]


async def title_suggestions(app: MovieApp, partial: str, limit: int = 10) -> tuple[list[str], int]:
    """Distinct titles matching the start of a title (FTS, most-rated first), and how many movies match.

    With nothing searchable typed yet, the most-rated titles. Used for argument completion, so it never
    raises on odd input.
    """
    await app.ready()
    try:
        rows, total = await store.search_titles(app.db, partial, limit * 2)
    except InvalidInputError:  # nothing searchable typed yet: offer the best-known titles
        return await stats.most_rated_titles(app.db, limit), await stats.movie_count(app.db)
    titles = list(dict.fromkeys(r["title"] for r in rows))[:limit]  # remakes share a title: offer it once
    return titles, total


async def resolve_titles(app: MovieApp, refs: list[str]) -> list[tuple[str, MovieSummary | None]]:
    """Each title or id with the movie it names (the best title match), or None when nothing matches."""
    await app.ready()
    resolved: list[tuple[str, int | None]] = []
    for ref in refs:
        try:
            resolved.append((ref, await store.resolve_movie_ref(app.db, ref)))
        except (NotFoundError, InvalidInputError):
            resolved.append((ref, None))
    found = await store.summaries(app.db, [movie_id for _, movie_id in resolved if movie_id is not None])
    return [(ref, found.get(movie_id) if movie_id is not None else None) for ref, movie_id in resolved]
