"""Queries on the movie vectors: cosine KNN in sqlite-vec's vec0 table and what it would scan."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from core.data import sqlite
from core.data.store import fetch_all, fetch_one
from core.search.filters import Conditions, where


async def knn(db: aiosqlite.Connection, query_vector: bytes, k: int, conditions: Conditions) -> list[tuple[int, float]]:
    """(movie_id, cosine similarity) of the k nearest movies passing `movie_vectors` conditions, nearest first.

    The conditions run inside the vec0 scan, so k rows come back whenever k movies pass them.
    """
    clause, params = where(conditions, prefix="AND")
    rows = await fetch_all(
        db,
        f"SELECT movie_id, distance FROM movie_vectors WHERE embedding MATCH ? AND k = ?{clause} ORDER BY distance",
        [query_vector, k, *params],
    )
    return [(int(r[0]), 1.0 - float(r[1])) for r in rows]  # vec0 reports cosine distance


async def similarity_to(db: aiosqlite.Connection, query_vector: bytes, movie_ids: Sequence[int]) -> dict[int, float]:
    """Cosine similarity of the query to each given movie (movies without a vector are absent)."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    # One JSON parameter instead of one placeholder per id: vec0 takes the set inside its scan.
    hits = await knn(db, query_vector, len(ids), (["movie_id IN (SELECT value FROM json_each(?))"], [json.dumps(ids)]))
    return dict(hits)


async def cosine_to(db: aiosqlite.Connection, query_vector: bytes, movie_ids: Sequence[int]) -> dict[int, float]:
    """Cosine similarity of the query to a few given movies (movies without a vector are absent).

    One point lookup per id, in one statement: vec0 answers `movie_id IN (...)` and KNN with a scan of
    every vector, `movie_id = ?` with one row, so this is far cheaper than `similarity_to` for a handful.
    """
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    one = "SELECT movie_id, vec_distance_cosine(embedding, ?) FROM movie_vectors WHERE movie_id = ?"
    rows = await fetch_all(db, " UNION ALL ".join([one] * len(ids)), [v for mid in ids for v in (query_vector, mid)])
    return {int(r[0]): 1.0 - float(r[1]) for r in rows}


async def has_passages(db: aiosqlite.Connection) -> bool:
    """Whether the database holds any plot passages (one built before they existed has no such table)."""
    try:
        row = await fetch_one(db, "SELECT EXISTS (SELECT 1 FROM movie_passages)")
    except sqlite.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return False
    return bool(row and row[0])


async def best_passages(db: aiosqlite.Connection, query_vector: bytes, movie_ids: Sequence[int]) -> dict[int, float]:
    """movie_id -> cosine similarity of the query to the movie's closest passage, for the given movies that
    have passages (a few hundred rows for a hundred movies: read by primary key, no scan of the table)."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        db,
        "SELECT movie_id, max(1.0 - vec_distance_cosine(embedding, ?)) FROM movie_passages"
        " WHERE movie_id IN (SELECT value FROM json_each(?)) GROUP BY movie_id",
        [query_vector, json.dumps(ids)],
    )
    return {int(r[0]): float(r[1]) for r in rows}


async def count_with_vector(db: aiosqlite.Connection, conditions: Conditions) -> int:
    """Movies with a vector that pass `movies m` conditions, counted on the plain tables.

    Counting there (same semantics: unknown values never pass) keeps vec0 to KNN scans only.
    """
    clause, params = where(conditions, prefix="AND")
    row = await fetch_one(
        db, f"SELECT count(*) FROM movies m JOIN embedding_sources s USING (movie_id) WHERE 1{clause}", params
    )
    return int(row[0]) if row is not None else 0
