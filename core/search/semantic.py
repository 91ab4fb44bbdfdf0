"""Vector search: the query as a MiniLM embedding, cosine KNN with filters inside the scan.

Without filters the vectors are searched in memory (`core.search.exact_index` on a small catalogue,
`core.search.sign_bits` candidates on a two-stage one); with filters, in sqlite-vec. The SQL is in
`core.data.store.vectors`; these take the app so callers need not know about the db.
"""

from __future__ import annotations

import json

import numpy as np
import sqlite_vec

from core.data.store import vectors
from core.runtime import MovieApp
from core.search.filters import Conditions, MovieFilters, movie_conditions


def _as_array(query_vector: bytes) -> np.ndarray:
    """The serialised query vector as float32 numpy, for the in-memory indexes (no copy)."""
    return np.frombuffer(query_vector, dtype=np.float32)


async def embed_query(app: MovieApp, text: str) -> bytes:
    """The query as a serialised float32 vector (the model runs on the event loop, batched with the other
    queries asked for in the same pass: `core.search.query_batch`)."""
    await app.embedder_ready()
    vector = await app.query_embeddings.embed(text)
    return sqlite_vec.serialize_float32(vector.tolist())


async def knn(app: MovieApp, query_vector: bytes, k: int, conditions: Conditions) -> list[tuple[int, float]]:
    """(movie_id, cosine similarity) of the k nearest movies passing the vector conditions, nearest first.

    Without conditions the search runs in memory: on a small catalogue exactly over its float vectors
    (`core.search.exact_index`, a matrix product instead of a vec0 scan), on a two-stage one with candidates
    from the sign bits (`core.search.sign_bits`: the same Hamming ranking as the vec0 bit scan, about ten
    times cheaper). Conditions run inside the vec0 scan, as before."""
    if conditions[0]:
        return await vectors.knn(app.db, query_vector, k, conditions)
    query = _as_array(query_vector)
    exact = app.exact_vectors
    if exact is not None:
        return exact.nearest(query, k)
    index = app.sign_bits
    if index is None:  # the models (and these indexes) are still loading
        return await vectors.knn(app.db, query_vector, k, conditions)
    candidates = index.nearest(query, vectors.candidate_count(k))
    return await vectors.rescored(app.db, query_vector, candidates.tolist(), k)


async def knn_among(app: MovieApp, query_vector: bytes, k: int, movie_ids: np.ndarray) -> list[tuple[int, float]]:
    """`knn` among the given movies (the films of a kind, for a ranking list): exactly in memory on a small
    catalogue; on a two-stage one, candidates from their sign bits re-scored by their float vectors."""
    query = _as_array(query_vector)
    exact = app.exact_vectors
    if exact is not None:
        return exact.nearest(query, k, within=movie_ids)
    index = app.sign_bits
    if index is None:  # still loading: the exact scan takes the ids as its condition
        among = (["movie_id IN (SELECT value FROM json_each(?))"], [json.dumps(movie_ids.tolist())])
        return await vectors.knn(app.db, query_vector, k, among)
    candidates = index.nearest(query, vectors.candidate_count(k), within=movie_ids)
    return await vectors.rescored(app.db, query_vector, candidates.tolist(), k)


async def cosine_to(app: MovieApp, query_vector: bytes, movie_ids: list[int]) -> dict[int, float]:
    """`similarity_to` for a handful of movies: in SQL by point lookups rather than a scan with the ids."""
    exact = app.exact_vectors
    if exact is not None:
        return exact.cosine_to(_as_array(query_vector), movie_ids)
    return await vectors.cosine_to(app.db, query_vector, movie_ids)


async def best_passages(app: MovieApp, query_vector: bytes, movie_ids: list[int]) -> dict[int, float]:
    """movie_id -> cosine of the query to the movie's closest plot passage, for the given movies that have any."""
    passages = app.passages
    if passages is not None:
        return passages.best(_as_array(query_vector), movie_ids)
    return await vectors.best_passages(app.db, query_vector, movie_ids)


async def similarity_to(app: MovieApp, query_vector: bytes, movie_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the query to each given movie (movies without a vector are absent)."""
    exact = app.exact_vectors
    if exact is not None:
        return exact.cosine_to(_as_array(query_vector), movie_ids)
    return await vectors.similarity_to(app.db, query_vector, movie_ids)


async def count_matching(app: MovieApp, filters: MovieFilters) -> int:
    """Movies with a vector that pass the filters (what a KNN search can choose from)."""
    return await vectors.count_with_vector(app.db, movie_conditions(filters))
