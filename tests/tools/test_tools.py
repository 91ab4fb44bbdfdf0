"""Every tool through the in-memory MCP client, on the synthetic catalogue: good input and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from core.search.embedder import Embedder
from core.services.recommend.calibrate import CALIBRATION_WEIGHT
from tests.conftest import serve_in_memory
from tests.synthetic import ROMANCE_FANS, ROMANCE_IDS, SPACE_FANS, SPACE_IDS, UNRATED_MOVIE_ID

EXPECTED_TOOLS = {
    "search_movies",
    "get_movie_details",
    "get_user_ratings",
    "get_random_movies",
    "get_movie_recommendations",
    "predict_rating",
    "semantic_search",
    "get_enriched_movies",
    "summarize_user_preferences",
    "compare_movies",
    "enrich_movies",
}


async def ok(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def error_text(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    return " ".join(getattr(c, "text", "") for c in result.content)


async def test_lists_exactly_the_eleven_tools_with_schemas_and_annotations(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == EXPECTED_TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 80, tool.name
        assert tool.title
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (tool.name != "enrich_movies"), tool.name
        assert tool.annotations.open_world_hint is False


# --- search_movies -----------------------------------------------------------------------------
async def test_search_finds_title_without_its_leading_article_and_accents(client: Client) -> None:
    result = await ok(client, "search_movies", {"query": "star voyage"})
    assert result["results"][0]["title"] == "The Star Voyage"
    accents = await ok(client, "search_movies", {"query": "AMELIE'S"})
    assert accents["results"][0]["title"] == "Amélie's Summer"


async def test_search_finds_alternative_titles(client: Client) -> None:
    result = await ok(client, "search_movies", {"query": "voyage to the stars"})
    assert result["results"][0]["movie_id"] == 1


async def test_search_pages_with_next_offset(client: Client) -> None:
    first = await ok(client, "search_movies", {"query": "love", "limit": 5})
    assert first["total"] == 11 and len(first["results"]) == 5 and first["next_offset"] == 5
    rest = await ok(client, "search_movies", {"query": "love", "limit": 50, "offset": 5})
    assert rest["next_offset"] is None
    ids = [r["movie_id"] for r in first["results"] + rest["results"]]
    assert len(ids) == len(set(ids)) == 11


async def test_search_ranks_more_rated_titles_first_among_prefix_matches(client: Client) -> None:
    result = await ok(client, "search_movies", {"query": "star voyage", "limit": 20})
    counts = [r["rating_count"] for r in result["results"][1:]]
    assert counts == sorted(counts, reverse=True)


async def test_search_rejects_punctuation_only_query(client: Client) -> None:
    assert "no letters or digits" in await error_text(client, "search_movies", {"query": "?!"})


# --- get_movie_details -------------------------------------------------------------------------
async def test_details_include_ids_histogram_tags_and_enrichment(client: Client) -> None:
    details = await ok(client, "get_movie_details", {"movie_id": 1})
    assert details["imdb_id"] == "tt1000001" and details["tmdb_id"] == 9001
    assert sum(details["ratings"]["histogram"].values()) == details["ratings"]["count"] > 0
    assert details["tags"][0] == {"tag": "space", "count": 2}
    assert details["enrichment"]["engine"] == "offline-rules-v1"
    assert details["enrichment"]["budget_tier"] == "medium"  # $20M


async def test_details_by_title(client: Client) -> None:
    details = await ok(client, "get_movie_details", {"title": "the star voyage"})
    assert details["movie_id"] == 1


async def test_details_unknown_movie_names_the_fix(client: Client) -> None:
    text = await error_text(client, "get_movie_details", {"movie_id": 99999})
    assert "99999" in text and "search_movies" in text


async def test_details_need_exactly_one_of_id_or_title(client: Client) -> None:
    assert "exactly one" in await error_text(client, "get_movie_details", {})


# --- get_user_ratings --------------------------------------------------------------------------
async def test_user_ratings_are_paged_and_sorted(client: Client) -> None:
    page = await ok(client, "get_user_ratings", {"user_id": 1, "limit": 3, "sort": "highest"})
    assert len(page["ratings"]) == 3 and page["next_offset"] == 3
    stars = [r["rating"] for r in page["ratings"]]
    assert stars == sorted(stars, reverse=True)
    assert page["total"] > 3 and page["ratings"][0]["title"]


async def test_user_ratings_unknown_user_gives_the_range(client: Client) -> None:
    text = await error_text(client, "get_user_ratings", {"user_id": 99999})
    assert "user 99999 does not exist" in text and "1–24" in text


# --- get_random_movies -------------------------------------------------------------------------
async def test_random_movies_respect_filters_and_seed(client: Client) -> None:
    a = await ok(client, "get_random_movies", {"n": 4, "genre": "Romance", "seed": 7})
    b = await ok(client, "get_random_movies", {"n": 4, "genre": "Romance", "seed": 7})
    assert a == b and a["matching"] == 12
    assert all("Romance" in m["genres"] for m in a["movies"]) and len(a["movies"]) == 4
    years = await ok(client, "get_random_movies", {"n": 50, "min_year": 1995, "max_year": 1999})
    assert years["matching"] == 5 and sorted(m["year"] for m in years["movies"]) == [1995, 1996, 1997, 1998, 1999]


async def test_random_movies_reject_unknown_genre_and_out_of_range_n(client: Client) -> None:
    assert "Genres are" in await error_text(client, "get_random_movies", {"genre": "Zorblax"})
    assert "n" in await error_text(client, "get_random_movies", {"n": 500})


# --- get_movie_recommendations -----------------------------------------------------------------
async def test_recommendations_for_a_space_fan_are_unrated_space_movies_with_evidence(client: Client) -> None:
    user = SPACE_FANS[0]
    ratings = await ok(client, "get_user_ratings", {"user_id": user, "limit": 100})
    rated = {r["movie_id"] for r in ratings["ratings"]}
    result = await ok(client, "get_movie_recommendations", {"user_id": user, "n": 3})
    picks = [r["movie_id"] for r in result["recommendations"]]
    assert result["engine"] == "ease-als-ensemble" and result["engine_requested"] == "ease-als-ensemble"
    assert len(picks) == 3 and not set(picks) & rated
    assert set(picks) <= set(SPACE_IDS)
    for pick in result["recommendations"]:
        assert pick["because"] and all(e["movie_id"] in rated for e in pick["because"])
        assert pick["reason"].startswith("Because you liked")


async def test_als_engine_stays_selectable(client: Client) -> None:
    user = SPACE_FANS[0]
    ratings = await ok(client, "get_user_ratings", {"user_id": user, "limit": 100})
    rated = {r["movie_id"] for r in ratings["ratings"]}
    result = await ok(client, "get_movie_recommendations", {"user_id": user, "n": 3, "engine": "als"})
    picks = [r["movie_id"] for r in result["recommendations"]]
    assert result["engine"] == "als" and len(picks) == 3 and not set(picks) & rated
    assert set(picks) <= set(SPACE_IDS)
    for pick in result["recommendations"]:
        assert pick["because"] and all(e["movie_id"] in rated for e in pick["because"])


async def test_cold_start_from_liked_titles(client: Client) -> None:
    result = await ok(
        client, "get_movie_recommendations", {"liked_movies": ["Amélie's Summer", 102, "Love in Paris 3"], "n": 5}
    )
    picks = [r["movie_id"] for r in result["recommendations"]]
    assert len(picks) == 5 and not {101, 102, 103} & set(picks)
    # Every rating counts as an interaction, and romance fans also watched a few space movies, so
    # those can appear; the best pick still comes from the liked block.
    assert picks[0] in ROMANCE_IDS
    assert [m["movie_id"] for m in result["liked_movies"]] == [101, 102, 103]


async def test_recommendation_query_becomes_filters_and_reports_unknown_words(client: Client) -> None:
    result = await ok(
        client, "get_movie_recommendations", {"user_id": ROMANCE_FANS[0], "n": 5, "query": "comedies zorblax"}
    )
    assert result["query"]["filters"]["genres"] == ["Comedy"]
    assert "zorblax" in result["query"]["unknown_terms"]
    assert all("Comedy" in r["genres"] for r in result["recommendations"])


async def test_genre_calibration_is_reported_checked_and_left_to_a_re_ranker(client: Client) -> None:
    default = await ok(client, "get_movie_recommendations", {"user_id": SPACE_FANS[0], "n": 3})
    assert default["genre_calibration"] == CALIBRATION_WEIGHT
    strong = await ok(client, "get_movie_recommendations", {"user_id": SPACE_FANS[0], "n": 3, "genre_calibration": 0.9})
    assert strong["genre_calibration"] == 0.9 and {r["movie_id"] for r in strong["recommendations"]} <= set(SPACE_IDS)
    assert "genre_calibration" in await error_text(
        client, "get_movie_recommendations", {"user_id": 1, "genre_calibration": 2}
    )
    hybrid = await ok(
        client, "get_movie_recommendations", {"user_id": 1, "engine": "hybrid", "n": 2, "query": "about robots"}
    )
    assert hybrid["genre_calibration"] is None  # the semantic re-ranker ordered these


async def test_llm_engine_falls_back_to_the_default_model_and_says_so(client: Client) -> None:
    result = await ok(client, "get_movie_recommendations", {"user_id": 1, "engine": "llm", "n": 2})
    assert result["engine"] == "ease-als-ensemble" and result["engine_requested"] == "llm"
    assert any("LLM" in note for note in result["notes"])


async def test_hybrid_blends_query_meaning(client: Client) -> None:
    result = await ok(
        client, "get_movie_recommendations", {"user_id": 1, "engine": "hybrid", "n": 2, "query": "about robots"}
    )
    assert result["engine"] == "hybrid-als-semantic" and len(result["recommendations"]) == 2


async def test_recommendations_bad_input(client: Client) -> None:
    assert "exactly one" in await error_text(client, "get_movie_recommendations", {})
    assert "user 4242 does not exist" in await error_text(client, "get_movie_recommendations", {"user_id": 4242})
    text = await error_text(client, "get_movie_recommendations", {"liked_movies": ["qwertyuiop"]})
    assert "qwertyuiop" in text and "search_movies" in text
    assert "has ratings" in await error_text(client, "get_movie_recommendations", {"liked_movies": [UNRATED_MOVIE_ID]})


# --- predict_rating ----------------------------------------------------------------------------
async def test_prediction_is_high_for_own_block_and_low_for_other(client: Client) -> None:
    user = SPACE_FANS[0]
    ratings = await ok(client, "get_user_ratings", {"user_id": user, "limit": 100})
    rated = {r["movie_id"] for r in ratings["ratings"]}
    unrated_space = next(m for m in SPACE_IDS if m not in rated)
    unrated_romance = next(m for m in reversed(ROMANCE_IDS) if m not in rated)
    high = await ok(client, "predict_rating", {"user_id": user, "movie_id": unrated_space})
    low = await ok(client, "predict_rating", {"user_id": user, "movie_id": unrated_romance})
    assert high["predicted_rating"] > 4.0 and high["predicted_rating"] - low["predicted_rating"] > 1.0
    assert low["predicted_rating"] >= 0.5 and high["predicted_rating"] <= 5.0
    assert 0 < high["confidence"] <= 1 and high["actual_rating"] is None
    assert high["evidence"] and all(e["movie_id"] in rated for e in high["evidence"])
    assert high["engine"] == "biased-mf" and "Predicted" in high["explanation"]


async def test_prediction_bad_input(client: Client) -> None:
    assert "user 0" not in await error_text(client, "predict_rating", {"user_id": 0, "movie_id": 1})
    assert "movie 77777 does not exist" in await error_text(client, "predict_rating", {"user_id": 1, "movie_id": 77777})


# --- summarize_user_preferences ----------------------------------------------------------------
async def test_preferences_show_the_users_block(client: Client) -> None:
    prefs = await ok(client, "summarize_user_preferences", {"user_id": SPACE_FANS[0]})
    genres = {a["name"]: a for a in prefs["genres"]}
    assert genres["Sci-Fi"]["relative"] > 0 > genres["Romance"]["relative"]
    assert sum(prefs["distribution"].values()) == prefs["rating_count"]
    assert prefs["favourites"][0]["rating"] >= prefs["least_favourites"][0]["rating"]
    assert "Sci-Fi" in prefs["summary"] and prefs["enrichment"]["sentiment"]


# --- compare_movies ----------------------------------------------------------------------------
async def test_compare_names_leaders_and_keeps_unknowns_unknown(client: Client) -> None:
    result = await ok(client, "compare_movies", {"movie_ids": [1, 4, 12]})
    dims = {d["dimension"]: d for d in result["dimensions"]}
    assert dims["budget"]["leader_movie_id"] == 12 and dims["budget"]["unknown_for"] == [4]
    movie4 = next(m for m in result["movies"] if m["movie_id"] == 4)
    assert movie4["budget"] is None and movie4["roi"] is None
    assert dims["roi"]["maximum"] == pytest.approx(max(m["roi"] for m in result["movies"] if m["roi"]))


async def test_compare_bad_input(client: Client) -> None:
    assert await error_text(client, "compare_movies", {"movie_ids": [1]})
    assert "[99999]" in await error_text(client, "compare_movies", {"movie_ids": [1, 99999]})
    assert await error_text(client, "compare_movies", {"movie_ids": list(range(1, 13))})


# --- semantic_search ---------------------------------------------------------------------------
async def test_semantic_search_finds_by_meaning(client: Client) -> None:
    result = await ok(client, "semantic_search", {"query": "stranded astronaut growing potatoes on the red planet"})
    assert result["results"][0]["movie_id"] == 3
    assert result["engine"] == "hybrid: bm25 + all-MiniLM-L6-v2, rank fusion, learned order"
    assert result["retrievers"] == ["bm25", "vector"] and result["notes"] == []


async def test_semantic_search_filters_inside_the_scan_still_return_k(client: Client) -> None:
    result = await ok(client, "semantic_search", {"query": "space battle", "k": 4, "genre": "Romance"})
    assert len(result["results"]) == 4 and all("Romance" in r["genres"] for r in result["results"])
    years = await ok(client, "semantic_search", {"query": "love", "k": 3, "max_year": 1993})
    assert len(years["results"]) == 3 and all(r["year"] <= 1993 for r in years["results"])
    budget = await ok(client, "semantic_search", {"query": "aliens", "k": 50, "min_budget": 200_000_000})
    assert {r["movie_id"] for r in budget["results"]} == {10, 11, 12}
    assert budget["matching_movies"] == 3


async def test_semantic_search_bad_input(client: Client) -> None:
    assert await error_text(client, "semantic_search", {"query": ""})
    assert "min_year" in await error_text(client, "semantic_search", {"query": "x", "min_year": 2000, "max_year": 1990})


# --- get_enriched_movies / enrich_movies -------------------------------------------------------
async def test_enriched_catalogue_filters_and_orders(client: Client) -> None:
    page = await ok(client, "get_enriched_movies", {"budget_tier": "low", "order_by": "effectiveness", "limit": 50})
    assert page["total"] == len(page["movies"]) > 0
    assert all(m["enrichment"]["budget_tier"] == "low" for m in page["movies"])
    scores = [m["enrichment"]["effectiveness_score"] for m in page["movies"]]
    assert scores == sorted(scores, reverse=True)


async def test_enrich_movies_is_idempotent_and_force_recomputes(client: Client) -> None:
    first = await ok(client, "enrich_movies", {"movie_ids": [1, 2]})
    assert first["enriched"] == [] and first["skipped_already_enriched"] == [1, 2]
    forced = await ok(client, "enrich_movies", {"movie_ids": [1], "force": True})
    assert [m["movie_id"] for m in forced["enriched"]] == [1]
    assert forced["engine"] == "offline-rules-v1"
    details = await ok(client, "get_movie_details", {"movie_id": 1})
    assert details["enrichment"]["enriched_at"] == forced["enriched"][0]["enrichment"]["enriched_at"]


async def test_enrich_movies_bad_input(client: Client) -> None:
    assert "exactly one" in await error_text(client, "enrich_movies", {})
    assert "[424242]" in await error_text(client, "enrich_movies", {"movie_ids": [1, 424242]})


async def test_semantic_search_when_the_embedding_model_failed_to_load(synthetic_db: Path) -> None:
    # The query embedding runs concurrently with the filter count; its failure must still reach the
    # client as a plain tool error naming the cause (not an exception group or an internal error).
    class BrokenEmbedder(Embedder):
        def load(self) -> Any:
            raise RuntimeError("model files missing")

    async with serve_in_memory(synthetic_db, BrokenEmbedder()) as broken:
        text = await error_text(broken, "semantic_search", {"query": "space battle"})
        assert "embedding model could not be loaded" in text and "model files missing" in text
        assert (await ok(broken, "search_movies", {"query": "star voyage"}))["results"]  # the rest still works
