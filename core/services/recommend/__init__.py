"""Recommendations as a short pipeline of named stages: parse the request, resolve the seeds (a known
user or liked movies), the candidates the filters allow, rank with the engine's model, optionally
re-rank (semantic blend or LLM), explain, present. Which engines exist, and which model each ranks
with, is `core.models.registry`'s table; each stage is a module of this package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.enrichment.service import ProgressCallback
from core.models.registry import DEFAULT_ENGINE, EngineName
from core.runtime import MovieApp
from core.schemas import Recommendations
from core.search.filters import FilterArguments
from core.services.recommend.calibrate import calibration_weight
from core.services.recommend.candidates import allowed_movies
from core.services.recommend.explain import explain_picks
from core.services.recommend.present import present
from core.services.recommend.rank import choose_model, rank
from core.services.recommend.request import parse_request
from core.services.recommend.rerank import choose_rerank, pool_size, rerank
from core.services.recommend.seeds import require_one_seed, resolve_seeds

__all__ = ["get_movie_recommendations"]

STEPS = 4  # progress: ranked, (asking the LLM), explaining, done


async def get_movie_recommendations(
    app: MovieApp,
    user_id: int | str | None = None,
    liked_movies: list[int | str] | None = None,
    disliked_movies: list[int | str] | None = None,
    n: int = 10,
    engine: EngineName = DEFAULT_ENGINE,
    query: str | None = None,
    progress: ProgressCallback | None = None,
    filters: FilterArguments | None = None,
    genre_calibration: float | None = None,
) -> Recommendations:
    """Top-n movies for a known user, a profile or a list of liked movies, never ones already rated or watched;
    disliked movies (a profile's ratings under 3 stars, and `disliked_movies`) push similar movies down.

    Every pick satisfies the typed `filters` and the filters `query` becomes, both at once.

    `genre_calibration` (0-1; default `CALIBRATION_WEIGHT`, or `FOCUSED_WEIGHT` for a person whose likes nearly all
    share one genre) is how strongly the final list's genre mix is
    pulled towards the person's likes (`calibrate`); it applies when no re-ranker orders the picks.

    `progress(step, 4, message)` is awaited after each stage, so a client sees the LLM re-ranking coming.
    """
    step = _stepper(progress)
    await app.models_ready()
    require_one_seed(user_id, liked_movies)
    calibration_weight(genre_calibration)  # a bad value fails before any work
    typed = filters.to_movie_filters() if filters is not None else None
    request = await parse_request(app, query, typed)
    served, model, model_notes = choose_model(app, engine)
    seeds = await resolve_seeds(app, model, user_id, liked_movies, disliked_movies)
    calibration = calibration_weight(genre_calibration, app.genre_table, seeds.rated)
    allowed, candidate_notes = await allowed_movies(app, request)
    mode, mode_notes = choose_rerank(app, engine, served, request)
    notes = [*request.notes, *candidate_notes, *model_notes, *mode_notes]

    calibrating = app.genre_table if mode is None else None
    ranked = await rank(model, seeds, allowed, pool_size(n, mode), n, final=mode is None, genres=calibrating,
                        calibration=calibration, inline=served.ranks_inline and mode is None)  # fmt: skip
    await step(1, f"{len(ranked.picks)} candidates from collaborative filtering ({served.name})")
    reranked = await rerank(app, mode, ranked.picks, seeds.rated, request, n, served.name, step)
    notes += reranked.notes
    picks = reranked.picks[:n]
    await step(3, f"explaining {len(picks)} picks")
    explanations = ranked.explanations
    if explanations is None:
        explanations = await explain_picks(model, seeds, picks)
    answer = await present(app, picks, explanations, seeds, request, engine, reranked, notes)
    answer.genre_calibration = calibration if calibrating is not None else None
    await step(4, f"{len(answer.recommendations)} recommendations ({reranked.engine})")
    return answer


def _stepper(progress: ProgressCallback | None) -> Callable[[int, str], Awaitable[None]]:
    """`progress` as step(done, message) over the pipeline's STEPS; a no-op without a callback."""

    async def step(done: int, message: str) -> None:
        if progress:
            await progress(done, STEPS, message)

    return step
