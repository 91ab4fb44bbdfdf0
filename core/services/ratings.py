"""A user's rating history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from core.data import store
from core.data.store.ratings import RatingOrder, user_ratings_page
from core.runtime import MovieApp
from core.schemas import UserRating, UserRatingsPage

RatingSort = Literal["recent", "oldest", "highest", "lowest", "title"]  # the orders a caller can ask for


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def user_ratings(
    app: MovieApp, user_id: int, *, order: RatingOrder, limit: int, offset: int = 0
) -> list[UserRating]:
    """One page of the user's ratings with titles and genres, in a named order of the store's."""
    rows = await user_ratings_page(app.db, user_id, order, limit, offset)
    genres = await store.genres_of(app.db, [r["movie_id"] for r in rows])
    return [
        UserRating(
            movie_id=r["movie_id"],
            title=r["title"],
            year=r["year"],
            genres=genres[r["movie_id"]],
            rating=r["rating"],
            rated_at=iso(r["timestamp"]),
        )
        for r in rows
    ]


async def get_user_ratings(
    app: MovieApp, user_id: int, limit: int = 20, offset: int = 0, sort: RatingSort = "recent"
) -> UserRatingsPage:
    """A page of one user's ratings plus their totals."""
    await app.ready()
    user = await store.require_user(app.db, user_id)
    ratings = await user_ratings(app, user_id, order=sort, limit=limit, offset=offset)
    total = int(user["rating_count"])
    return UserRatingsPage(
        user_id=user_id,
        total=total,
        offset=offset,
        limit=limit,
        next_offset=offset + len(ratings) if offset + len(ratings) < total else None,
        mean_rating=round(user["rating_mean"], 3),
        sort=sort,
        ratings=ratings,
    )
