"""The eleven MCP tools: thin adapters from MCP arguments to `core` functions."""

from __future__ import annotations

from tools import (
    compare_movies,
    enrich_movies,
    get_enriched_movies,
    get_movie_details,
    get_movie_recommendations,
    get_random_movies,
    get_user_ratings,
    predict_rating,
    search_movies,
    semantic_search,
    summarize_user_preferences,
)
from tools._common import ToolSpec

ALL_TOOLS: tuple[ToolSpec, ...] = (
    search_movies.TOOL,
    get_movie_details.TOOL,
    get_user_ratings.TOOL,
    get_random_movies.TOOL,
    get_movie_recommendations.TOOL,
    predict_rating.TOOL,
    semantic_search.TOOL,
    get_enriched_movies.TOOL,
    summarize_user_preferences.TOOL,
    compare_movies.TOOL,
    enrich_movies.TOOL,
)
