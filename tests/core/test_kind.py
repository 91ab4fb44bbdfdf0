"""The kind of film a description opens with: split off the plot, read as genres and years, never a filter."""

from __future__ import annotations

import pytest

from core.search.filters import MovieFilters, describe, make_filters
from core.search.kind import KindOfFilm, kind_filters, split_kind


@pytest.mark.parametrize(
    ("text", "words", "plot"),
    [
        ("1920s silent sci fi, rich people live up top and workers below", "1920s silent sci fi", "rich people live"),
        ("30s screwball comedy, a spoiled heiress on a bus", "30s screwball comedy", "a spoiled heiress"),
        ("film noir where an insurance salesman plots a murder", "film noir", "an insurance salesman"),
        ("french film where a rich paralyzed man hires a carer", "french film", "a rich paralyzed man"),
        ("old black and white classic, a tycoon dies saying one word", "old black and white classic", "a tycoon"),
    ],
)
def test_leading_kind_words_are_split_from_the_plot(text: str, words: str, plot: str) -> None:
    kind = split_kind(text)
    assert kind.words == words and kind.plot.startswith(plot)


@pytest.mark.parametrize(
    "text",
    [
        "a man goes back to the 50s in a time machine",  # a decade inside the plot is the story
        "aliens talk with five musical notes, comedy ensues",  # the kind words must come first
        "comedy where",  # nothing would be left to search
        "old sci fi film, ship computer",  # too little plot after the kind words
        "a heist, in the 90s",
    ],
)
def test_text_without_a_leading_kind_is_all_plot(text: str) -> None:
    assert split_kind(text) == KindOfFilm("", text)


def test_the_kind_becomes_genres_and_years_within_the_request() -> None:
    named = kind_filters(split_kind("1920s silent sci fi, rich people live up top"), MovieFilters())
    assert named is not None
    assert describe(named) == {"genres": ["Sci-Fi"], "min_year": 1920, "max_year": 1929}
    within = kind_filters(
        split_kind("80s comedy, a ghost haunts a family"), make_filters(min_year=1985, max_runtime=120)
    )
    assert within is not None
    assert describe(within) == {"genres": ["Comedy"], "min_year": 1985, "max_year": 1989, "max_runtime": 120}


def test_a_kind_without_genres_or_years_or_against_the_filters_adds_nothing() -> None:
    assert kind_filters(split_kind("french film where a rich man hires a carer"), MovieFilters()) is None
    against = make_filters(min_year=2000)
    assert kind_filters(split_kind("30s screwball comedy, a spoiled heiress on a bus"), against) is None
    assert kind_filters(KindOfFilm("", "a plot"), MovieFilters()) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("old black and white classic, a tycoon dies saying one word", {"max_year": 1965}),
        ("silent comedy, a tramp eats his own boot in a cabin", {"genres": ["Comedy"], "max_year": 1929}),
        ("old sci fi film, the ship's computer will not open the doors", {"genres": ["Sci-Fi"], "max_year": 1979}),
        ("1920s silent sci fi, workers live underground", {"genres": ["Sci-Fi"], "min_year": 1920, "max_year": 1929}),
        # the decade named wins over the era word (this raised a validation error: min 1970 > max 1965)
        ("black and white 70s movie about a con man selling bibles", {"min_year": 1970, "max_year": 1979}),
        ("old 90s comedy where a guy relives one day", {"genres": ["Comedy"], "min_year": 1990, "max_year": 1999}),
    ],
)
def test_era_words_bound_the_years_the_kind_ranks_up(text: str, expected: dict[str, object]) -> None:
    named = kind_filters(split_kind(text), MovieFilters())
    assert named is not None and describe(named) == expected
