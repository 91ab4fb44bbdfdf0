"""movie://{movie_id}: everything stored about one movie."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from core.services import catalogue
from resources._common import ResourceSpec, as_json, whole_number
from tools._common import app_of
from tools._errors import core_errors_as


async def movie(movie_id: str, ctx: Context) -> str:
    with core_errors_as("resource"):
        movie_ref = whole_number(movie_id, "movie", f"movie://{movie_id}")
        return await as_json(catalogue.get_movie_details(app_of(ctx), movie_id=movie_ref))


RESOURCE = ResourceSpec(
    fn=movie,
    uri="movie://{movie_id}",
    name="movie",
    title="Movie details",
    description=(
        "Everything stored about one movie (MovieLens id): ids, metadata, rating statistics, top tags and"
        " enrichment. The same JSON as the get_movie_details tool."
    ),
)
