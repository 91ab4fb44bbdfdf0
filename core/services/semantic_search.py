"""semantic_search: movies whose plot and description best match a query, within filters."""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from core.concurrency import both
from core.data import store
from core.data.normalize import truncate
from core.data.store.documents import plot_coverage
from core.data.store.movies import overviews
from core.errors import InvalidInputError
from core.runtime import MovieApp
from core.schemas import SemanticMatch, SemanticSearchResult
from core.search.filters import MovieFilters, SemanticFilters, describe
from core.search.hybrid import ENGINE, HybridHits, KindLists, hybrid_search, kind_candidates, lexical_candidates
from core.search.kind import kind_filters, split_kind
from core.search.plot_text import thin_plot_note
from core.search.rewrite import rewrite_query
from core.search.semantic import count_matching, embed_query

SNIPPET_LIMIT = 300
# The catalogue does not change while it is served: its plot-text note is computed once per app.
_notes: WeakKeyDictionary[MovieApp, list[str]] = WeakKeyDictionary()


async def semantic_search(
    app: MovieApp, query: str, k: int = 10, filters: SemanticFilters | None = None
) -> SemanticSearchResult:
    """Movies whose plot and description best match the query (BM25 and MiniLM, fused), within the filters."""
    await app.ready()
    movie_filters = (filters if filters is not None else SemanticFilters()).to_movie_filters()
    if not query.strip():
        raise InvalidInputError("query is empty; describe the movie you want, e.g. 'a heist that goes wrong'")
    search = await plot_search(app, query, k, movie_filters)
    return SemanticSearchResult(
        query=query,
        k=k,
        filters=describe(movie_filters),
        matching_movies=search.matching,
        results=await _matches(app, search.found.hits),
        engine=ENGINE,
        searched_for=search.text,
        kind_of_film=_named_kind(search.named, movie_filters),
        retrievers=search.found.retrievers,
        notes=await _catalogue_notes(app),
    )


@dataclass(frozen=True)
class PlotSearch:
    """One search's working: the rewritten text, the kind of film it named, how many movies pass the filters,
    and the ranked hits (with every candidate's features, which `core.evaluation.fit_ranker` reads)."""

    text: str
    named: MovieFilters | None
    matching: int
    found: HybridHits


async def plot_search(app: MovieApp, query: str, k: int, movie_filters: MovieFilters) -> PlotSearch:
    """The k best movies for a (non-empty) query within the filters, and how they were found."""
    text = rewrite_query(query)
    kind = split_kind(text)  # "30s screwball comedy, ...": the plot's embedding leaves the kind words out
    named = kind_filters(kind, movie_filters)

    async def without_vector() -> tuple[int, list[tuple[int, float]], KindLists | None]:
        # The count and BM25 go to the database's thread together, before the query embedding holds the loop.
        if named is None:
            matching, sparse = await both(
                lambda: count_matching(app, movie_filters), lambda: lexical_candidates(app, text, k, movie_filters)
            )
            return matching, sparse if matching else [], None
        matching, kind_lists = await both(
            lambda: count_matching(app, movie_filters), lambda: kind_candidates(app, text, k, movie_filters, named)
        )
        return (matching, kind_lists.plain_sparse, kind_lists) if matching else (matching, [], None)

    # The database work is started first: the query embedding runs on the loop (`core.search.query_batch`)
    # and holds it while the count and BM25 run on the database's thread.
    (matching, sparse, kind_lists), vector = await both(without_vector, lambda: embed_query(app, kind.plot))
    found = await hybrid_search(app, vector, sparse, k, movie_filters, kind_lists) if matching else HybridHits([])
    return PlotSearch(text, named, matching, found)


def _named_kind(named: MovieFilters | None, filters: MovieFilters) -> dict[str, object] | None:
    """What the query's kind words added to the filters (genres, years), as the answer reports it."""
    if named is None:
        return None
    given = describe(filters)
    return {key: value for key, value in describe(named).items() if given.get(key) != value}


async def _matches(app: MovieApp, hits: list[tuple[int, float]]) -> list[SemanticMatch]:
    ids = [mid for mid, _ in hits]
    found = await store.summaries(app.db, ids)
    overview_of = await overviews(app.db, ids)
    return [
        SemanticMatch(
            **found[mid].model_dump(), similarity=round(sim, 4), overview=truncate(overview_of.get(mid), SNIPPET_LIMIT)
        )
        for mid, sim in hits
        if mid in found
    ]


async def _catalogue_notes(app: MovieApp) -> list[str]:
    """What the catalogue itself limits (missing plot text), the same for every query."""
    if app not in _notes:
        note = thin_plot_note(*await plot_coverage(app.db))
        _notes[app] = [note] if note else []
    return list(_notes[app])
