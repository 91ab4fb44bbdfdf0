"""How enrichments are read from movie rows and written to the `enrichments` table.

Shared by the build (which enriches the whole catalogue) and `enrich_movies` (which enriches on
request), so both compute the same inputs, the same hash and the same row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.enrichment.rules import EnrichmentInput, EnrichmentResult

# The movie columns an enrichment reads; select them to build inputs with `enrichment_input`.
INPUT_COLUMNS = "movie_id, title, overview, budget, revenue, mpaa, rating_mean, rating_count"

ROW_COLUMNS = (
    "movie_id",
    "sentiment",
    "budget_tier",
    "revenue_tier",
    "effectiveness_score",
    "target_audience",
    "engine",
    "model",
    "reasoning",
    "input_hash",
    "enriched_at",
)
UPSERT_SQL = (
    f"INSERT OR REPLACE INTO enrichments ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
)

EnrichmentRow = tuple[Any, ...]


def enrichment_input(row: Mapping[str, Any], genres: list[str], global_mean: float) -> EnrichmentInput:
    """The input of one movie from a row selected with INPUT_COLUMNS."""
    return EnrichmentInput(
        movie_id=row["movie_id"],
        title=row["title"],
        overview=row["overview"],
        genres=genres,
        mpaa=row["mpaa"],
        budget=row["budget"],
        revenue=row["revenue"],
        rating_mean=row["rating_mean"],
        rating_count=row["rating_count"],
        global_mean=global_mean,
    )


def enrichment_row(
    result: EnrichmentResult, digest: str, enriched_at: str, model: str | None = None, reasoning: str | None = None
) -> EnrichmentRow:
    """A row in ROW_COLUMNS order."""
    return (
        result.movie_id,
        result.sentiment,
        result.budget_tier,
        result.revenue_tier,
        result.effectiveness_score,
        result.target_audience,
        result.engine,
        model,
        reasoning,
        digest,
        enriched_at,
    )
