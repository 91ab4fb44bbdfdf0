"""get_movie_recommendations: personalised picks with their evidence."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.models.registry import DEFAULT_ENGINE, EngineName, engine_argument_help, engine_summary
from core.schemas import Recommendations
from core.services import recommend
from tools._common import ToolSpec, call_core, read_only
from tools._user import USER_ID_HELP, UserId


async def get_movie_recommendations(
    ctx: Context,
    user_id: Annotated[UserId | None, Field(description=USER_ID_HELP)] = None,
    liked_movies: Annotated[
        list[int | str] | None,
        Field(min_length=1, max_length=50, description="for someone new: movie ids or titles they liked"),
    ] = None,
    disliked_movies: Annotated[
        list[int | str] | None,
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
            description="optional request in plain words, e.g. '90s comedies under 100 minutes'; becomes filters",
        ),
    ] = None,
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
    )


TOOL = ToolSpec(
    fn=get_movie_recommendations,
    name="get_movie_recommendations",
    title="Recommend movies",
    description=(
        "Personalised movie picks from collaborative filtering trained on all users' ratings: by default an"
        " ensemble of EASE (an item-item model) and implicit ALS, the most accurate engine in `movie-mcp eval`."
        " Give user_id (a MovieLens user id, or the name of a person's imported profile of their own ratings), or"
        " liked_movies (ids or titles) for someone new, optionally with disliked_movies. Never returns movies the"
        " user already rated or watched; a profile's ratings under 3 stars count as dislikes."
        " Optional query in plain words ('action movies with high revenue', '90s comedies for"
        " kids under 100 minutes') becomes filters on genre, years, runtime, budget/revenue tiers, sentiment and"
        f" audience; words it did not understand are listed. engine: {engine_summary()}."
        " Each pick lists the user's movies that contributed most ('because you liked ...')."
        " For a single movie's expected stars use predict_rating instead. Reports progress (useful with engine='llm')."
    ),
    annotations=read_only("Recommend movies"),
)
