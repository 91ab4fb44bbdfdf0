"""get_enriched_movies: browse the enriched catalogue."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import BudgetTier, EnrichedMoviesPage, RevenueTier, Sentiment, TargetAudience
from core.services import catalogue
from core.services.catalogue import EnrichedOrder
from tools._common import MAX_NAME_CHARS, MAX_OFFSET, ToolSpec, call_core, read_only


async def get_enriched_movies(
    ctx: Context,
    sentiment: Annotated[Sentiment | None, Field(description="tone of the overview")] = None,
    budget_tier: Annotated[
        BudgetTier | None, Field(description="low <$10M, medium <$50M, high <$150M, ultra_high, unknown")
    ] = None,
    revenue_tier: Annotated[
        RevenueTier | None, Field(description="low <$50M, medium <$200M, high <$500M, blockbuster, unknown")
    ] = None,
    target_audience: Annotated[TargetAudience | None, Field(description="kids, family, teens or adults")] = None,
    genre: Annotated[str | None, Field(max_length=MAX_NAME_CHARS, description="only this genre, e.g. 'Comedy'")] = None,
    min_effectiveness: Annotated[float | None, Field(ge=0, le=10, description="0-10")] = None,
    order_by: Annotated[EnrichedOrder, Field(description="sort key, best first")] = "effectiveness",
    limit: Annotated[int, Field(ge=1, le=50, description="results per page (1-50)")] = 10,
    offset: Annotated[
        int, Field(ge=0, le=MAX_OFFSET, description="skip this many results (pass next_offset for more)")
    ] = 0,
) -> EnrichedMoviesPage:
    return await call_core(
        ctx,
        catalogue.get_enriched_movies,
        sentiment=sentiment,
        budget_tier=budget_tier,
        revenue_tier=revenue_tier,
        target_audience=target_audience,
        genre=genre,
        min_effectiveness=min_effectiveness,
        order_by=order_by,
        limit=limit,
        offset=offset,
    )


TOOL = ToolSpec(
    fn=get_enriched_movies,
    name="get_enriched_movies",
    title="Browse enriched movies",
    description=(
        "Browse movies by their enrichment: sentiment (positive/negative/neutral/mixed), budget tier (low <$10M,"
        " medium <$50M, high <$150M, ultra_high), revenue tier (low <$50M, medium <$200M, high <$500M,"
        " blockbuster), target audience (kids/family/teens/adults) and effectiveness score (0-10 from ROI and"
        " audience rating). Ordered by effectiveness, rating, popularity, year, revenue, budget or title; paged."
        " To compute enrichment for movies that lack it use enrich_movies."
    ),
    annotations=read_only("Browse enriched movies"),
)
