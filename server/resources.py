"""MCP resources: a movie, a user's taste profile and catalogue statistics, each as JSON from `core`.

Resources are what a client can attach to a conversation without a tool call (the user picks them);
they reuse the same core functions as the tools, so a resource and its tool never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import BaseModel

from core.errors import InvalidInputError, MovieMcpError, NotFoundError
from core.runtime import MovieApp
from core.services import catalogue
from core.services import preferences as profile
from core.services.catalogue_stats import catalogue_stats

JSON = "application/json"
M = TypeVar("M", bound=BaseModel)


def _whole_number(value: str, what: str, uri: str) -> int:
    """The id in a URI, or a not-found error that says what an id looks like."""
    if not value.isdigit() or int(value) < 1:
        raise ResourceNotFoundError(f"{uri} does not exist: {what} ids are whole numbers from 1")
    return int(value)


async def _as_json(result: Awaitable[M]) -> str:
    """Run a core query and serialise its model; caller-fixable errors become not-found errors."""
    try:
        model = await result
    except (NotFoundError, InvalidInputError) as exc:
        raise ResourceNotFoundError(str(exc)) from exc
    except MovieMcpError as exc:  # not ready, not built: the message says how to fix it
        raise ResourceError(str(exc)) from exc
    return model.model_dump_json()


def register_resources(server: MCPServer[MovieApp], app: MovieApp) -> None:
    """Add the two resource templates and the catalogue statistics resource to `server`."""

    @server.resource(
        "movie://{movie_id}",
        name="movie",
        title="Movie details",
        description=(
            "Everything stored about one movie (MovieLens id): ids, metadata, rating statistics, top tags and"
            " enrichment. The same JSON as the get_movie_details tool."
        ),
        mime_type=JSON,
    )
    async def movie(movie_id: str) -> str:
        movie_ref = _whole_number(movie_id, "movie", f"movie://{movie_id}")
        return await _as_json(catalogue.get_movie_details(app, movie_id=movie_ref))

    @server.resource(
        "user://{user_id}/profile",
        name="user_profile",
        title="A user's taste profile",
        description=(
            "A MovieLens user's taste: rating distribution, genre and decade affinities, enrichment preferences,"
            " favourites and a readable summary. The same JSON as the summarize_user_preferences tool."
        ),
        mime_type=JSON,
    )
    async def user_profile(user_id: str) -> str:
        user_ref = _whole_number(user_id, "user", f"user://{user_id}/profile")
        return await _as_json(profile.summarize_user_preferences(app, user_ref))

    @server.resource(
        "catalog://stats",
        name="catalog_stats",
        title="Catalogue statistics",
        description=(
            "What the catalogue holds: counts of movies, users, ratings and tags; the user id and year ranges;"
            " coverage of overview, budget, revenue and other fields; movies per genre; the ratings histogram;"
            " and enrichment counts per sentiment, tier, audience and engine."
        ),
        mime_type=JSON,
    )
    async def catalog_stats() -> str:
        return await _as_json(catalogue_stats(app))
