"""Queries behind argument completion: what a client offers while the user is still typing."""

from __future__ import annotations

import aiosqlite

from core.data.store import fetch_all


async def user_ids_starting_with(db: aiosqlite.Connection, digits: str, limit: int) -> list[int]:
    """Up to `limit` user ids whose decimal form starts with `digits` (all ids for ""), lowest first.

    `digits` must hold digits only: it is not escaped for LIKE.
    """
    rows = await fetch_all(
        db,
        "SELECT user_id FROM users WHERE CAST(user_id AS TEXT) LIKE ? ORDER BY user_id LIMIT ?",
        (f"{digits}%", limit),
    )
    return [int(r[0]) for r in rows]
