"""get_movie_details: everything known about one movie."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import MovieDetails
from core.services import catalogue
from tools._common import MAX_ID, MAX_TITLE_CHARS, ToolSpec, call_core, read_only


async def get_movie_details(
    ctx: Context,
    movie_id: Annotated[
        int | None, Field(ge=1, le=MAX_ID, description="MovieLens movie id (from search_movies)")
    ] = None,
    title: Annotated[
        str | None,
        Field(min_length=1, max_length=MAX_TITLE_CHARS, description="a title, used when movie_id is not given"),
    ] = None,
) -> MovieDetails:
    return await call_core(ctx, catalogue.get_movie_details, movie_id=movie_id, title=title)


TOOL = ToolSpec(
    fn=get_movie_details,
    name="get_movie_details",
    title="Movie details",
    description=(
        "All stored facts about one movie: ids (MovieLens, IMDb, TMDB), title, year, genres, overview, budget and"
        " revenue in US dollars (null when unknown), runtime in minutes, release date, language, MPAA rating,"
        " rating statistics (count, mean, histogram over 0.5-5.0 stars), the most common user tags, and its"
        " enrichment (sentiment, budget/revenue tier, effectiveness 0-10, target audience) when present."
        " Give movie_id, or a title (the best match is used). Read-only: never computes enrichment."
    ),
    annotations=read_only("Movie details"),
)
