"""Queries behind `get_movie_recommendations`: the movies a request's filters allow, and what the LLM
re-ranking shows about each candidate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiosqlite

from core.data.store import fetch_all, placeholders
from core.search.filters import movie_conditions, where

if TYPE_CHECKING:
    from core.search.filters import MovieFilters


async def movie_ids_matching(db: aiosqlite.Connection, filters: MovieFilters) -> list[int]:
    """Ids of every movie the filters allow (in table order)."""
    clause, params = where(movie_conditions(filters))
    rows = await fetch_all(db, f"SELECT m.movie_id FROM movies m{clause}", params)
    return [r[0] for r in rows]


async def rerank_details(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, aiosqlite.Row]:
    """Per movie: its overview and enrichment labels (sentiment, audience, tiers; NULL when not enriched)."""
    ids = list(movie_ids)
    if not ids:
        return {}
    rows = await fetch_all(
        db,
        "SELECT m.movie_id, m.overview, e.sentiment, e.target_audience, e.budget_tier, e.revenue_tier"
        f" FROM movies m LEFT JOIN enrichments e USING (movie_id) WHERE m.movie_id IN ({placeholders(len(ids))})",
        ids,
    )
    return {r["movie_id"]: r for r in rows}
