"""Read-only queries behind the MCP resources that no tool already answers: catalogue statistics."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.data import store
from core.errors import InvalidInputError, NotFoundError
from core.runtime import MovieApp
from core.schemas import MovieSummary

STAR_VALUES = tuple(v / 2 for v in range(1, 11))  # 0.5 .. 5.0


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

    async def one(sql: str) -> int:
        row = await store.fetch_one(db, sql)
        return int(row[0]) if row and row[0] is not None else 0

    async def count_by(sql: str) -> list[CountBy]:
        return [CountBy(value=str(r[0]), movies=int(r[1])) for r in await store.fetch_all(db, sql)]

    years = await store.fetch_one(db, "SELECT min(year), max(year) FROM movies")
    coverage_row = await store.fetch_one(
        db,
        "SELECT count(overview), count(budget), count(revenue), count(runtime), count(release_date),"
        " count(mpaa), count(imdb_id), count(tmdb_id), sum(rating_count > 0) FROM movies",
    )
    coverage_keys = ("overview", "budget", "revenue", "runtime", "release_date", "mpaa", "imdb_id", "tmdb_id", "rated")
    histogram = {f"{v:.1f}": 0 for v in STAR_VALUES}
    for rating, count in await store.fetch_all(db, "SELECT rating, count(*) FROM ratings GROUP BY rating"):
        histogram[f"{rating:.1f}"] = int(count)
    mean_row = await store.fetch_one(db, "SELECT avg(rating) FROM ratings")
    enrichment = {
        field: await count_by(f"SELECT {field}, count(*) FROM enrichments GROUP BY {field} ORDER BY count(*) DESC")
        for field in ("sentiment", "budget_tier", "revenue_tier", "target_audience", "engine")
    }
    return CatalogueStats(
        movies=await one("SELECT count(*) FROM movies"),
        users=await one("SELECT count(*) FROM users"),
        ratings=await one("SELECT count(*) FROM ratings"),
        tags=await one("SELECT count(*) FROM tags"),
        user_ids=Span(first=app.user_range[0] or None, last=app.user_range[1] or None),
        years=Span(first=years[0] if years else None, last=years[1] if years else None),
        coverage={k: int(v or 0) for k, v in zip(coverage_keys, coverage_row or (), strict=False)},
        genres=await count_by(
            "SELECT g.name, count(*) FROM movie_genres mg JOIN genres g USING (genre_id)"
            " GROUP BY g.name ORDER BY count(*) DESC, g.name"
        ),
        rating_histogram=histogram,
        mean_rating=round(float(mean_row[0]), 3) if mean_row and mean_row[0] is not None else None,
        enriched_movies=await one("SELECT count(*) FROM enrichments"),
        enrichment=enrichment,
        source=app.meta.get("source"),
        built_at=app.meta.get("built_at"),
    )


async def title_suggestions(app: MovieApp, partial: str, limit: int = 10) -> tuple[list[str], int]:
    """Distinct titles matching the start of a title (FTS, most-rated first), and how many movies match.

    With nothing searchable typed yet, the most-rated titles. Used for argument completion, so it never
    raises on odd input.
    """
    await app.ready()
    try:
        rows, total = await store.search_titles(app.db, partial, limit * 2)
    except InvalidInputError:  # nothing searchable typed yet: offer the best-known titles
        rows = await store.fetch_all(
            app.db, "SELECT title FROM movies ORDER BY rating_count DESC, movie_id LIMIT ?", (limit,)
        )
        total = await store.fetch_one(app.db, "SELECT count(*) FROM movies")
        return [r["title"] for r in rows], int(total[0]) if total else len(rows)
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
