"""A user's rating history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from core.data import store
from core.data.store.ratings import RatingOrder, user_ratings_page
from core.runtime import MovieApp
from core.schemas import MovieSummary, UserRating, UserRatingsPage
from core.services.catalogue import next_offset
from core.services.users import UserRef, resolve_user

RatingSort = Literal["recent", "oldest", "highest", "lowest", "title"]  # the orders a caller can ask for


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _profile_order(order: RatingOrder, user: UserRef, known: dict[int, MovieSummary]) -> list[int]:
    """A profile's rated movies (those the catalogue holds) in one of the store's named orders."""
    ids = sorted(known)  # ties end on the movie id, as in the store (the sorts below are stable)
    when, stars = user.rated_at, user.rated
    keys = {
        "recent": lambda m: -when.get(m, 0),
        "oldest": lambda m: when.get(m, 0),
        "highest": lambda m: (-stars[m], -when.get(m, 0)),
        "lowest": lambda m: (stars[m], -when.get(m, 0)),
        "title": lambda m: known[m].title.casefold(),
        "favourites": lambda m: (-stars[m], -known[m].rating_count),
        "least_favourites": lambda m: (stars[m], -known[m].rating_count),
    }
    return sorted(ids, key=keys[order])


async def profile_summaries(app: MovieApp, user: UserRef) -> dict[int, MovieSummary] | None:
    """A profile's rated movies that the catalogue holds, fetched once per call (None for a data-set user)."""
    return await store.summaries(app.db, list(user.rated)) if user.profile is not None else None


async def _profile_ratings(
    app: MovieApp, user: UserRef, order: RatingOrder, limit: int, offset: int, known: dict[int, MovieSummary] | None
) -> list[UserRating]:
    if known is None:
        known = await store.summaries(app.db, list(user.rated))
    chosen = _profile_order(order, user, known)[offset : offset + limit]
    return [
        UserRating(
            movie_id=m, title=known[m].title, year=known[m].year, genres=known[m].genres,
            rating=user.rated[m], rated_at=iso(user.rated_at.get(m, 0)),
        )
        for m in chosen
    ]  # fmt: skip


async def user_ratings(
    app: MovieApp,
    user: int | UserRef,
    *,
    order: RatingOrder,
    limit: int,
    offset: int = 0,
    known: dict[int, MovieSummary] | None = None,
) -> list[UserRating]:
    """One page of the user's ratings with titles and genres, in a named order of the store's (`known`: a
    profile's `profile_summaries`, when the caller already has them)."""
    if isinstance(user, UserRef):
        if user.profile is not None:
            return await _profile_ratings(app, user, order, limit, offset, known)
        user = int(user.user_id or 0)
    user_id = user
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


async def rating_totals(
    app: MovieApp, user: UserRef, known: dict[int, MovieSummary] | None = None
) -> tuple[int, float]:
    """(how many ratings, their mean) of a data-set user or of a profile's movies in the catalogue."""
    if user.profile is None:
        if user.totals is not None:  # read by resolve_user: no second query
            return user.totals
        row = await store.require_user(app.db, int(user.user_id or 0))
        return int(row["rating_count"]), float(row["rating_mean"])
    if known is None:
        known = await store.summaries(app.db, list(user.rated))
    stars = [user.rated[m] for m in known]
    return len(stars), (sum(stars) / len(stars) if stars else 0.0)


async def get_user_ratings(
    app: MovieApp, user_id: int | str, limit: int = 20, offset: int = 0, sort: RatingSort = "recent"
) -> UserRatingsPage:
    """A page of one user's (or profile's) ratings plus their totals."""
    await app.ready()
    user = await resolve_user(app, user_id)
    known = await profile_summaries(app, user)
    total, mean = await rating_totals(app, user, known)
    ratings = await user_ratings(app, user, order=sort, limit=limit, offset=offset, known=known)
    return UserRatingsPage(
        user_id=user.label,
        total=total,
        offset=offset,
        limit=limit,
        next_offset=next_offset(offset, len(ratings), total),
        mean_rating=round(mean, 3),
        sort=sort,
        ratings=ratings,
        watched_only=len(user.watched),
    )
