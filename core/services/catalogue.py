"""Reading the catalogue: title search, details, random discovery, the enriched catalogue.

The queries live in the store (`core.data.store.movies`, `.ratings`); this module validates the
arguments, pages and shapes the results.
"""

from __future__ import annotations

import random

from core.data import store
from core.data.normalize import truncate
from core.data.store.movies import (
    EnrichedOrder,
    count_movies,
    enriched_movies_page,
    movie_ids_at_ranks,
    movie_tags,
    movies_with_enrichment,
)
from core.data.store.ratings import movie_rating_counts
from core.errors import InvalidInputError
from core.runtime import MovieApp
from core.schemas import (
    EnrichedMovie,
    EnrichedMoviesPage,
    MovieDetails,
    MovieSearchResult,
    MovieSummary,
    RandomMovies,
    RatingStats,
    TagCount,
    TitleMatch,
)
from core.search.filters import FilterArguments, describe, make_filters, movie_source

OVERVIEW_LIMIT = 1200
TAG_LIMIT = 15
STAR_VALUES = [x / 2 for x in range(1, 11)]


def star_histogram(counts: dict[float, int]) -> dict[str, int]:
    """Ratings per star value "0.5" … "5.0", zero for the values nobody gave."""
    histogram = {f"{v:.1f}": 0 for v in STAR_VALUES}
    for rating, count in counts.items():
        histogram[f"{rating:.1f}"] = count
    return histogram


def next_offset(offset: int, returned: int, total: int) -> int | None:
    """The offset of the next page, or None when this page reached the end."""
    return offset + returned if offset + returned < total else None


async def search_movies(app: MovieApp, query: str, limit: int = 10, offset: int = 0) -> MovieSearchResult:
    """Title search: every word must match (the last as a prefix); exact titles first, then popular."""
    await app.ready()
    if not query.strip():
        raise InvalidInputError("query is empty; give part of a movie title, e.g. 'matrix'")
    rows, total = await store.search_titles(app.db, query, limit, offset)
    genres = await store.genres_of(app.db, [r["movie_id"] for r in rows])
    results = [
        TitleMatch(
            **store.summary_from_row(r, genres[r["movie_id"]]).model_dump(), match_rank=round(r["match_rank"], 4)
        )
        for r in rows
    ]
    return MovieSearchResult(
        query=query,
        total=total,
        offset=offset,
        limit=limit,
        results=results,
        next_offset=next_offset(offset, len(results), total),
    )


async def get_movie_details(app: MovieApp, movie_id: int | None = None, title: str | None = None) -> MovieDetails:
    """Everything known about one movie. Reads only: never writes, never calls an LLM."""
    await app.ready()
    if (movie_id is None) == (title is None or not title.strip()):
        raise InvalidInputError("give exactly one of movie_id or title")
    resolved = movie_id if movie_id is not None else await store.resolve_movie_ref(app.db, title or "")
    found = await movies_with_enrichment(app.db, [resolved])  # the movie, its enrichment and genres in one query
    if resolved not in found:
        await store.require_movie(app.db, resolved)  # raises the usual NotFoundError
    m = found[resolved]
    histogram = star_histogram(await movie_rating_counts(app.db, resolved))
    tags = await movie_tags(app.db, resolved, TAG_LIMIT)
    return MovieDetails(
        movie_id=m["movie_id"],
        imdb_id=m["imdb_id"],
        tmdb_id=m["tmdb_id"],
        title=m["title"],
        year=m["year"],
        genres=store.genre_list(m),
        overview=truncate(m["overview"], OVERVIEW_LIMIT),
        budget=m["budget"],
        revenue=m["revenue"],
        runtime=m["runtime"],
        release_date=m["release_date"],
        language=m["language"],
        mpaa=m["mpaa"],
        ratings=RatingStats(
            count=m["rating_count"],
            mean=round(m["rating_mean"], 2) if m["rating_mean"] is not None else None,
            histogram=histogram,
        ),
        tags=[TagCount(tag=tag, count=n) for tag, n in tags],
        enrichment=store.enrichment_from_row(m),
    )


async def get_random_movies(
    app: MovieApp,
    n: int = 5,
    filters: FilterArguments | None = None,
    enriched_only: bool = False,
    seed: int | None = None,
) -> RandomMovies:
    """A uniform sample of the movies that satisfy the typed `filters`.

    Counts the matches, draws `n` distinct ranks, and fetches only those rows by OFFSET over the
    primary key, so the table is never loaded into memory.
    """
    await app.ready()
    wanted = (filters if filters is not None else FilterArguments()).to_movie_filters()
    source = movie_source(wanted)
    matching = await count_movies(app.db, source, enriched_only=enriched_only)
    rng = random.Random(seed)
    picks = sorted(rng.sample(range(matching), min(n, matching)))
    ids = await movie_ids_at_ranks(app.db, source, picks, enriched_only=enriched_only)
    rng.shuffle(ids)
    found = await store.summaries(app.db, ids)
    movies = [found[i] for i in ids if i in found]
    return RandomMovies(matching=matching, filters=describe(wanted), seed=seed, movies=movies)


async def get_enriched_movies(
    app: MovieApp,
    *,
    sentiment: str | None = None,
    budget_tier: str | None = None,
    revenue_tier: str | None = None,
    target_audience: str | None = None,
    genre: str | None = None,
    min_effectiveness: float | None = None,
    order_by: EnrichedOrder = "effectiveness",
    limit: int = 10,
    offset: int = 0,
) -> EnrichedMoviesPage:
    """Browse movies that have enrichment, filtered by its attributes, best first."""
    await app.ready()
    filters = make_filters(
        sentiments=[sentiment] if sentiment else None,
        budget_tiers=[budget_tier] if budget_tier else None,
        revenue_tiers=[revenue_tier] if revenue_tier else None,
        genres=[genre] if genre else None,
        target_audiences=[target_audience] if target_audience else None,
    )
    rows, total = await enriched_movies_page(
        app.db,
        movie_source(filters),
        min_effectiveness=min_effectiveness,
        order_by=order_by,
        limit=limit,
        offset=offset,
    )
    genres = await store.genres_of(app.db, [r["movie_id"] for r in rows])
    movies = []
    for r in rows:
        enrichment = store.enrichment_from_row(r)
        assert enrichment is not None  # inner join
        summary: MovieSummary = store.summary_from_row(r, genres[r["movie_id"]])
        movies.append(
            EnrichedMovie(**summary.model_dump(), budget=r["budget"], revenue=r["revenue"], enrichment=enrichment)
        )
    shown = describe(filters)
    if min_effectiveness is not None:
        shown["min_effectiveness"] = min_effectiveness
    return EnrichedMoviesPage(
        total=total,
        offset=offset,
        limit=limit,
        next_offset=next_offset(offset, len(movies), total),
        order_by=order_by,
        filters=shown,
        movies=movies,
    )
