"""semantic_search: movies whose plot and description are closest in meaning to a query, within filters."""

from __future__ import annotations

from core.concurrency import both
from core.data import store
from core.data.normalize import truncate
from core.data.store.movies import overviews
from core.errors import InvalidInputError
from core.runtime import MovieApp
from core.schemas import SemanticMatch, SemanticSearchResult
from core.search.embedder import EMBEDDING_MODEL_NAME
from core.search.filters import SemanticFilters, describe, vector_conditions
from core.search.semantic import count_matching, embed_query, knn

SNIPPET_LIMIT = 300


async def semantic_search(
    app: MovieApp, query: str, k: int = 10, filters: SemanticFilters | None = None
) -> SemanticSearchResult:
    """Movies whose plot and description are closest in meaning to the query, within the filters."""
    await app.ready()
    movie_filters = (filters if filters is not None else SemanticFilters()).to_movie_filters()
    if not query.strip():
        raise InvalidInputError("query is empty; describe the movie you want, e.g. 'a heist that goes wrong'")
    conditions = vector_conditions(movie_filters)
    # The query embedding (a worker thread) overlaps the count of matching movies (the database's thread).
    vector, matching = await both(lambda: embed_query(app, query), lambda: count_matching(app, movie_filters))
    hits = await knn(app, vector, k, conditions) if matching else []
    found = await store.summaries(app.db, [mid for mid, _ in hits])
    overview_of = await overviews(app.db, [mid for mid, _ in hits])
    results = [
        SemanticMatch(
            **found[mid].model_dump(), similarity=round(sim, 4), overview=truncate(overview_of.get(mid), SNIPPET_LIMIT)
        )
        for mid, sim in hits
        if mid in found
    ]
    return SemanticSearchResult(
        query=query,
        k=k,
        filters=describe(movie_filters),
        matching_movies=matching,
        results=results,
        engine=EMBEDDING_MODEL_NAME,
    )
