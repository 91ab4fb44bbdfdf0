"""Queries on the movie vectors: cosine KNN in sqlite-vec's vec0 table and what it would scan.

Small catalogues are searched exactly: the served search without filters over their float vectors held in
memory (`core.search.exact_index`, read with `exact_vectors`), with filters by a brute-force vec0 scan. Above
TWO_STAGE_MIN_VECTORS the build also writes the two-stage tables (core.data.schema.TWO_STAGE_DDL) and
the KNN scans the vectors' sign bits for candidates, then re-scores them with the float vectors. Without
filters the served search takes its candidates from the sign bits held in memory (`core.search.sign_bits`,
`rescored` here re-scores them); with filters, from the vec0 bit scan, which applies them inside the scan.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import AsyncIterator, Sequence

import aiosqlite
import numpy as np

from core.data import sqlite
from core.data.schema import EMBEDDING_DIM
from core.data.store import fetch_all, fetch_one
from core.search.filters import Conditions, where

# Where the build switches to the two-stage search: near where semantic_search with the exact scan passes
# its 30 ms p50 goal. It took 22.8 ms at 9,066 vectors (README "Results"), and the exact scan grows by
# ~0.6 ms per 1,000 vectors (README "Scaling": 4.5 ms at 9k, 51.9 ms at 90k): about 21,000 vectors. At
# 27,198 vectors the exact k=50 scan semantic_search runs costs 25 ms of CPU, the two-stage one 9 ms
# (benchmarks/vector_search.py --scale 3). Below the threshold nothing changes: exact scan, no extra tables.
TWO_STAGE_MIN_VECTORS = 20_000
# Candidates the bit scan passes to the float re-score: at least TWO_STAGE_CANDIDATES, and
# CANDIDATES_PER_RESULT per result asked for. Chosen for recall@10 >= 0.95 against the exact search on real
# MiniLM vectors (benchmarks/vector_search.py): with 400, 0.953 for 202 descriptive queries over the default
# data's 9,066 and 0.961 over 60,000 (real and mixed overviews; 0.985 with movies as queries); 200 gave
# 0.905 / 0.916. semantic_search asks for k=50, so 600: recall@50 0.91, recall@10 0.975 on the 60,000.
TWO_STAGE_CANDIDATES = 400
CANDIDATES_PER_RESULT = 12
VEC0_MAX_K = 4096  # sqlite-vec refuses a larger k

_two_stage_of: weakref.WeakKeyDictionary[aiosqlite.Connection, bool] = weakref.WeakKeyDictionary()


def candidate_count(k: int) -> int:
    """How many bit-scan candidates the two-stage search re-scores to return k."""
    return max(k, min(VEC0_MAX_K, max(TWO_STAGE_CANDIDATES, CANDIDATES_PER_RESULT * k)))


async def has_two_stage(db: aiosqlite.Connection) -> bool:
    """Whether this database has the two-stage tables (asked once per connection: a build replaces the
    file by renaming, so an open connection's database never gains or loses them)."""
    found = _two_stage_of.get(db)
    if found is None:
        row = await fetch_one(db, "SELECT 1 FROM sqlite_master WHERE name = 'movie_vector_bits'")
        found = _two_stage_of[db] = row is not None
    return found


async def knn(db: aiosqlite.Connection, query_vector: bytes, k: int, conditions: Conditions) -> list[tuple[int, float]]:
    """(movie_id, cosine similarity) of the k nearest movies passing `movie_vectors` conditions, nearest first.

    The conditions run inside the vec0 scan, so k rows come back whenever k movies pass them. With the
    two-stage tables the result is approximate (the bit scan may miss a neighbour; recall@10 >= 0.95).
    """
    if await has_two_stage(db):
        return await two_stage_knn(db, query_vector, k, conditions)
    return await exact_knn(db, query_vector, k, conditions)


async def two_stage_knn(
    db: aiosqlite.Connection, query_vector: bytes, k: int, conditions: Conditions, candidates: int | None = None
) -> list[tuple[int, float]]:
    """`knn` through the two-stage tables: the nearest `candidates` by Hamming distance of the sign bits
    (conditions inside that scan, on the same columns as movie_vectors), re-scored by cosine."""
    clause, params = where(conditions, prefix="AND")
    rows = await fetch_all(
        db,
        "SELECT f.movie_id, vec_distance_cosine(f.embedding, ?) AS d FROM ("
        f"SELECT movie_id FROM movie_vector_bits WHERE embedding MATCH vec_quantize_binary(?) AND k = ?{clause}"
        ") c JOIN movie_vector_floats f USING (movie_id) ORDER BY d LIMIT ?",
        [query_vector, query_vector, candidates or candidate_count(k), *params, k],
    )
    return [(int(r[0]), 1.0 - float(r[1])) for r in rows]


async def rescored(
    db: aiosqlite.Connection, query_vector: bytes, movie_ids: Sequence[int], k: int
) -> list[tuple[int, float]]:
    """(movie_id, cosine similarity) of the k of `movie_ids` nearest the query by their float vectors (the
    two-stage tables' second stage, for candidates found outside SQL), nearest first."""
    rows = await fetch_all(
        db,
        "SELECT movie_id, vec_distance_cosine(embedding, ?) AS d FROM movie_vector_floats"
        " WHERE movie_id IN (SELECT value FROM json_each(?)) ORDER BY d LIMIT ?",
        [query_vector, json.dumps([int(i) for i in movie_ids]), k],
    )
    return [(int(r[0]), 1.0 - float(r[1])) for r in rows]


async def float_vector_batches(
    db: aiosqlite.Connection, size: int = 5_000
) -> AsyncIterator[tuple[np.ndarray, np.ndarray]]:
    """The two-stage tables' float vectors as (movie ids, vectors) batches of `size`, by movie id: a whole
    catalogue's vectors are never in memory at once."""
    after = -1
    while True:
        rows = await fetch_all(
            db,
            "SELECT movie_id, embedding FROM movie_vector_floats WHERE movie_id > ? ORDER BY movie_id LIMIT ?",
            [after, size],
        )
        if not rows:
            return
        ids, batch = _decoded(rows)
        yield ids, batch
        after = int(ids[-1])


async def exact_vectors(db: aiosqlite.Connection) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, float vectors) of every movie in `movie_vectors`, by movie id: for a catalogue below
    TWO_STAGE_MIN_VECTORS (at most ~30 MB), held in memory by `core.search.exact_index`."""
    return await _streamed_vectors(db, "movie_vectors", "ORDER BY movie_id")


async def passage_vectors(db: aiosqlite.Connection, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(owning movie id per passage, passage vectors) of every plot passage, by movie (an older database
    without the table has none); None when there are more than `limit` (too many to hold in memory)."""
    try:
        if await _row_count(db, "movie_passages") > limit:
            return None
        return await _streamed_vectors(db, "movie_passages", "ORDER BY movie_id, position")
    except sqlite.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return np.zeros(0, dtype=np.int64), np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


