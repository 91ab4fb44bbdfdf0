"""Known-answer tests for the offline query parser (core.search.query_parser)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from core.errors import InvalidInputError
from core.search.query_parser import MAX_QUERY_CHARS, OFFLINE_PARSER, MovieFilters, ParsedQuery, parse_query

M = 1_000_000
KIDS = ["kids", "family"]


def _set_fields(filters: MovieFilters) -> dict[str, Any]:
    """Only the filters that are set, so each table row lists just what it expects."""
    return {key: value for key, value in filters.model_dump().items() if value not in (None, [])}


# query, expected filters, expected unknown terms, expected remaining text
CASES: list[tuple[str, dict[str, Any], list[str], str]] = [
    # --- the two examples from the spec
    (
        "action movies with high revenue and positive sentiment",
        {"genres": ["Action"], "revenue_tiers": ["high", "blockbuster"], "sentiments": ["positive"]},
        [],
        "",
    ),
    (
        "90s comedies for kids under 100 minutes",
        {
            "genres": ["Comedy"],
            "min_year": 1990,
            "max_year": 1999,
            "target_audiences": KIDS,
            "max_runtime": 100,
        },
        [],
        "",
    ),
    # --- unknown terms are reported, never dropped
    ("action movies with zorblax", {"genres": ["Action"]}, ["zorblax"], ""),
    ("superhero movies", {}, ["superhero"], ""),
    ("recent comedies", {"genres": ["Comedy"]}, ["recent"], ""),
    ("show me some good movies", {}, [], ""),
    # --- genres, plurals and synonyms
    ("sci-fi", {"genres": ["Sci-Fi"]}, [], ""),
    ("scifi thrillers", {"genres": ["Sci-Fi", "Thriller"]}, [], ""),
    ("science fiction films", {"genres": ["Sci-Fi"]}, [], ""),
    ("romcoms", {"genres": ["Comedy", "Romance"]}, [], ""),
    ("romantic comedies", {"genres": ["Comedy", "Romance"]}, [], ""),
    ("animated cartoons", {"genres": ["Animation"]}, [], ""),
    ("horror films", {"genres": ["Horror"]}, [], ""),
    ("westerns and documentaries", {"genres": ["Documentary", "Western"]}, [], ""),
    ("action-comedies", {"genres": ["Action", "Comedy"]}, [], ""),
    ("film noir", {"genres": ["Film-Noir"]}, [], ""),
    ("kids movies", {"target_audiences": KIDS}, [], ""),
    # --- excluded genres
    ("comedy not horror", {"genres": ["Comedy"], "exclude_genres": ["Horror"]}, [], ""),
    ("no romance", {"exclude_genres": ["Romance"]}, [], ""),
    ("action without musicals", {"genres": ["Action"], "exclude_genres": ["Musical"]}, [], ""),
    ("non-horror comedies", {"genres": ["Comedy"], "exclude_genres": ["Horror"]}, [], ""),
    ("no horror or thrillers", {"exclude_genres": ["Horror", "Thriller"]}, [], ""),
    # --- decades
    ("'80s action", {"genres": ["Action"], "min_year": 1980, "max_year": 1989}, [], ""),
    ("1990s dramas", {"genres": ["Drama"], "min_year": 1990, "max_year": 1999}, [], ""),
    ("the nineties", {"min_year": 1990, "max_year": 1999}, [], ""),
    ("eighties horror", {"genres": ["Horror"], "min_year": 1980, "max_year": 1989}, [], ""),
    ("early 2000s", {"min_year": 2000, "max_year": 2003}, [], ""),
    ("mid-90s", {"min_year": 1994, "max_year": 1996}, [], ""),
    ("late 70s", {"min_year": 1977, "max_year": 1979}, [], ""),
    ("movies from the 20s", {"min_year": 1920, "max_year": 1929}, [], ""),
    ("after the 90s", {"min_year": 2000}, [], ""),
    # --- years
    ("from 1995", {"min_year": 1995, "max_year": 1995}, [], ""),
    ("after 2000", {"min_year": 2001}, [], ""),
    ("since 2000", {"min_year": 2000}, [], ""),
    ("before 1980", {"max_year": 1979}, [], ""),
    ("until 1980", {"max_year": 1980}, [], ""),
    ("between 1990 and 2000", {"min_year": 1990, "max_year": 2000}, [], ""),
    ("in 1999", {"min_year": 1999, "max_year": 1999}, [], ""),
    ("1999 movies", {"min_year": 1999, "max_year": 1999}, [], ""),
    ("released 2010-2015", {"min_year": 2010, "max_year": 2015}, [], ""),
    ("2000 or later", {"min_year": 2000}, [], ""),
    ("older than 1980", {"max_year": 1979}, [], ""),
    ("circa 1995", {"min_year": 1993, "max_year": 1997}, [], ""),
    ("90s movies after 1995", {"min_year": 1996, "max_year": 1999}, [], ""),  # bounds intersect
    # --- runtime
    ("under 100 minutes", {"max_runtime": 100}, [], ""),
    ("less than 2 hours", {"max_runtime": 120}, [], ""),
    ("over 150 min", {"min_runtime": 150}, [], ""),
    ("short comedies", {"genres": ["Comedy"], "max_runtime": 90}, [], ""),
    ("long dramas", {"genres": ["Drama"], "min_runtime": 150}, [], ""),
    ("between 90 and 120 minutes", {"min_runtime": 90, "max_runtime": 120}, [], ""),
    ("100 minutes or less", {"max_runtime": 100}, [], ""),
    ("2+ hours", {"min_runtime": 120}, [], ""),
    ("under 1.5 hours", {"max_runtime": 90}, [], ""),
    ("around 2 hours", {"min_runtime": 105, "max_runtime": 135}, [], ""),
    # --- money
    ("high revenue", {"revenue_tiers": ["high", "blockbuster"]}, [], ""),
    ("blockbusters", {"revenue_tiers": ["blockbuster"]}, [], ""),
    ("box office hits", {"revenue_tiers": ["high", "blockbuster"]}, [], ""),
    ("flops", {"revenue_tiers": ["low"]}, [], ""),
    ("medium revenue comedies", {"genres": ["Comedy"], "revenue_tiers": ["medium"]}, [], ""),
    ("big budget action", {"genres": ["Action"], "budget_tiers": ["high", "ultra_high"]}, [], ""),
    ("high budget", {"budget_tiers": ["high", "ultra_high"]}, [], ""),
    ("ultra high budget", {"budget_tiers": ["ultra_high"]}, [], ""),
    ("low budget horror", {"genres": ["Horror"], "budget_tiers": ["low"]}, [], ""),
    ("indie dramas", {"genres": ["Drama"], "budget_tiers": ["low"]}, [], ""),
    ("budget under $10M", {"max_budget": 10 * M}, [], ""),
    ("over 100 million", {"min_revenue": 100 * M}, [], ""),  # no field named: revenue
    ("grossed over $1.5 billion", {"min_revenue": 1500 * M}, [], ""),
    ("made over $500 million at the box office", {"min_revenue": 500 * M}, [], ""),
    ("$50m budget", {"min_budget": 40 * M, "max_budget": 60 * M}, [], ""),  # ±20 %
    ("$50m", {"min_revenue": 40 * M, "max_revenue": 60 * M}, [], ""),
    ("budget between $10m and $50m", {"min_budget": 10 * M, "max_budget": 50 * M}, [], ""),
    ("$10-50m budget", {"min_budget": 10 * M, "max_budget": 50 * M}, [], ""),
    ("budget of $100,000,000", {"min_budget": 80 * M, "max_budget": 120 * M}, [], ""),
    # an amount without a field follows the field the query last mentioned
    ("low budget films under $5m", {"budget_tiers": ["low"], "max_budget": 5 * M}, [], ""),
    ("budget over 100m and revenue under 50m", {"min_budget": 100 * M, "max_revenue": 50 * M}, [], ""),
    # --- sentiment
    ("uplifting feel-good movies", {"sentiments": ["positive"]}, [], ""),
    ("happy", {"sentiments": ["positive"]}, [], ""),
    ("dark thrillers", {"genres": ["Thriller"], "sentiments": ["negative"]}, [], ""),
    ("sad or bleak", {"sentiments": ["negative"]}, [], ""),
    ("negative", {"sentiments": ["negative"]}, [], ""),
    ("mixed sentiment dramas", {"genres": ["Drama"], "sentiments": ["mixed"]}, [], ""),
    ("happy or bittersweet", {"sentiments": ["positive", "mixed"]}, [], ""),
    ("comedies with a happy ending", {"genres": ["Comedy"], "sentiments": ["positive"]}, [], ""),
    (
        "thrillers that are not dark",
        {"genres": ["Thriller"], "sentiments": ["positive", "neutral", "mixed"]},
        [],
        "",
    ),
    # --- audience
    ("for children", {"target_audiences": KIDS}, [], ""),
    ("family friendly", {"target_audiences": KIDS}, [], ""),
    ("family", {"target_audiences": KIDS}, [], ""),
    ("movies for teens", {"target_audiences": ["teens"]}, [], ""),
    ("for adults", {"target_audiences": ["adults"]}, [], ""),
    ("mature crime", {"genres": ["Crime"], "target_audiences": ["adults"]}, [], ""),
    ("not for kids", {"target_audiences": ["teens", "adults"]}, [], ""),
    ("R-rated comedies", {"genres": ["Comedy"], "target_audiences": ["adults"]}, [], ""),
    ("rated PG-13", {"target_audiences": ["teens"]}, [], ""),
    # --- rating
    ("highly rated dramas", {"genres": ["Drama"], "min_rating": 4.0}, [], ""),
    ("well rated", {"min_rating": 3.5}, [], ""),
    ("rated above 4", {"min_rating": 4.0}, [], ""),
    ("rating over 3.5", {"min_rating": 3.5}, [], ""),
    ("at least 4 stars", {"min_rating": 4.0}, [], ""),
    ("rated above 8/10", {"min_rating": 4.0}, [], ""),
    ("rated 90%", {"min_rating": 4.5}, [], ""),
    ("rated below 3", {}, ["rated below 3"], ""),  # no upper rating bound exists
    # --- negations that are not filters are reported whole
    ("not too long", {}, ["not too long"], ""),
    ("movies without subtitles", {}, ["without subtitles"], ""),
    # --- descriptions go to remaining_text
    (
        "sci-fi about time travel from the 90s",
        {"genres": ["Sci-Fi"], "min_year": 1990, "max_year": 1999},
        [],
        "about time travel",
    ),
    ("movies about war", {}, [], "about war"),  # a single genre word stays descriptive
    ("movies about the 1969 moon landing", {}, [], "about the 1969 moon landing"),
    ("movies where the hero dies", {}, [], "where the hero dies"),
    ("comedies starring Tom Hanks", {"genres": ["Comedy"]}, [], "starring Tom Hanks"),
    (
        "movies featuring dinosaurs with high revenue",
        {"revenue_tiers": ["high", "blockbuster"]},
        [],
        "featuring dinosaurs",
    ),
    ("movies about a dog, for kids", {"target_audiences": KIDS}, [], "about a dog"),
    (
        "something like Toy Story for kids under 90 minutes",
        {"target_audiences": KIDS, "max_runtime": 90},
        [],
        "like Toy Story",
    ),
    ("I'd like some comedies", {"genres": ["Comedy"]}, [], ""),  # "like" as a verb
    (
        "horror movies about zombies in london from 2005",
        {"genres": ["Horror"], "min_year": 2005, "max_year": 2005},
        [],
        "about zombies in london",
    ),
    # --- everything at once
    (
        "highly rated 90s sci-fi thrillers, not horror, under 2 hours, big budget, dark tone, for adults",
        {
            "genres": ["Sci-Fi", "Thriller"],
            "exclude_genres": ["Horror"],
            "min_year": 1990,
            "max_year": 1999,
            "max_runtime": 120,
            "budget_tiers": ["high", "ultra_high"],
            "sentiments": ["negative"],
            "target_audiences": ["adults"],
            "min_rating": 4.0,
        },
        [],
        "",
    ),
    # --- gaps found by the evaluation query set (core/evaluation/data/queries.json)
    ("war movies but nothing too dark", {"genres": ["War"], "sentiments": ["positive", "neutral", "mixed"]}, [], ""),
    ("animated films, nothing scary", {"genres": ["Animation"], "exclude_genres": ["Horror"]}, [], ""),
    ("something my 8 year old would enjoy", {"target_audiences": KIDS}, ["enjoy"], ""),
    ("dramas for a 15-year-old", {"genres": ["Drama"], "target_audiences": ["teens"]}, [], ""),
    ("a mystery from the 40s or 50s", {"genres": ["Mystery"], "min_year": 1940, "max_year": 1959}, [], ""),
    ("comedies from 1994 or 1995", {"genres": ["Comedy"], "min_year": 1994, "max_year": 1995}, [], ""),
    ("movies made for less than a million dollars", {"max_budget": 1 * M}, [], ""),
    ("movies with a budget of $200 million or more", {"min_budget": 200 * M}, [], ""),
    ("films that grossed $50m or less", {"max_revenue": 50 * M}, [], ""),
]


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("query", "filters", "unknown", "remaining"), CASES, ids=[c[0] for c in CASES])
def test_parse_table(query: str, filters: dict[str, Any], unknown: list[str], remaining: str) -> None:
    parsed = parse_query(query)
    assert _set_fields(parsed.filters) == filters
    assert parsed.unknown_terms == unknown
    assert parsed.remaining_text == remaining
    assert parsed.engine == OFFLINE_PARSER == "offline-parser-v2"


def test_unknown_terms_keep_the_users_spelling_once() -> None:
    parsed = parse_query("Zorblax comedies with zorblax and Quux")
    assert parsed.unknown_terms == ["Zorblax", "zorblax", "Quux"]
    assert parse_query("quux quux").unknown_terms == ["quux"]


def test_parsing_is_deterministic() -> None:
    query = "dark 80s horror for adults under $5m budget about a haunted house"
    assert parse_query(query) == parse_query(query)


def test_empty_filters_are_empty() -> None:
    assert parse_query("show me some movies").filters.is_empty()
    assert not parse_query("comedies").filters.is_empty()
    assert MovieFilters().is_empty()


# ---------------------------------------------------------------------------------------------
# Invalid input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t "])
def test_empty_query_is_refused(query: str) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        parse_query(query)


def test_long_query_is_refused() -> None:
    parse_query("a" * MAX_QUERY_CHARS)  # exactly the limit is fine
    with pytest.raises(InvalidInputError, match="500"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after 2000 before 1990", "min_year"),
        ("after 2100", "1870-2100"),
        ("comedies but not comedy", "Comedy"),
        ("rated above 8", "0.5 to 5"),
        ("budget under 10", "unit"),
        ("under 2 hours over 3 hours", "min_runtime"),
        ("not for kids, not for teens, not for adults", "target audience"),
    ],
)
def test_impossible_or_ambiguous_queries_are_refused(query: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_query(query)


# ---------------------------------------------------------------------------------------------
# The model itself (an LLM parser is validated against it too)
# ---------------------------------------------------------------------------------------------


def test_model_canonicalises_and_orders() -> None:
    filters = MovieFilters(
        genres=["Science Fiction", "comedy", "Sci-Fi"],
        revenue_tiers=["blockbuster", "high", "high"],
        target_audiences=["family", "kids"],
    )
    assert filters.genres == ["Comedy", "Sci-Fi"]
    assert filters.revenue_tiers == ["high", "blockbuster"]
    assert filters.target_audiences == ["kids", "family"]


@pytest.mark.parametrize(
    "fields",
    [
        {"genres": ["Space Opera"]},
        {"min_year": 1869},
        {"max_year": 2101},
        {"min_year": 2000, "max_year": 1990},
        {"min_runtime": 120, "max_runtime": 90},
        {"min_budget": 10, "max_budget": 5},
        {"min_revenue": -1},
        {"min_rating": 5.5},
        {"sentiments": ["ecstatic"]},
        {"genres": ["Horror"], "exclude_genres": ["horror"]},
        {"colour": "blue"},
    ],
)
def test_model_rejects_bad_filters(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MovieFilters.model_validate(fields)


def test_parsed_query_defaults() -> None:
    parsed = ParsedQuery()
    assert parsed.filters.is_empty()
    assert parsed.unknown_terms == []
    assert parsed.remaining_text == ""
    assert parsed.engine == OFFLINE_PARSER
