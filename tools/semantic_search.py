"""semantic_search: find movies by meaning."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import SemanticSearchResult
from core.search.filters import SemanticFilters
from core.services import semantic_search as semantic_search_service
from tools._arguments import spread_model_argument
from tools._common import ToolSpec, call_core, read_only


async def semantic_search(
    query: Annotated[str, Field(min_length=1, max_length=500, description="what the movie is about, in plain words")],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=50, description="how many results (1-50)")] = 10,
    *,
    filters: SemanticFilters,
) -> SemanticSearchResult:
    return await call_core(ctx, semantic_search_service.semantic_search, query, k, filters)


TOOL = ToolSpec(
    # The filters are published as top-level arguments, one per `SemanticFilters` field.
    fn=spread_model_argument(semantic_search, "filters"),
    name="semantic_search",
    title="Search movies by meaning",
    description=(
        "Find movies by what they are about, e.g. a half-remembered plot ('that movie where a guy relives the"
        " same day'): chat filler is dropped, then word matches (BM25 over each movie's overview, tagline,"
        " title, genres and tags) are fused with meaning matches (all-MiniLM-L6-v2 embeddings, cosine), and an"
        " answer from a catalogue without plot text says so. A description that opens with the kind of film"
        " ('30s screwball comedy, an heiress on a bus...') ranks films of that genre and decade up without"
        " excluding others (reported as kind_of_film). Otherwise the query is matched as a description, so"
        " prefer the typed filter arguments for constraints (genres, exclude_genres, min_year/max_year, runtime,"
        " budget/revenue bounds and tiers, sentiments, target_audiences, min_rating): they are applied inside"
        " the vector search, so k results come back whenever k movies match, and the answer reports them."
        " genre, sentiment and target_audience are older single-value spellings. Use it for descriptions"
        " ('a heist that goes wrong', 'robots who learn to love'); for a known title use search_movies."
    ),
    annotations=read_only("Search movies by meaning"),
)
