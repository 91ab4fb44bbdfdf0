"""get_random_movies: random discovery."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import RandomMovies
from core.services import catalogue
from tools._common import MAX_NAME_CHARS, MAX_SEED, ToolSpec, call_core, read_only


async def get_random_movies(
    ctx: Context,
    n: Annotated[int, Field(ge=1, le=50, description="how many movies (1-50)")] = 5,
    genre: Annotated[
        str | None, Field(max_length=MAX_NAME_CHARS, description="only this genre, e.g. 'Comedy' or 'Sci-Fi'")
    ] = None,
    min_year: Annotated[int | None, Field(ge=1870, le=2100, description="released in or after this year")] = None,
    max_year: Annotated[int | None, Field(ge=1870, le=2100, description="released in or before this year")] = None,
    enriched_only: Annotated[bool, Field(description="only movies that have enrichment")] = False,
    seed: Annotated[int | None, Field(ge=0, le=MAX_SEED, description="fix the draw so it can be repeated")] = None,
) -> RandomMovies:
    return await call_core(
        ctx,
        catalogue.get_random_movies,
        n=n,
        genre=genre,
        min_year=min_year,
        max_year=max_year,
        enriched_only=enriched_only,
        seed=seed,
    )


TOOL = ToolSpec(
    fn=get_random_movies,
    name="get_random_movies",
    title="Random movies",
    description=(
        "A uniform random sample of movies, optionally within a genre and a year range, for open-ended"
        " discovery ('surprise me'). Not personalised: for picks that fit a user's taste use"
        " get_movie_recommendations. Pass seed to get the same sample again."
    ),
    # Without a seed each call draws anew, so repeating a call is not idempotent.
    annotations=read_only("Random movies", idempotent=False),
)
