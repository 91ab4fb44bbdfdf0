"""The store: every query the services run, behind named functions. Every statement is parameterised.

This module holds the helpers shared by several services (summaries, genres, title search, users and
movies that must exist); the submodules hold one subject each: `movies` (details, random picks, the
enriched catalogue, overviews), `ratings` (a user's ratings page, a movie's ratings per star),
`users` (a user's history), `stats` (catalogue aggregates, title completion), `vectors` (KNN),
`documents` (plot search's BM25 index, franchises, plot-text coverage) and
`inventory` (what `movie-mcp info` reads, over a sync connection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from core.data.normalize import fts_query, normalize_title
from core.data.store.memo import ConnectionMemo
from core.errors import InvalidInputError, NotFoundError, excerpt
from core.schemas import Enrichment, MovieSummary

SQLITE_MAX_INT = 2**63 - 1
ENRICHMENT_COLUMNS = (
    "e.sentiment, e.budget_tier, e.revenue_tier, e.effectiveness_score, e.target_audience, e.engine,"
    " e.model, e.reasoning, e.enriched_at"
)


SUMMARY_CACHE_SIZE = 50_000  # summaries remembered per connection (~10 MB at most)
remembered_summaries: ConnectionMemo[int, dict[str, Any]] = ConnectionMemo(SUMMARY_CACHE_SIZE)


async def fetch_all(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
    # One hand-off to the connection's thread (execute + fetch + close there), not three.
    return list(await db.execute_fetchall(sql, params))


async def fetch_one(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
    """The first row of a query that returns at most a few (by key, or an aggregate)."""
    rows = await fetch_all(db, sql, params)
    return rows[0] if rows else None


def placeholders(n: int) -> str:
    return ",".join("?" * n)


async def genres_of(db: aiosqlite.Connection, movie_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(dict.fromkeys(movie_ids))
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await fetch_all(
        db,
        "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g USING (genre_id)"
        f" WHERE mg.movie_id IN ({placeholders(len(ids))}) ORDER BY mg.movie_id, mg.position",
        ids,
    )
    for movie_id, name in rows:
        out[movie_id].append(name)
    return out


# A movie's genres in the source's order as a JSON array (`genre_list`), selected beside the movie's row so
# the genres need no query of their own.
GENRE_LIST = (
    "(SELECT json_group_array(g.name ORDER BY mg.position) FROM movie_genres mg JOIN genres g USING (genre_id)"
    "  WHERE mg.movie_id = m.movie_id) AS genre_list"
)


def genre_list(row: aiosqlite.Row) -> list[str]:
    """The genres of a row that selected GENRE_LIST."""
    return list(json.loads(row["genre_list"]))


async def summaries(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, MovieSummary]:
    """Summaries for the given ids (unknown ids are absent from the result); genres in order.

    Each connection remembers the summaries it has read: the movies table never changes under an open
    connection (a rebuild swaps in a new file, and so a new connection), and every list the tools return
    is made of summaries, so most calls then need no query. New objects each call: callers may change them.
    """
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    remembered = remembered_summaries.of(db)
    known = {movie_id: remembered[movie_id] for movie_id in ids if movie_id in remembered}
    missing = [movie_id for movie_id in ids if movie_id not in known]
    if missing:
        rows = await fetch_all(
            db,
            f"SELECT m.movie_id, m.title, m.year, m.rating_count, m.rating_mean, {GENRE_LIST}"
            f" FROM movies m WHERE m.movie_id IN ({placeholders(len(missing))})",
            missing,
        )
        for row in rows:
            fields = summary_from_row(row, genre_list(row)).model_dump()
            known[row["movie_id"]] = remembered_summaries.remember(db, row["movie_id"], fields)
    return {movie_id: _summary(known[movie_id]) for movie_id in ids if movie_id in known}


def _summary(fields: dict[str, Any]) -> MovieSummary:
    """A new summary from remembered, already validated fields (its own genre list)."""
    return MovieSummary.model_construct(**{**fields, "genres": list(fields["genres"])})


def summary_from_row(row: aiosqlite.Row, genres: list[str]) -> MovieSummary:
    mean = row["rating_mean"]
    return MovieSummary(
        movie_id=row["movie_id"],
        title=row["title"],
        year=row["year"],
        genres=genres,
        rating_count=row["rating_count"],
        rating_mean=round(mean, 2) if mean is not None else None,
    )


def enrichment_from_row(row: aiosqlite.Row) -> Enrichment | None:
    """An `Enrichment` from a row selected with ENRICHMENT_COLUMNS (None when the join found none)."""
    if row["sentiment"] is None:
        return None
    return Enrichment(
        sentiment=row["sentiment"],
        budget_tier=row["budget_tier"],
        revenue_tier=row["revenue_tier"],
        effectiveness_score=row["effectiveness_score"],
        target_audience=row["target_audience"],
        engine=row["engine"],
        model=row["model"],
        reasoning=row["reasoning"],
        enriched_at=row["enriched_at"],
    )


async def require_user(db: aiosqlite.Connection, user_id: int) -> aiosqlite.Row:
    row = await fetch_one(db, "SELECT user_id, rating_count, rating_mean FROM users WHERE user_id = ?", (user_id,))
    if row is None:
        bounds = await fetch_one(db, "SELECT min(user_id), max(user_id), count(*) FROM users")
        raise NotFoundError(
            f"user {user_id} does not exist; users are {bounds[0]}–{bounds[1]} ({bounds[2]} users with ratings)"
        )
    return row


async def require_movie(db: aiosqlite.Connection, movie_id: int) -> aiosqlite.Row:
    row = await fetch_one(db, "SELECT * FROM movies WHERE movie_id = ?", (movie_id,))
    if row is None:
        raise NotFoundError(
            f"movie {movie_id} does not exist; movie ids are MovieLens ids — find one with search_movies"
        )
    return row


async def search_titles(
    db: aiosqlite.Connection, text: str, limit: int, offset: int = 0
) -> tuple[list[aiosqlite.Row], int]:
    """FTS5 title matches ranked by bm25, then popularity; returns (rows, total matches)."""
    match = fts_query(text)
    if match is None:
        raise InvalidInputError("the query has no letters or digits to search for; give part of a title")
    norm = normalize_title(text)
    total_row = await fetch_one(db, "SELECT count(*) FROM movie_titles WHERE movie_titles MATCH ?", (match,))
    rows = await fetch_all(
        db,
        "SELECT m.movie_id, m.title, m.year, m.rating_count, m.rating_mean, t.rank AS match_rank"
        " FROM movie_titles t JOIN movies m ON m.movie_id = t.rowid"
        " WHERE movie_titles MATCH ?"
        # Exact normalised title first, then titles that start with the query, then popularity, then bm25.
        " ORDER BY (t.title_norm != ?), (substr(t.title_norm, 1, length(?)) != ?), m.rating_count DESC,"
        " t.rank, m.movie_id LIMIT ? OFFSET ?",
        (match, norm, norm, norm, limit, offset),
    )
    return rows, int(total_row[0])


async def resolve_movie_ref(db: aiosqlite.Connection, ref: int | str) -> int:
    """A movie id from an id or a title (the best title match: exact, then most rated)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isascii() and ref.strip().isdigit()):
        movie_id = int(ref)
        if movie_id > SQLITE_MAX_INT:  # cannot be bound, so cannot be an id
            raise NotFoundError(f"movie {excerpt(str(ref).strip())} does not exist; movie ids are far smaller")
        await require_movie(db, movie_id)
        return movie_id
    rows, _ = await search_titles(db, ref, 1)
    if not rows:
        raise NotFoundError(f"no movie title matches {excerpt(ref)}; try search_movies with part of the title")
    return int(rows[0]["movie_id"])
