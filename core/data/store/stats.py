"""Aggregates over the whole catalogue (the statistics resource) and title completion."""

from __future__ import annotations

from typing import Literal, get_args

import aiosqlite

from core.data.store import fetch_all, fetch_one

EnrichmentField = Literal["sentiment", "budget_tier", "revenue_tier", "target_audience", "engine"]
ENRICHMENT_FIELDS: tuple[EnrichmentField, ...] = get_args(EnrichmentField)
# Movie columns whose non-NULL count is reported, and "rated": movies with at least one rating.
KNOWN_FIELDS = ("overview", "budget", "revenue", "runtime", "release_date", "mpaa", "imdb_id", "tmdb_id", "rated")


async def table_counts(db: aiosqlite.Connection) -> dict[str, int]:
    """Rows in movies, users, ratings, tags and enrichments."""
    row = await fetch_one(
        db,
        "SELECT (SELECT count(*) FROM movies), (SELECT count(*) FROM users), (SELECT count(*) FROM ratings),"
        " (SELECT count(*) FROM tags), (SELECT count(*) FROM enrichments)",
    )
    names = ("movies", "users", "ratings", "tags", "enrichments")
    return {name: int(value or 0) for name, value in zip(names, row or (0,) * len(names), strict=True)}


async def year_span(db: aiosqlite.Connection) -> tuple[int | None, int | None]:
    """The earliest and latest release year (None when no movie has one)."""
    row = await fetch_one(db, "SELECT min(year), max(year) FROM movies")
    return (row[0], row[1]) if row is not None else (None, None)


async def known_field_counts(db: aiosqlite.Connection) -> dict[str, int]:
    """Movies with each of KNOWN_FIELDS set (not NULL)."""
    row = await fetch_one(
        db,
        "SELECT count(overview), count(budget), count(revenue), count(runtime), count(release_date),"
        " count(mpaa), count(imdb_id), count(tmdb_id), sum(rating_count > 0) FROM movies",
    )
    return {k: int(v or 0) for k, v in zip(KNOWN_FIELDS, row or (), strict=False)}


async def genre_counts(db: aiosqlite.Connection) -> list[tuple[str, int]]:
    """Movies per genre, most common first (ties by name)."""
    rows = await fetch_all(
        db,
        "SELECT g.name, count(*) FROM movie_genres mg JOIN genres g USING (genre_id)"
        " GROUP BY g.name ORDER BY count(*) DESC, g.name",
    )
    return [(str(name), int(n)) for name, n in rows]


async def rating_counts(db: aiosqlite.Connection) -> dict[float, int]:
    """How many ratings were given at each star value in use."""
    rows = await fetch_all(db, "SELECT rating, count(*) FROM ratings GROUP BY rating")
    return {float(rating): int(count) for rating, count in rows}


async def mean_rating(db: aiosqlite.Connection) -> float | None:
    """The mean of every rating (None without ratings)."""
    row = await fetch_one(db, "SELECT avg(rating) FROM ratings")
    return float(row[0]) if row is not None and row[0] is not None else None


async def enrichment_counts(db: aiosqlite.Connection, field: EnrichmentField) -> list[tuple[str, int]]:
    """Enriched movies per value of one enrichment field, most common first."""
    if field not in ENRICHMENT_FIELDS:  # the name is spliced into the SQL, so only known columns pass
        raise ValueError(f"unknown enrichment field {field!r}; use one of {', '.join(ENRICHMENT_FIELDS)}")
    rows = await fetch_all(db, f"SELECT {field}, count(*) FROM enrichments GROUP BY {field} ORDER BY count(*) DESC")
    return [(str(value), int(n)) for value, n in rows]


async def most_rated_titles(db: aiosqlite.Connection, limit: int) -> list[str]:
    """Titles of the most-rated movies, most rated first (ties by id)."""
    rows = await fetch_all(db, "SELECT title FROM movies ORDER BY rating_count DESC, movie_id LIMIT ?", (limit,))
    return [r["title"] for r in rows]


async def movie_count(db: aiosqlite.Connection) -> int:
    """Movies in the catalogue."""
    row = await fetch_one(db, "SELECT count(*) FROM movies")
    return int(row[0]) if row is not None else 0
