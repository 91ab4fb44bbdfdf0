"""Typed filter arguments on every tool that filters (get_movie_recommendations, semantic_search,
get_random_movies), through the in-memory MCP client on the synthetic catalogue: the same arguments
declared once, results that satisfy them, their combination with a query, and contradictions as errors.

The synthetic catalogue (tests/synthetic.py): space movies 1-12 (1990-2001, Sci-Fi with Action or
Adventure), romance movies 101-112 (2000-2011, Romance with Comedy (even index) or Drama (odd index)).
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from core.search.filters import FilterArguments
from tests.synthetic import ROMANCE_FANS, ROMANCE_IDS, SPACE_FANS, SPACE_IDS
from tests.tools.test_tools import error_text, ok

FILTERING_TOOLS = ("get_movie_recommendations", "semantic_search", "get_random_movies")
ROMANTIC_COMEDIES = {ROMANCE_IDS[i] for i in range(0, 12, 2)}
ROMANTIC_DRAMAS = {ROMANCE_IDS[i] for i in range(1, 12, 2)}


async def schemas(client: Client) -> dict[str, dict[str, Any]]:
    return {tool.name: tool.input_schema["properties"] for tool in (await client.list_tools()).tools}


async def test_the_three_tools_publish_the_same_typed_filter_arguments(client: Client) -> None:
    published = await schemas(client)
    declared = FilterArguments.model_json_schema()["properties"]
    for name in FILTERING_TOOLS:
        assert {k: published[name][k] for k in declared} == declared, name
    assert published["get_movie_recommendations"]["genres"]["anyOf"][0]["type"] == "array"


@pytest.mark.parametrize("name", FILTERING_TOOLS)
async def test_descriptions_tell_a_model_to_prefer_typed_filters(client: Client, name: str) -> None:
    tool = next(t for t in (await client.list_tools()).tools if t.name == name)
    assert tool.description and "typed filter" in tool.description
    assert "exclude_genres" in tool.description
    if name != "get_random_movies":  # the tools with a query say which to prefer
        assert "prefer" in tool.description.lower()


# --- get_movie_recommendations -----------------------------------------------------------------
async def test_recommendations_satisfy_typed_filters_and_report_them(client: Client) -> None:
    args = {"user_id": ROMANCE_FANS[0], "n": 10, "genres": ["Romance"], "exclude_genres": ["drama"]}
    result = await ok(client, "get_movie_recommendations", args)
    picks = {r["movie_id"] for r in result["recommendations"]}
    assert picks and picks <= ROMANTIC_COMEDIES
    assert result["filters"] == {"genres": ["Romance"], "exclude_genres": ["Drama"]}  # canonical names
    assert result["query"] is None
    assert all("Matches your request: genres=['Romance']" in r["reason"] for r in result["recommendations"])


async def test_recommendations_respect_typed_year_bounds(client: Client) -> None:
    args = {"user_id": SPACE_FANS[0], "n": 10, "genres": ["Sci-Fi"], "max_year": 1995, "min_runtime": 105}
    result = await ok(client, "get_movie_recommendations", args)
    assert result["recommendations"]
    for pick in result["recommendations"]:
        assert pick["movie_id"] in SPACE_IDS and pick["year"] <= 1995
        # runtime is 100 + 5 per index: at least 105 minutes leaves out the first space movie
        assert pick["movie_id"] != SPACE_IDS[0]


async def test_typed_filters_and_query_both_hold(client: Client) -> None:
    args = {"user_id": ROMANCE_FANS[0], "n": 10, "min_year": 2002, "query": "comedies from before 2009"}
    result = await ok(client, "get_movie_recommendations", args)
    assert result["query"]["filters"] == {"genres": ["Comedy"], "max_year": 2008}  # what the words became
    assert result["filters"] == {"genres": ["Comedy"], "min_year": 2002, "max_year": 2008}  # effective
    years = {r["year"] for r in result["recommendations"]}
    assert years and all(2002 <= y <= 2008 for y in years)
    assert {r["movie_id"] for r in result["recommendations"]} <= ROMANTIC_COMEDIES


async def test_the_tighter_bound_wins_whichever_side_gives_it(client: Client) -> None:
    args = {"user_id": ROMANCE_FANS[0], "n": 10, "max_year": 2004, "query": "movies before 2009"}
    result = await ok(client, "get_movie_recommendations", args)
    assert result["filters"] == {"max_year": 2004}
    assert all(r["year"] <= 2004 for r in result["recommendations"])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            {"genres": ["Comedy"], "query": "no comedies"},
            ["Comedy is wanted by the filter arguments", "excluded by the query 'no comedies'"],
        ),
        (
            {"exclude_genres": ["Comedy"], "query": "comedies"},
            ["Comedy is wanted by the query 'comedies'", "excluded by the filter arguments"],
        ),
        ({"min_year": 2005, "query": "movies before 2000"}, ["min_year=2005", "max_year=1999", "the query"]),
    ],
)
async def test_a_contradiction_between_arguments_and_query_is_a_tool_error_naming_both(
    client: Client, args: dict[str, Any], named: list[str]
) -> None:
    text = await error_text(client, "get_movie_recommendations", {"user_id": ROMANCE_FANS[0], **args})
    assert "contradict" in text and "the filter arguments" in text
    for part in named:
        assert part in text


async def test_contradicting_typed_arguments_are_a_tool_error(client: Client) -> None:
    args = {"user_id": 1, "genres": ["Comedy"], "exclude_genres": ["Comedy"]}
    assert "both wanted and excluded: Comedy" in await error_text(client, "get_movie_recommendations", args)
    text = await error_text(client, "get_movie_recommendations", {"user_id": 1, "genres": ["Zorblax"]})
    assert "unknown genre 'Zorblax'" in text


async def test_null_filter_arguments_mean_no_filter(client: Client) -> None:
    args = {"user_id": SPACE_FANS[0], "n": 3, "genres": None, "min_year": None, "sentiments": None}
    result = await ok(client, "get_movie_recommendations", args)
    assert result["filters"] == {} and len(result["recommendations"]) == 3


# --- semantic_search ---------------------------------------------------------------------------
async def test_semantic_search_takes_typed_filters(client: Client) -> None:
    args = {"query": "falling in love", "k": 50, "genres": ["Romance"], "exclude_genres": ["Comedy"]}
    result = await ok(client, "semantic_search", args)
    assert {r["movie_id"] for r in result["results"]} == ROMANTIC_DRAMAS
    assert result["matching_movies"] == len(ROMANTIC_DRAMAS)
    assert result["filters"] == {"genres": ["Romance"], "exclude_genres": ["Comedy"]}


async def test_semantic_search_older_spellings_add_to_the_typed_lists(client: Client) -> None:
    args = {"query": "love", "k": 50, "genre": "Romance", "genres": ["Comedy"], "max_revenue": 100_000_000}
    result = await ok(client, "semantic_search", args)
    assert result["filters"] == {"genres": ["Comedy", "Romance"], "max_revenue": 100_000_000}
    # revenue is 10 + 15 per index (millions): indexes 0-6, of which the comedies are 0, 2, 4, 6
    assert {r["movie_id"] for r in result["results"]} == {ROMANCE_IDS[i] for i in (0, 2, 4, 6)}


# --- get_random_movies -------------------------------------------------------------------------
async def test_random_movies_take_typed_filters_and_report_them(client: Client) -> None:
    args = {"n": 50, "genres": ["Romance"], "exclude_genres": ["Drama"], "min_year": 2004, "seed": 3}
    result = await ok(client, "get_random_movies", args)
    expected = {m for m in ROMANTIC_COMEDIES if 2000 + ROMANCE_IDS.index(m) >= 2004}
    assert {m["movie_id"] for m in result["movies"]} == expected and result["matching"] == len(expected)
    assert result["filters"] == {"genres": ["Romance"], "exclude_genres": ["Drama"], "min_year": 2004}


async def test_random_movies_min_rating_keeps_only_well_rated_movies(client: Client) -> None:
    result = await ok(client, "get_random_movies", {"n": 50, "min_rating": 3.5, "seed": 1})
    assert result["movies"] and result["filters"] == {"min_rating": 3.5}
    for movie in result["movies"]:
        details = await ok(client, "get_movie_details", {"movie_id": movie["movie_id"]})
        assert details["ratings"]["mean"] >= 3.5
    everything = await ok(client, "get_random_movies", {"n": 50, "seed": 1})
    assert everything["matching"] > result["matching"]  # the bound removed something


async def test_random_movies_older_genre_spelling_and_a_contradiction(client: Client) -> None:
    both = await ok(client, "get_random_movies", {"n": 50, "genre": "Romance", "genres": ["Comedy"]})
    assert {m["movie_id"] for m in both["movies"]} == ROMANTIC_COMEDIES
    text = await error_text(client, "get_random_movies", {"genre": "Comedy", "exclude_genres": ["Comedy"]})
    assert "both wanted and excluded: Comedy" in text