def _decoded(rows: Sequence[aiosqlite.Row]) -> tuple[np.ndarray, np.ndarray]:
    """(movie ids, float32 vectors, a row each) of (movie_id, embedding blob) rows."""
    ids = np.fromiter((int(r[0]) for r in rows), dtype=np.int64, count=len(rows))
    return ids, np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32).reshape(len(rows), -1)


async def _row_count(db: aiosqlite.Connection, table: str) -> int:
    row = await fetch_one(db, f"SELECT count(*) FROM {table}")
    return int(row[0]) if row is not None else 0


async def _streamed_vectors(db: aiosqlite.Connection, table: str, order: str) -> tuple[np.ndarray, np.ndarray]:
    """A table's (movie_id, embedding) rows written straight into preallocated arrays, a batch at a time:
    no list of every row's bytes (that doubled the memory it took to load them)."""
    total = await _row_count(db, table)
    ids = np.zeros(total, dtype=np.int64)
    matrix = np.zeros((total, EMBEDDING_DIM), dtype=np.float32)
    filled = 0
    async with db.execute(f"SELECT movie_id, embedding FROM {table} {order}") as cursor:
        while filled < total and (rows := await cursor.fetchmany(2_000)):
            rows = rows[: total - filled]  # a row written since the count waits for the next load
            end = filled + len(rows)
            ids[filled:end] = [row[0] for row in rows]
            # A blob of the wrong size fails the reshape: the caller falls back to searching in SQL.
            matrix[filled:end] = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(
                len(rows), -1
            )
            filled = end
    return ids[:filled], matrix[:filled]


async def exact_knn(
    db: aiosqlite.Connection, query_vector: bytes, k: int, conditions: Conditions
) -> list[tuple[int, float]]:
    """`knn` by the exact brute-force scan of the float vectors."""
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
    hits = await exact_knn(
        db, query_vector, len(ids), (["movie_id IN (SELECT value FROM json_each(?))"], [json.dumps(ids)])
    )
    return dict(hits)


MAX_UNION_TERMS = 400


async def cosine_to(db: aiosqlite.Connection, query_vector: bytes, movie_ids: Sequence[int]) -> dict[int, float]:
    """Cosine similarity of the query to a few given movies (movies without a vector are absent).

    One point lookup per id, in one statement: vec0 answers `movie_id IN (...)` and KNN with a scan of
    every vector, `movie_id = ?` with one row, so this is far cheaper than `similarity_to` for a handful.
    """
    ids = list(dict.fromkeys(movie_ids))
    one = "SELECT movie_id, vec_distance_cosine(embedding, ?) FROM movie_vectors WHERE movie_id = ?"
    found: dict[int, float] = {}
    for start in range(0, len(ids), MAX_UNION_TERMS):  # SQLite refuses a compound SELECT of more than 500 terms
        chunk = ids[start : start + MAX_UNION_TERMS]
        params = [v for mid in chunk for v in (query_vector, mid)]
        rows = await fetch_all(db, " UNION ALL ".join([one] * len(chunk)), params)
        found.update((int(r[0]), 1.0 - float(r[1])) for r in rows)
    return found


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
    if not clause:  # every vector's movie is in movies: no join (17 ms less CPU at 63k vectors)
        row = await fetch_one(db, "SELECT count(*) FROM embedding_sources")
    else:
        row = await fetch_one(
            db, f"SELECT count(*) FROM movies m JOIN embedding_sources s USING (movie_id) WHERE 1{clause}", params
        )
    return int(row[0]) if row is not None else 0
