"""Build the MCPServer: the shared `MovieApp` in the lifespan, the eleven tools, resources and prompts."""

from __future__ import annotations

import logging
import os
import signal
import sys
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from mcp.server.mcpserver import MCPServer

from core.config import Settings
from core.runtime import MovieApp
from prompts import ALL_PROMPTS, completion_handler
from resources import ALL_RESOURCES
from server.heap import settle_after_loads
from server.stdio import run_stdio
from tools import ALL_TOOLS

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "movie-mcp answers from a real movie recommender over MovieLens ratings and movie metadata. Movie ids are"
    " MovieLens ids: find them with search_movies (by title) or semantic_search (by meaning). Users are"
    " MovieLens user ids. Recommendations, predictions and summaries say which engine produced them."
    " Resources: movie://{movie_id}, user://{user_id}/profile and catalog://stats (JSON)."
)

# MovieApps whose lifecycle is already owned by an outer `running()` (the HTTP app's lifespan, or the first
# session of a legacy SSE server): nested entries share what the owner loaded and never close it.
_owned: weakref.WeakSet[MovieApp] = weakref.WeakSet()
SHUTDOWN_SECONDS = 10.0  # how long a signalled stdio server waits for cancelled calls to unwind


@asynccontextmanager
async def running(app: MovieApp) -> AsyncIterator[MovieApp]:
    """Load `app` in the background while the block runs, and close it (the database) when the block ends.

    Re-entrant per app: only the outermost entry loads and closes, so an HTTP server loads once per
    process however many sessions enter the MCP lifespan.
    """
    if app in _owned:
        yield app
        return
    _owned.add(app)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(app.load)  # after the handshake: `initialize` never waits for the database
            try:
                yield app
            finally:
                tg.cancel_scope.cancel()  # stop a load still running at shutdown
    finally:
        with anyio.CancelScope(shield=True):  # close even while being cancelled
            await app.close()
        _owned.discard(app)  # only now: `serve_stdio` waits for this to know the database is closed
        logger.info("database closed")


def serving_app(settings: Settings) -> MovieApp:
    """The `MovieApp` of a process that serves it (stdio, HTTP, or one HTTP worker): it settles the
    process's heap after each load (`server.heap`)."""
    return settle_after_loads(MovieApp(settings))


def create_server(settings: Settings | None = None, movie_app: MovieApp | None = None) -> MCPServer[MovieApp]:
    """A server whose tools, resources and prompts share one `MovieApp`; it loads in the background."""
    app = movie_app or MovieApp(settings or Settings.from_env())

    def lifespan(_: MCPServer[MovieApp]) -> AbstractAsyncContextManager[MovieApp]:
        return running(app)

    server: MCPServer[MovieApp] = MCPServer(
        name="movie-mcp",
        title="movie-mcp",
        version="0.1.0",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        tools=[spec.build() for spec in ALL_TOOLS],  # strict arguments: see `tools._strict`
    )
    _add_resources(server, app)
    _add_prompts(server, app)
    return server


def _add_resources(server: MCPServer[MovieApp], app: MovieApp) -> None:
    for spec in ALL_RESOURCES:
        register = server.resource(
            spec.uri, name=spec.name, title=spec.title, description=spec.description, mime_type=spec.mime_type
        )
        register(spec.bind(app))


def _add_prompts(server: MCPServer[MovieApp], app: MovieApp) -> None:
    for spec in ALL_PROMPTS:
        server.prompt(name=spec.name, title=spec.title)(spec.fn)
    server.completion()(completion_handler(app))


async def serve_stdio(settings: Settings) -> None:
    """Serve over stdio until stdin closes, or until SIGINT/SIGTERM; either way the database is closed.

    The SDK's stdio runner has no signal handling, so SIGTERM would kill the process before the lifespan's
    clean-up. On a signal this cancels the runner (in-flight calls are cancelled; their writes roll back)
    and waits for the lifespan to close the database. Then it exits at once: worker threads that
    cancellation cannot interrupt (the SDK's stdin reader, a model still loading) would otherwise hold the
    process for one more line of input or several seconds.
    """
    app = serving_app(settings)
    server = create_server(movie_app=app)
    async with anyio.create_task_group() as tg:
        runner = anyio.CancelScope()

        async def serve() -> None:
            with runner:
                await run_stdio(server)
            tg.cancel_scope.cancel()  # stdin closed: the client has gone; stop waiting for signals

        tg.start_soon(serve)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                logger.info("received %s; shutting down", signal.Signals(signum).name)
                break
        runner.cancel()
        with anyio.move_on_after(SHUTDOWN_SECONDS):
            while app in _owned:  # the lifespan is still unwinding the cancelled calls and closing
                await anyio.sleep(0.05)
        _exit_now()
    _exit_now()


def _exit_now() -> None:
    """Leave without joining worker threads; the database is closed and every reply has been written."""
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)
