"""compare_movies: several movies side by side."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import MovieComparison
from core.services import compare
from tools._common import MAX_ID, ToolSpec, call_core, read_only


async def compare_movies(
    movie_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]],
        Field(min_length=2, max_length=10, description="2 to 10 MovieLens movie ids"),
    ],
    ctx: Context,
    narrative: Annotated[
        bool, Field(description="also write a short paragraph (by the LLM when one is configured)")
    ] = False,
) -> MovieComparison:
    return await call_core(ctx, compare.compare_movies, movie_ids, narrative=narrative)


TOOL = ToolSpec(
    fn=compare_movies,
    name="compare_movies",
    title="Compare movies",
    description=(
        "Compare 2 to 10 movies side by side: budget and revenue (US dollars), ROI (revenue/budget), runtime,"
        " rating count and mean, enrichment (sentiment, tiers, effectiveness 0-10, audience). For each dimension it"
        " names the leader (highest value) and the range; unknown values are reported as unknown (null), never as 0."
        " narrative=true adds a paragraph written by the LLM when one is configured."
    ),
    annotations=read_only("Compare movies"),
)
