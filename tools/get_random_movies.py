"""get_random_movies: random discovery."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import RandomMovies
from core.search.filters import RandomFilters
from core.services import catalogue
from tools._arguments import spread_model_argument
from tools._common import MAX_SEED, ToolSpec, call_core, read_only


async def get_random_movies(
    ctx: Context,
    n: Annotated[int, Field(ge=1, le=50, description="how many movies (1-50)")] = 5,
    enriched_only: Annotated[bool, Field(description="only movies that have enrichment")] = False,
    seed: Annotated[int | None, Field(ge=0, le=MAX_SEED, description="fix the draw so it can be repeated")] = None,
    *,
    filters: RandomFilters,
) -> RandomMovies:
    return await call_core(
        ctx, catalogue.get_random_movies, n=n, filters=filters, enriched_only=enriched_only, seed=seed
    )


TOOL = ToolSpec(
    # The filters are published as top-level arguments, one per `RandomFilters` field.
    fn=spread_model_argument(get_random_movies, "filters"),
    name="get_random_movies",
    title="Random movies",
    description=(
        "A uniform random sample of movies for open-ended discovery ('surprise me'), optionally narrowed by typed"
        " filters (genres, exclude_genres, years, runtime, budget/revenue bounds and tiers, sentiments,"
        " target_audiences, min_rating; all must hold; the answer reports them). Not personalised: for picks"
        " that fit a user's taste use get_movie_recommendations. Pass seed to get the same sample again."
    ),
    # Without a seed each call draws anew, so repeating a call is not idempotent.
    annotations=read_only("Random movies", idempotent=False),
)
