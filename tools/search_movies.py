"""search_movies: find movies by title."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import MovieSearchResult
from core.services import catalogue
from tools._common import MAX_OFFSET, MAX_TITLE_CHARS, ToolSpec, call_core, read_only


async def search_movies(
    query: Annotated[
        str, Field(min_length=1, max_length=MAX_TITLE_CHARS, description="part of a title, e.g. 'matrix'")
    ],
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=50, description="results per page (1-50)")] = 10,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET, description="skip this many results (for paging)")] = 0,
) -> MovieSearchResult:
    return await call_core(ctx, catalogue.search_movies, query, limit=limit, offset=offset)


TOOL = ToolSpec(
    fn=search_movies,
    name="search_movies",
    title="Search movies by title",
    description=(
        "Find movies by their title and get their movie_id (the id every other tool takes). Forgiving of case,"
        " accents, punctuation and leading articles ('matrix' finds 'The Matrix'); the last word may be a prefix."
        " Exact titles come first, then the most-rated. Use this when you know (part of) a title; to find movies"
        " by what they are about, use semantic_search instead. Paged: pass next_offset as offset for more."
    ),
    annotations=read_only("Search movies by title"),
)
