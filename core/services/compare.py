"""Side-by-side comparison of 2 to 10 movies."""

from __future__ import annotations

from core.data import store
from core.data.store.movies import movies_with_enrichment
from core.errors import InvalidInputError, NotFoundError
from core.llm.narration import written_text
from core.llm.tasks import COMPARE_NARRATIVE
from core.runtime import MovieApp
from core.schemas import ComparedMovie, DimensionComparison, MovieComparison

COMPARE_ENGINE = "offline-stats-v1"
MIN_MOVIES, MAX_MOVIES = 2, 10

# (dimension, label for the summary); the leader is the movie with the highest value.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("rating_mean", "mean rating"),
    ("rating_count", "number of ratings"),
    ("budget", "budget"),
    ("revenue", "revenue"),
    ("roi", "return on investment"),
    ("runtime", "runtime"),
    ("effectiveness_score", "effectiveness score"),
)


def _value(movie: ComparedMovie, dimension: str) -> float | None:
    if dimension == "effectiveness_score":
        return movie.enrichment.effectiveness_score if movie.enrichment else None
    value = getattr(movie, dimension)
    return float(value) if value is not None else None


def _fmt(dimension: str, value: float) -> str:
    if dimension in ("budget", "revenue"):
        return f"${value / 1e6:,.1f}M"
    if dimension == "roi":
        return f"{value:.1f}x"
    if dimension == "runtime":
        return f"{value:.0f} min"
    if dimension == "rating_mean":
        return f"{value:.2f}★"
    return f"{value:g}"


async def _compared_movies(app: MovieApp, ids: list[int]) -> list[ComparedMovie]:
    """The movies in the order asked, with ROI and enrichment; NotFoundError names any unknown id."""
    by_id = await movies_with_enrichment(app.db, ids)
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFoundError(f"movie ids {missing} do not exist; find ids with search_movies")
    movies: list[ComparedMovie] = []
    for movie_id in ids:
        r = by_id[movie_id]
        roi = r["revenue"] / r["budget"] if r["revenue"] and r["budget"] else None
        movies.append(
            ComparedMovie(
                **store.summary_from_row(r, store.genre_list(r)).model_dump(),
                budget=r["budget"],
                revenue=r["revenue"],
                roi=round(roi, 3) if roi is not None else None,
                runtime=r["runtime"],
                enrichment=store.enrichment_from_row(r),
            )
        )
    return movies


def _compare_on(movies: list[ComparedMovie], dimension: str, label: str) -> tuple[DimensionComparison, str | None]:
    """One dimension's leader and range, and the summary's sentence about it (None: nothing to say)."""
    known = [(m, v) for m in movies if (v := _value(m, dimension)) is not None]
    unknown = [m.movie_id for m in movies if _value(m, dimension) is None]
    if not known:
        empty = DimensionComparison(
            dimension=dimension,
            leader_movie_id=None,
            leader_title=None,
            minimum=None,
            maximum=None,
            unknown_for=unknown,
        )
        return empty, f"{label.capitalize()} is unknown for all of them."
    leader, top = max(known, key=lambda mv: mv[1])
    values = [v for _, v in known]
    comparison = DimensionComparison(
        dimension=dimension,
        leader_movie_id=leader.movie_id,
        leader_title=leader.title,
        minimum=min(values),
        maximum=max(values),
        unknown_for=unknown,
    )
    # A lone known value leads nothing worth a sentence.
    return comparison, f"{leader.title} leads on {label} ({_fmt(dimension, top)})." if len(known) > 1 else None


async def compare_movies(app: MovieApp, movie_ids: list[int], narrative: bool = False) -> MovieComparison:
    """Budget, revenue, ROI, runtime, ratings and enrichment side by side, with the leader on each."""
    await app.ready()
    ids = list(dict.fromkeys(movie_ids))
    if not MIN_MOVIES <= len(ids) <= MAX_MOVIES:
        raise InvalidInputError(
            f"compare_movies needs {MIN_MOVIES} to {MAX_MOVIES} different movie ids; got {len(ids)}"
        )
    movies = await _compared_movies(app, ids)
    compared = [_compare_on(movies, dimension, label) for dimension, label in DIMENSIONS]
    dimensions = [comparison for comparison, _ in compared]
    summary = " ".join(sentence for _, sentence in compared if sentence is not None)
    if not narrative:
        return MovieComparison(movies=movies, dimensions=dimensions, summary=summary, engine=COMPARE_ENGINE)
    text, engine = await written_text(
        app.engine,
        COMPARE_NARRATIVE,
        {
            "movies": [m.model_dump(exclude={"genres"}) for m in movies],
            "leaders": [d.model_dump() for d in dimensions],
        },
        summary,
    )
    return MovieComparison(movies=movies, dimensions=dimensions, summary=summary, narrative=text, engine=engine)
