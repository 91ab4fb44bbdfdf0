"""What a taste profile reads: each rating with the rated movie's year and enrichment attributes."""

from __future__ import annotations

import aiosqlite

from core.data.store import fetch_all, placeholders

# The enrichment columns a profile groups ratings by (None on a row whose movie is not enriched).
PROFILE_ATTRIBUTES = ("sentiment", "target_audience", "budget_tier", "revenue_tier")


async def rated_movie_facts(db: aiosqlite.Connection, user_id: int) -> list[aiosqlite.Row]:
    """One row per rating: movie_id, rating, year and the PROFILE_ATTRIBUTES."""
    columns = ", ".join(f"e.{name}" for name in PROFILE_ATTRIBUTES)
    return await fetch_all(
        db,
        f"SELECT r.movie_id, r.rating, m.year, {columns}"
        " FROM ratings r JOIN movies m USING (movie_id) LEFT JOIN enrichments e USING (movie_id)"
        " WHERE r.user_id = ?",
        (user_id,),
    )


async def movie_facts(db: aiosqlite.Connection, movie_ids: list[int]) -> list[aiosqlite.Row]:
    """One row per catalogue movie among `movie_ids`: movie_id, year and the PROFILE_ATTRIBUTES (a profile's)."""
    if not movie_ids:
        return []
    columns = ", ".join(f"e.{name}" for name in PROFILE_ATTRIBUTES)
    return await fetch_all(
        db,
        f"SELECT m.movie_id, m.year, {columns} FROM movies m LEFT JOIN enrichments e USING (movie_id)"
        f" WHERE m.movie_id IN ({placeholders(len(movie_ids))})",
        movie_ids,
    )
