"""Vector search: the query as a MiniLM embedding, cosine KNN in sqlite-vec with filters inside the scan."""

from __future__ import annotations

import json

import anyio.to_thread
import numpy as np
import sqlite_vec

from core.data import store
from core.runtime import MovieApp
from core.search.filters import movie_conditions, where
from core.search.query_parser import MovieFilters


async def embed_query(app: MovieApp, text: str) -> bytes:
    """The query as a serialised float32 vector (the model runs in a worker thread)."""
    embedder = await app.embedder_ready()
    vector: np.ndarray = await anyio.to_thread.run_sync(embedder.encode_one, text)
    return sqlite_vec.serialize_float32(vector.tolist())


async def knn(
    app: MovieApp, query_vector: bytes, k: int, conditions: tuple[list[str], list[object]]
) -> list[tuple[int, float]]:
    """(movie_id, cosine similarity) of the k nearest movies passing the conditions, nearest first."""
    clause, params = where(conditions, prefix="AND")
    rows = await store.fetch_all(
        app.db,
        f"SELECT movie_id, distance FROM movie_vectors WHERE embedding MATCH ? AND k = ?{clause} ORDER BY distance",
        [query_vector, k, *params],
    )
    return [(int(r[0]), 1.0 - float(r[1])) for r in rows]


async def similarity_to(app: MovieApp, query_vector: bytes, movie_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the query to each given movie (movies without a vector are absent)."""
    if not movie_ids:
        return {}
    hits = await knn(
        app, query_vector, len(movie_ids), (["movie_id IN (SELECT value FROM json_each(?))"], [json.dumps(movie_ids)])
    )
    return dict(hits)


async def count_matching(app: MovieApp, filters: MovieFilters) -> int:
    """Movies with a vector that pass the filters, counted on the plain tables (same semantics: unknown
    values never pass), so vec0 only ever runs KNN scans."""
    clause, params = where(movie_conditions(filters), prefix="AND")
    row = await store.fetch_one(
        app.db, f"SELECT count(*) FROM movies m JOIN embedding_sources s USING (movie_id) WHERE 1{clause}", params
    )
    return int(row[0])
