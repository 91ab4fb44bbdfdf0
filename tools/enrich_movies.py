"""enrich_movies: compute and store the five enrichment attributes."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from core.enrichment import service as enrich
from core.schemas import EnrichmentReport
from tools._common import MAX_ID, ToolSpec, call_core


async def enrich_movies(
    ctx: Context,
    movie_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None,
        Field(min_length=1, max_length=100, description="specific movies (1-100 ids)"),
    ] = None,
    n: Annotated[
        int | None, Field(ge=1, le=100, description="or: enrich this many unenriched movies, most-rated first")
    ] = None,
    force: Annotated[bool, Field(description="recompute movies that are already enriched")] = False,
) -> EnrichmentReport:
    async def progress(done: float, total: float, message: str) -> None:
        await ctx.report_progress(done, total, message)

    return await call_core(ctx, enrich.enrich_movies, movie_ids=movie_ids, n=n, force=force, progress=progress)


TOOL = ToolSpec(
    fn=enrich_movies,
    name="enrich_movies",
    title="Enrich movies",
    description=(
        "Compute and store five attributes per movie: sentiment of the overview, budget tier, revenue tier,"
        " effectiveness score (0-10 from ROI and audience rating) and target audience. Give movie_ids, or n to"
        " take the most-rated movies still lacking enrichment; at most 100 per call, and the answer says how many"
        " remain and how to continue. Idempotent: already enriched movies are skipped unless force=true. Writes"
        " are all-or-nothing. Reports progress. The answer names the engine used."
    ),
    annotations=ToolAnnotations(
        title="Enrich movies",
        read_only_hint=False,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    ),
)
