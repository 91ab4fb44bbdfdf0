"""Plot search's fame prior: rating counts scaled up for release years the ratings under-count."""

from __future__ import annotations

import pytest

from core.data.store import documents, fetch_all
from core.runtime import MovieApp
from core.search.fusion import with_popularity
from core.search.popularity import YearlyRatings, fame

# (year, films, ratings): the 90s films average 20 ratings, the 2010s ones 2, and one film has no year.
YEARS = [(1994, 10, 200), (1995, 10, 200), (1996, 10, 200), (2014, 10, 20), (2015, 10, 20), (None, 1, 30)]


def test_means_are_taken_over_the_years_around_each_release() -> None:
    yearly = YearlyRatings.from_years(YEARS, span=1)
    assert yearly.mean_by_year[1995] == pytest.approx(20.0)
    assert yearly.mean_by_year[2015] == pytest.approx(2.0)  # 2014-2016: 40 ratings over 20 films
    assert yearly.overall_mean == pytest.approx(670 / 51)


def test_under_counted_years_are_scaled_up_and_others_never_down() -> None:
    yearly = YearlyRatings.from_years(YEARS, span=1)
    assert yearly.scale(2015) == pytest.approx((670 / 51) / 2.0)
    assert yearly.scale(1995) == 1.0  # above the average film: not scaled down
    assert yearly.scale(None) == 1.0
    assert yearly.scale(1950) == 1.0  # a year with no films to compare with
    counts = yearly.known_counts({1: (4, 2015), 2: (30, 1995), 3: (5, None)})
    assert counts == {1: pytest.approx(4 * (670 / 51) / 2.0), 2: 30.0, 3: 5.0}


def test_a_recent_film_is_no_longer_buried_under_a_90s_film_with_more_ratings() -> None:
    yearly = YearlyRatings.from_years(YEARS, span=1)
    raw = {1: (4, 2015), 2: (15, 1995)}  # the recent film is the better known for its age
    scored = [(2, 0.100), (1, 0.095)]
    assert [i for i, _ in with_popularity(scored, {m: c for m, (c, _) in raw.items()}, 1.0)] == [2, 1]
    assert [i for i, _ in with_popularity(scored, yearly.known_counts(raw), 1.0)] == [1, 2]


def test_an_empty_catalogue_scales_nothing() -> None:
    yearly = YearlyRatings.from_years([])
    assert yearly.overall_mean == 0.0
    assert yearly.known_counts({1: (3, 2000)}) == {1: 3.0}


async def test_fame_reads_counts_and_years_from_the_database(movie_app: MovieApp) -> None:
    rows = await fetch_all(movie_app.db, "SELECT movie_id, rating_count, year FROM movies")
    # The per-year rows, counted by hand from every movie.
    by_year: dict[int | None, tuple[int, int]] = {}
    for _, count, year in rows:
        films, ratings = by_year.get(year, (0, 0))
        by_year[year] = (films + 1, ratings + int(count))
    yearly_rows = await documents.ratings_by_year(movie_app.db)
    assert sorted(yearly_rows, key=str) == sorted(((y, f, r) for y, (f, r) in by_year.items()), key=str)
    # fame = each movie's own count and year, scaled by those rows.
    yearly = YearlyRatings.from_years(yearly_rows)
    ids = [int(r[0]) for r in rows]
    expected = {int(mid): int(count) * yearly.scale(year) for mid, count, year in rows}
    assert await fame(movie_app.db, ids) == pytest.approx(expected)
    assert any(yearly.scale(year) > 1.0 for _, count, year in rows if count)  # the fixture has under-counted years
    assert await fame(movie_app.db, []) == {}
