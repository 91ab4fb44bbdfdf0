"""Typed filter arguments and the filters a query's words became, combined so that both hold.

Genres to include and to exclude add up; of two lower bounds the higher one holds, of two upper bounds
the lower; label lists (tiers, sentiments, audiences) each mean "any of", so both hold on their common
labels. When no movie could satisfy both sides (a genre one side wants and the other excludes, bounds
that cross, label lists with nothing in common) the caller gets an `InvalidInputError` that names both
sides, rather than an empty answer or one side silently winning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.errors import InvalidInputError
from core.search.filters import BOUND_PAIRS, LIST_VOCABULARY, MovieFilters

ARGUMENTS = "the filter arguments"


def combine_filters(arguments: MovieFilters, parsed: MovieFilters, query: str) -> MovieFilters:
    """The filters that hold when both `arguments` and `parsed` (what `query` became) hold."""
    sides = (ARGUMENTS, f"the query {query!r}")
    problems = _genre_clashes(arguments, parsed, sides)
    values: dict[str, Any] = {
        "genres": [*arguments.genres, *parsed.genres],
        "exclude_genres": [*arguments.exclude_genres, *parsed.exclude_genres],
    }
    for low_name, high_name in BOUND_PAIRS:
        low, low_side = _tighter(arguments, parsed, low_name, max, sides)
        high, high_side = _tighter(arguments, parsed, high_name, min, sides)
        if low is not None and high is not None and low > high:
            problems.append(f"{low_name}={low} from {low_side} is above {high_name}={high} from {high_side}")
        values[low_name], values[high_name] = low, high
    for name in LIST_VOCABULARY:
        ours, theirs = getattr(arguments, name), getattr(parsed, name)
        common = [v for v in ours if v in theirs] if ours and theirs else [*ours, *theirs]
        if ours and theirs and not common:
            problems.append(f"{name}={ours} from {sides[0]} shares nothing with {name}={theirs} from {sides[1]}")
        values[name] = common
    values["min_rating"], _ = _tighter(arguments, parsed, "min_rating", max, sides)
    if problems:
        raise InvalidInputError(
            f"{sides[0]} and {sides[1]} contradict each other: {'; '.join(problems)}."
            " Both must hold, so drop or change one of them (prefer the typed filter arguments)."
        )
    return MovieFilters(**{k: v for k, v in values.items() if v is not None})


def _genre_clashes(arguments: MovieFilters, parsed: MovieFilters, sides: tuple[str, str]) -> list[str]:
    """A genre one side requires and the other excludes, described with both sides named."""
    problems: list[str] = []
    for (wants, wanting), (excludes, excluding) in (
        ((arguments.genres, sides[0]), (parsed.exclude_genres, sides[1])),
        ((parsed.genres, sides[1]), (arguments.exclude_genres, sides[0])),
    ):
        for genre in (g for g in wants if g in excludes):
            problems.append(f"{genre} is wanted by {wanting} (genres) but excluded by {excluding} (exclude_genres)")
    return problems


def _tighter(
    arguments: MovieFilters, parsed: MovieFilters, name: str, pick: Callable[..., Any], sides: tuple[str, str]
) -> tuple[Any, str]:
    """(the tighter of the two sides' values for `name`, the side it came from); (None, "") when unset."""
    given = [(getattr(f, name), side) for f, side in zip((arguments, parsed), sides, strict=True)]
    given = [(value, side) for value, side in given if value is not None]
    if not given:
        return None, ""
    return pick(given, key=lambda pair: pair[0])
