"""How well known a film is, as plot search's prior: its rating count, scaled up where the ratings
under-count it because of its release year.

A ratings sample is a snapshot: a film released the year before it had one year to gather ratings, a
film from twenty years before had twenty. In ml-latest-small (2016) the average 1995 film has 25 ratings
and the average 2015 film 3, so by raw counts "What We Do in the Shadows" (2014, 4 ratings) looks
obscure next to any 90s film. Each film's count is scaled by how far the average film of its release
years (within YEAR_SPAN) falls below the catalogue's average film, and never scaled down. That lifts the
early decades too (the 1930s-40s about x2: fewer of the sample's users watch them), which people also
half-remember (It Happened One Night, Double Indemnity); the lift is measured as a whole on the tuning
splits (322 queries) this added a hit (306 -> 307) and raised MRR@10 (summed: 264.5 -> 265.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import aiosqlite

from core.data.store import documents

YEAR_SPAN = 2  # years either side of a film's release whose films it is compared with


@dataclass(frozen=True)
class YearlyRatings:
    """The average rating count of the films of each release year's window, and of all films."""

    mean_by_year: Mapping[int, float]
    overall_mean: float

    @classmethod
    def from_years(cls, rows: Iterable[tuple[int | None, int, int]], span: int = YEAR_SPAN) -> YearlyRatings:
        """From (release year or None, films, their ratings) rows, one per year."""
        films: dict[int, int] = {}
        ratings: dict[int, int] = {}
        all_films = all_ratings = 0
        for year, n_films, n_ratings in rows:
            all_films += n_films
            all_ratings += n_ratings
            if year is not None:
                films[year] = films.get(year, 0) + n_films
                ratings[year] = ratings.get(year, 0) + n_ratings
        means: dict[int, float] = {}
        for year in films:
            window = range(year - span, year + span + 1)
            in_window = sum(films.get(y, 0) for y in window)
            if in_window:
                means[year] = sum(ratings.get(y, 0) for y in window) / in_window
        return cls(means, all_ratings / all_films if all_films else 0.0)

    def scale(self, year: int | None) -> float:
        """How much a film from `year` has its count scaled up (1.0 for an unknown year or a well-rated era)."""
        mean = self.mean_by_year.get(year) if year is not None else None
        if not mean or not self.overall_mean:
            return 1.0
        return max(1.0, self.overall_mean / mean)

    def known_counts(self, counts_and_years: Mapping[int, tuple[int, int | None]]) -> dict[int, float]:
        """movie_id -> its rating count scaled for its release year."""
        return {mid: count * self.scale(year) for mid, (count, year) in counts_and_years.items()}


# Per open database: the averages change only with a rebuild, which arrives on a new connection.
_yearly: WeakKeyDictionary[aiosqlite.Connection, YearlyRatings] = WeakKeyDictionary()


async def fame(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, float]:
    """movie_id -> its release-year-scaled rating count, for the given known movies."""
    if db not in _yearly:
        _yearly[db] = YearlyRatings.from_years(await documents.ratings_by_year(db))
    return _yearly[db].known_counts(await documents.counts_and_years(db, movie_ids))
