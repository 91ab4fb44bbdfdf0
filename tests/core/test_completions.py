"""Completion queries in the store, on the synthetic catalogue (users 1-24)."""

from __future__ import annotations

from core.data.store import completions
from core.runtime import MovieApp


async def test_user_ids_complete_by_leading_digits_lowest_first(movie_app: MovieApp) -> None:
    assert await completions.user_ids_starting_with(movie_app.db, "2", 10) == [2, 20, 21, 22, 23, 24]
    assert await completions.user_ids_starting_with(movie_app.db, "1", 3) == [1, 10, 11]
    assert await completions.user_ids_starting_with(movie_app.db, "", 4) == [1, 2, 3, 4]
    assert await completions.user_ids_starting_with(movie_app.db, "9", 10) == [9]
    assert await completions.user_ids_starting_with(movie_app.db, "99", 10) == []
