"""store.ratings: a user's ratings page in each named order, one movie's ratings per star value."""

from __future__ import annotations

from typing import get_args

import pytest

from core.data.store.ratings import RATING_ORDER_SQL, RatingOrder, movie_rating_counts, user_ratings_page
from core.runtime import MovieApp
from core.services.ratings import RatingSort
from tests.synthetic import ROMANCE_IDS, SPACE_FANS, UNRATED_MOVIE_ID, make_dataset

USER = SPACE_FANS[1]


def _rated_by(user_id: int) -> dict[int, float]:
    ratings = make_dataset().ratings
    mine = ratings[ratings["user_id"] == user_id]
    return dict(zip(mine["movie_id"].astype(int), mine["rating"].astype(float), strict=True))


def test_every_sort_a_caller_can_ask_for_has_an_order() -> None:
    assert set(get_args(RatingSort)) <= set(RATING_ORDER_SQL)
    assert set(get_args(RatingOrder)) == set(RATING_ORDER_SQL)


async def test_pages_add_up_to_the_users_ratings(movie_app: MovieApp) -> None:
    await movie_app.ready()
    rated = _rated_by(USER)
    paged = []
    for offset in range(0, len(rated) + 3, 3):
        paged += await user_ratings_page(movie_app.db, USER, "recent", 3, offset)
    assert {r["movie_id"]: r["rating"] for r in paged} == rated
    assert len(paged) == len(rated)  # no rating repeated across page boundaries
    stamps = [r["timestamp"] for r in paged]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ("oldest", lambda r: r["timestamp"]),
        ("highest", lambda r: (-r["rating"], -r["timestamp"])),
        ("lowest", lambda r: (r["rating"], -r["timestamp"])),
        ("title", lambda r: r["title"].lower()),
    ],
)
async def test_named_orders_sort_as_named(movie_app: MovieApp, order: RatingOrder, key: object) -> None:
    await movie_app.ready()
    rows = await user_ratings_page(movie_app.db, USER, order, 100)
    assert len(rows) == len(_rated_by(USER))
    assert rows == sorted(rows, key=key)  # type: ignore[arg-type]


async def test_favourites_prefer_the_best_known_among_equal_ratings(movie_app: MovieApp) -> None:
    await movie_app.ready()
    rating_count = make_dataset().ratings["movie_id"].value_counts().to_dict()
    for order, sign in (("favourites", -1), ("least_favourites", 1)):
        rows = await user_ratings_page(movie_app.db, USER, order, 100)  # type: ignore[arg-type]
        keys = [(sign * r["rating"], -rating_count[r["movie_id"]], r["movie_id"]) for r in rows]
        assert keys == sorted(keys)


async def test_unknown_order_is_refused(movie_app: MovieApp) -> None:
    await movie_app.ready()
    with pytest.raises(ValueError, match="recent"):
        await user_ratings_page(movie_app.db, USER, "r.rating; DROP TABLE ratings", 5)  # type: ignore[arg-type]


async def test_movie_rating_counts_per_star(movie_app: MovieApp) -> None:
    await movie_app.ready()
    ratings = make_dataset().ratings
    movie = ROMANCE_IDS[0]
    expected = ratings[ratings["movie_id"] == movie]["rating"].value_counts().to_dict()
    assert await movie_rating_counts(movie_app.db, movie) == {float(k): int(v) for k, v in expected.items()}
    assert await movie_rating_counts(movie_app.db, UNRATED_MOVIE_ID) == {}
