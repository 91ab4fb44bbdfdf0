"""A user's rating history: the one place services read it from the database."""

from __future__ import annotations

import aiosqlite

from core.data.store import fetch_all


async def user_history(db: aiosqlite.Connection, user_id: int) -> dict[int, float]:
    """Every movie the user rated, with their stars (empty for an unknown user)."""
    rows = await fetch_all(db, "SELECT movie_id, rating FROM ratings WHERE user_id = ?", (user_id,))
    return {int(r["movie_id"]): float(r["rating"]) for r in rows}
