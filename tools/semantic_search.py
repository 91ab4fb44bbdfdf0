"""semantic_search: find movies by meaning."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import SemanticSearchResult, Sentiment, TargetAudience
from core.services import semantic_search as semantic_search_service
from tools._common import ToolSpec, call_core, read_only


async def semantic_search(
    query: Annotated[str, Field(min_length=1, max_length=500, description="what the movie is about, in plain words")],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=50, description="how many results (1-50)")] = 10,
    genre: Annotated[str | None, Field(description="only this genre, e.g. 'Drama'")] = None,
    min_year: Annotated[int | None, Field(ge=1870, le=2100, description="released in or after this year")] = None,
    max_year: Annotated[int | None, Field(ge=1870, le=2100, description="released in or before this year")] = None,
    min_budget: Annotated[int | None, Field(ge=0, description="US dollars")] = None,
    max_budget: Annotated[int | None, Field(ge=0, description="US dollars")] = None,
    min_runtime: Annotated[float | None, Field(ge=0, description="minutes")] = None,
    max_runtime: Annotated[float | None, Field(ge=0, description="minutes")] = None,
    sentiment: Annotated[Sentiment | None, Field(description="tone of the overview (from enrichment)")] = None,
    target_audience: Annotated[
        TargetAudience | None, Field(description="kids, family, teens or adults (from enrichment)")
    ] = None,
) -> SemanticSearchResult:
    return await call_core(
        ctx,
        semantic_search_service.semantic_search,
        query,
        k,
        genre=genre,
        min_year=min_year,
        max_year=max_year,
        min_budget=min_budget,
        max_budget=max_budget,
        min_runtime=min_runtime,
        max_runtime=max_runtime,
        sentiment=sentiment,
        target_audience=target_audience,
    )


TOOL = ToolSpec(
    fn=semantic_search,
    name="semantic_search",
    title="Search movies by meaning",
    description=(
        "Find movies by what they are about: the query is embedded with all-MiniLM-L6-v2 and compared (cosine) with"
        " each movie's overview, title and genres. Filters (genre, years, budget, runtime, sentiment, audience)"
        " are applied inside the vector search, so k results come back whenever k movies match. Use it for"
        " descriptions ('a heist that goes wrong', 'robots who learn to love'); for a known title use"
        " search_movies."
    ),
    annotations=read_only("Search movies by meaning"),
)
