"""Queries on ratings: one user's ratings page, one movie's ratings per star value."""

from __future__ import annotations

from typing import Literal

import aiosqlite

from core.data.store import fetch_all

RatingOrder = Literal["recent", "oldest", "highest", "lowest", "title", "favourites", "least_favourites"]
# Ties always end on the movie id, so a page boundary never drops or repeats a rating.
RATING_ORDER_SQL: dict[str, str] = {
    "recent": "r.timestamp DESC, r.movie_id",
    "oldest": "r.timestamp ASC, r.movie_id",
    "highest": "r.rating DESC, r.timestamp DESC, r.movie_id",
    "lowest": "r.rating ASC, r.timestamp DESC, r.movie_id",
    "title": "m.title COLLATE NOCASE, r.movie_id",
    # A taste profile names the best-known movies among equally rated ones.
    "favourites": "r.rating DESC, m.rating_count DESC, r.movie_id",
    "least_favourites": "r.rating ASC, m.rating_count DESC, r.movie_id",
}


async def user_ratings_page(
    db: aiosqlite.Connection, user_id: int, order: RatingOrder, limit: int, offset: int = 0
) -> list[aiosqlite.Row]:
    """One page of the user's ratings (movie_id, rating, timestamp, title, year) in the named order."""
    if order not in RATING_ORDER_SQL:
        raise ValueError(f"unknown rating order {order!r}; use one of {', '.join(RATING_ORDER_SQL)}")
    return await fetch_all(
        db,
        "SELECT r.movie_id, r.rating, r.timestamp, m.title, m.year FROM ratings r JOIN movies m USING (movie_id)"
        f" WHERE r.user_id = ? ORDER BY {RATING_ORDER_SQL[order]} LIMIT ? OFFSET ?",
        (user_id, limit, offset),
    )


async def movie_rating_counts(db: aiosqlite.Connection, movie_id: int) -> dict[float, int]:
    """How many ratings the movie got at each star value it was given."""
    rows = await fetch_all(db, "SELECT rating, count(*) FROM ratings WHERE movie_id = ? GROUP BY rating", (movie_id,))
    return {float(rating): int(count) for rating, count in rows}
