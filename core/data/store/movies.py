"""Queries on movies: tags, enrichment, random discovery by rank, the enriched catalogue, overviews,
movies side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import aiosqlite

from core.data.store import ENRICHMENT_COLUMNS, GENRE_LIST, enrichment_from_row, fetch_all, fetch_one, placeholders
from core.schemas import Enrichment
from core.search.filters import ALL_MOVIES, Conditions, MovieSource, where

EnrichedOrder = Literal["effectiveness", "rating", "popularity", "year", "revenue", "budget", "title"]
# Unknown values sort last whichever way the key runs.
ENRICHED_ORDER_SQL: dict[str, str] = {
    "effectiveness": "e.effectiveness_score IS NULL, e.effectiveness_score DESC",
    "rating": "m.rating_mean IS NULL, m.rating_mean DESC",
    "popularity": "m.rating_count DESC",
    "year": "m.year IS NULL, m.year DESC",
    "revenue": "m.revenue IS NULL, m.revenue DESC",
    "budget": "m.budget IS NULL, m.budget DESC",
    "title": "m.title COLLATE NOCASE",
}


async def movie_tags(db: aiosqlite.Connection, movie_id: int, limit: int = 15) -> list[tuple[str, int]]:
    """The movie's most used tags (case-folded) with their counts, most used first."""
    rows = await fetch_all(
        db,
        "SELECT lower(tag) AS tag, count(*) AS n FROM tags WHERE movie_id = ? GROUP BY lower(tag)"
        " ORDER BY n DESC, tag LIMIT ?",
        (movie_id, limit),
    )
    return [(r["tag"], int(r["n"])) for r in rows]


async def movie_enrichment(db: aiosqlite.Connection, movie_id: int) -> Enrichment | None:
    """The movie's enrichment, or None when it has none (or the movie does not exist)."""
    row = await fetch_one(db, f"SELECT {ENRICHMENT_COLUMNS} FROM enrichments e WHERE e.movie_id = ?", (movie_id,))
    return enrichment_from_row(row) if row is not None else None


def _source(movies: Conditions | MovieSource) -> MovieSource:
    """Conditions on `movies m` as a source; a source as it is."""
    return movies if isinstance(movies, MovieSource) else MovieSource(ALL_MOVIES, "m.movie_id", movies)


def _with_enriched_only(movies: Conditions | MovieSource, enriched_only: bool) -> MovieSource:
    source = _source(movies)
    if not enriched_only:
        return source
    if source.tables == ALL_MOVIES:  # every movie: listing the enriched ids once is cheaper than a search per movie
        sql, params = source.conditions
        return MovieSource(
            ALL_MOVIES, source.id_column, ([*sql, "m.movie_id IN (SELECT movie_id FROM enrichments)"], params)
        )
    # A genre's range: a search per movie in it, not a list of every enriched id (Comedy: count 1.3 -> 0.4 ms).
    joined = f"{source.tables} JOIN enrichments x ON x.movie_id = {source.id_column}"
    return MovieSource(joined, source.id_column, source.conditions, source.reads_movies)


async def count_movies(
    db: aiosqlite.Connection, movies: Conditions | MovieSource, *, enriched_only: bool = False
) -> int:
    """How many movies pass the conditions (on `movies m`, or a `movie_source`), optionally only enriched ones."""
    source = _with_enriched_only(movies, enriched_only)
    clause, params = where(source.conditions)
    row = await fetch_one(db, f"SELECT count(*) FROM {source.tables}{clause}", params)
    return int(row[0]) if row is not None else 0


RANKS_PER_STATEMENT = 100  # compound SELECTs are capped (SQLITE_MAX_COMPOUND_SELECT, 500 by default)


async def movie_ids_at_ranks(
    db: aiosqlite.Connection, movies: Conditions | MovieSource, ranks: Sequence[int], *, enriched_only: bool = False
) -> list[int]:
    """The ids at these 0-based ranks, in movie-id order, of the movies passing the conditions.

    One OFFSET lookup per rank over the id-ordered source, so the matching set is never loaded whole; the
    lookups go in one statement (a UNION ALL of them), one hand-off to the database thread instead of one per
    rank. Ranks past the end have no movie and are left out.
    """
    source = _with_enriched_only(movies, enriched_only)
    clause, params = where(source.conditions)
    one = f"SELECT {source.id_column} FROM {source.tables}{clause} ORDER BY {source.id_column} LIMIT 1 OFFSET ?"
    ids: list[int] = []
    for start in range(0, len(ranks), RANKS_PER_STATEMENT):
        chunk = ranks[start : start + RANKS_PER_STATEMENT]
        arms = " UNION ALL ".join(f"SELECT {i} AS k, * FROM ({one})" for i in range(len(chunk)))
        rows = await fetch_all(db, f"{arms} ORDER BY k", [p for rank in chunk for p in (*params, rank)])
        ids.extend(int(row[1]) for row in rows)
    return ids


async def enriched_movies_page(
    db: aiosqlite.Connection,
    movies: Conditions | MovieSource,
    *,
    min_effectiveness: float | None,
    order_by: EnrichedOrder,
    limit: int,
    offset: int,
) -> tuple[list[aiosqlite.Row], int]:
    """One page of enriched movies passing the conditions, and the total; rows carry ENRICHMENT_COLUMNS."""
    source = _source(movies)
    sql, params = source.conditions
    if min_effectiveness is not None:
        sql, params = [*sql, "e.effectiveness_score >= ?"], [*params, min_effectiveness]
    clause, params = where((sql, params))
    # The count reads `movies` only when a condition does (a genre's count: 1.0 -> 0.35 ms); the page sorts by it.
    enriched = f"JOIN enrichments e ON e.movie_id = {source.id_column}{clause}"
    total = await fetch_one(db, f"SELECT count(*) FROM {source.tables} {enriched}", params)
    rows = await fetch_all(
        db,
        f"SELECT m.movie_id, m.title, m.year, m.rating_count, m.rating_mean, m.budget, m.revenue,"
        f" {ENRICHMENT_COLUMNS} FROM {source.with_movies().tables} {enriched}"
        f" ORDER BY {ENRICHED_ORDER_SQL[order_by]}, m.rating_count DESC, m.movie_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return rows, int(total[0]) if total is not None else 0


async def overviews(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, str | None]:
    """Each known movie's overview (None when it has none); unknown ids are absent."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        db, f"SELECT movie_id, overview FROM movies WHERE movie_id IN ({placeholders(len(ids))})", ids
    )
    return {int(r[0]): r[1] for r in rows}


async def movies_with_enrichment(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, aiosqlite.Row]:
    """Each known movie's full row with ENRICHMENT_COLUMNS (NULL when not enriched) and GENRE_LIST; unknown ids
    are absent."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        db,
        f"SELECT m.*, {ENRICHMENT_COLUMNS}, {GENRE_LIST} FROM movies m LEFT JOIN enrichments e USING (movie_id)"
        f" WHERE m.movie_id IN ({placeholders(len(ids))})",
        ids,
    )
    return {r["movie_id"]: r for r in rows}


GENRE_PAIRS_SQL = "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g USING (genre_id)"


async def genre_pairs(db: aiosqlite.Connection) -> list[tuple[int, str]]:
    """Every (movie_id, genre) pair of the catalogue: the calibration's genre table."""
    return [(int(m), str(g)) for m, g in await fetch_all(db, GENRE_PAIRS_SQL)]
