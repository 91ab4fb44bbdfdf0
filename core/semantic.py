"""Semantic search: MiniLM embeddings of movie text, cosine KNN in sqlite-vec with filters inside the scan."""

from __future__ import annotations

import json

import anyio.to_thread
import numpy as np
import sqlite_vec

from core import store
from core.app import MovieApp
from core.concurrency import both
from core.embeddings import EMBEDDING_MODEL_NAME
from core.errors import InvalidInputError
from core.filters import describe, make_filters, movie_conditions, vector_conditions, where
from core.models import SemanticMatch, SemanticSearchResult
from core.query_parser import MovieFilters
from core.text import truncate

SNIPPET_LIMIT = 300


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


async def _count_matching(app: MovieApp, filters: MovieFilters) -> int:
    """Movies with a vector that pass the filters, counted on the plain tables (same semantics: unknown
    values never pass), so vec0 only ever runs KNN scans."""
    clause, params = where(movie_conditions(filters), prefix="AND")
    row = await store.fetch_one(
        app.db, f"SELECT count(*) FROM movies m JOIN embedding_sources s USING (movie_id) WHERE 1{clause}", params
    )
    return int(row[0])


async def semantic_search(
    app: MovieApp,
    query: str,
    k: int = 10,
    *,
    genre: str | None = None,
    min_year: int | None = None,
    max_year: int | None = None,
    min_budget: int | None = None,
    max_budget: int | None = None,
    min_runtime: float | None = None,
    max_runtime: float | None = None,
    sentiment: str | None = None,
    target_audience: str | None = None,
) -> SemanticSearchResult:
    """Movies whose plot and description are closest in meaning to the query, within the filters."""
    await app.ready()
    filters = make_filters(
        genres=[genre] if genre else None,
        min_year=min_year,
        max_year=max_year,
        min_budget=min_budget,
        max_budget=max_budget,
        min_runtime=min_runtime,
        max_runtime=max_runtime,
        sentiments=[sentiment] if sentiment else None,
        target_audiences=[target_audience] if target_audience else None,
    )
    if not query.strip():
        raise InvalidInputError("query is empty; describe the movie you want, e.g. 'a heist that goes wrong'")
    conditions = vector_conditions(filters)
    # The query embedding (a worker thread) overlaps the count of matching movies (the database's thread).
    vector, matching = await both(lambda: embed_query(app, query), lambda: _count_matching(app, filters))
    hits = await knn(app, vector, k, conditions) if matching else []
    found = await store.summaries(app.db, [mid for mid, _ in hits])
    overviews = (
        {
            r[0]: r[1]
            for r in await store.fetch_all(
                app.db,
                f"SELECT movie_id, overview FROM movies WHERE movie_id IN ({store.placeholders(len(hits))})",
                [mid for mid, _ in hits],
            )
        }
        if hits
        else {}
    )
    results = [
        SemanticMatch(
            **found[mid].model_dump(), similarity=round(sim, 4), overview=truncate(overviews.get(mid), SNIPPET_LIMIT)
        )
        for mid, sim in hits
        if mid in found
    ]
    return SemanticSearchResult(
        query=query,
        k=k,
        filters=describe(filters),
        matching_movies=matching,
        results=results,
        engine=EMBEDDING_MODEL_NAME,
    )
