"""Build the MCPServer: the shared `MovieApp` in the lifespan, and the eleven tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from mcp.server.mcpserver import MCPServer

from core.app import MovieApp
from core.config import Settings
from tools import ALL_TOOLS

INSTRUCTIONS = (
    "movie-mcp answers from a real movie recommender over MovieLens ratings and movie metadata. Movie ids are"
    " MovieLens ids: find them with search_movies (by title) or semantic_search (by meaning). Users are"
    " MovieLens user ids. Recommendations, predictions and summaries say which engine produced them."
)


def create_server(settings: Settings | None = None, movie_app: MovieApp | None = None) -> MCPServer[MovieApp]:
    """A server whose tools share one `MovieApp`; loading starts after the handshake, in the background."""
    app = movie_app or MovieApp(settings or Settings.from_env())
    started = False

    @asynccontextmanager
    async def lifespan(_: MCPServer[MovieApp]) -> AsyncIterator[MovieApp]:
        nonlocal started
        owner = not started
        try:
            async with anyio.create_task_group() as tg:
                if owner:  # the first lifespan loads; later sessions (legacy SSE) share what it loaded
                    started = True
                    tg.start_soon(app.load)
                try:
                    yield app
                finally:
                    tg.cancel_scope.cancel()  # stop a load still running at shutdown
        finally:
            if owner:
                with anyio.CancelScope(shield=True):  # close even while being cancelled
                    await app.close()

    server: MCPServer[MovieApp] = MCPServer(
        name="movie-mcp", title="movie-mcp", version="0.1.0", instructions=INSTRUCTIONS, lifespan=lifespan
    )
    for spec in ALL_TOOLS:
        server.add_tool(
            spec.fn,
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
    return server
