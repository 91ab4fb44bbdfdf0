"""get_movie_recommendations: personalised picks with their evidence."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.models.registry import DEFAULT_ENGINE, EngineName, engine_argument_help, engine_summary
from core.schemas import Recommendations
from core.search.filters import FilterArguments
from core.services import recommend
from core.services.recommend.calibrate import CALIBRATION_WEIGHT, FOCUSED_SHARE, FOCUSED_WEIGHT
from tools._arguments import spread_model_argument
from tools._common import MAX_ID, MAX_TITLE_CHARS, ToolSpec, call_core, read_only
from tools._user import USER_ID_HELP, UserId

MovieRef = Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS)]
"""A movie id or a title, as liked_movies and disliked_movies take them."""


async def get_movie_recommendations(
    ctx: Context,
    user_id: Annotated[UserId | None, Field(description=USER_ID_HELP)] = None,
    liked_movies: Annotated[
        list[MovieRef] | None,
        Field(min_length=1, max_length=50, description="for someone new: movie ids or titles they liked"),
    ] = None,
    disliked_movies: Annotated[
        list[MovieRef] | None,
        Field(
            max_length=50,
            description="movie ids or titles they disliked: never returned, and similar movies are pushed down",
        ),
    ] = None,
    n: Annotated[int, Field(ge=1, le=50, description="how many picks (1-50)")] = 10,
    engine: Annotated[EngineName, Field(description=engine_argument_help())] = DEFAULT_ENGINE,
    query: Annotated[
        str | None,
        Field(
            max_length=500,
            description="optional request in plain words, e.g. 'something light for a rainy day'; its filters"
            " combine with the typed filter arguments (both must hold). Prefer the typed arguments for"
            " genres, years, runtime, money, tone and audience",
        ),
    ] = None,
    genre_calibration: Annotated[
        float | None,
        Field(
            ge=0,
            le=1,
            description="0-1: how strongly the picks' genre mix follows the user's own (default"
            f" {CALIBRATION_WEIGHT:g}, chosen on held-out ratings, or {FOCUSED_WEIGHT:g} when"
            f" {FOCUSED_SHARE:.0%} of the user's likes share one genre; the answer says which). Raise it"
            " (e.g. 0.3) when the person wants"
            " more of what they usually watch ('mostly sci-fi, like my favourites'); 0 ranks by the"
            " collaborative models alone",
        ),
    ] = None,
    *,
    filters: FilterArguments,
) -> Recommendations:
    async def progress(done: float, total: float, message: str) -> None:
        await ctx.report_progress(done, total, message)  # a no-op unless the client asked for progress

    return await call_core(
        ctx,
        recommend.get_movie_recommendations,
        user_id=user_id,
        liked_movies=liked_movies,
        disliked_movies=disliked_movies,
        n=n,
        engine=engine,
        query=query,
        progress=progress,
        filters=filters,
        genre_calibration=genre_calibration,
    )


TOOL = ToolSpec(
    # The typed filters are published as top-level arguments, one per `FilterArguments` field.
    fn=spread_model_argument(get_movie_recommendations, "filters"),
    name="get_movie_recommendations",
    title="Recommend movies",
    description=(
        "Personalised movie picks from collaborative filtering trained on all users' ratings: by default an"
        " ensemble of EASE (an item-item model) and implicit ALS, the most accurate engine in `movie-mcp eval`."
        " Give user_id (a MovieLens user id, or the name of a person's imported profile of their own ratings), or"
        " liked_movies (ids or titles) for someone new, optionally with disliked_movies. Never returns movies the"
        " user already rated or watched; a profile's ratings under 3 stars count as dislikes."
        " Prefer the typed filter arguments (genres, exclude_genres, min_year/max_year,"
        " min_runtime/max_runtime, budget/revenue bounds and tiers, sentiments, target_audiences, min_rating)"
        " over phrasing constraints in query: e.g. genres=['Comedy'], exclude_genres=['Animation'],"
        " max_year=1999. The optional query in plain words also becomes filters; typed filters and the query's"
        " filters must both hold (a contradiction is an error), words it did not understand are listed, and the"
        f" answer's filters field reports the effective filters. engine: {engine_summary()}."
        " Each pick lists the user's movies that contributed most ('because you liked ...')."
        " For a single movie's expected stars use predict_rating instead. Reports progress (useful with engine='llm')."
    ),
    annotations=read_only("Recommend movies"),
)
