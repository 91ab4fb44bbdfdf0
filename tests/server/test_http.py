"""The HTTP transports on a real loopback port: Origin and Host checks, the bearer token, Streamable HTTP
and legacy SSE with the SDK's client, cancellation over the wire, and refusing unsafe settings."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from core.config import Settings
from core.data import sqlite
from core.llm.config import LLMSettings
from core.runtime import MovieApp
from core.search.embedder import Embedder
from server.app import create_server
from server.http import GuardMiddleware, HttpConfigError, HttpSettings, HttpTransport, create_http_app, is_loopback
from tests.llm_double import LLMDouble

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextmanager
def http_server(
    db: Path,
    embedder: Embedder,
    *,
    transport: HttpTransport = "streamable-http",
    token: str | None = None,
    llm: LLMSettings | None = None,
    max_sessions: int | None = None,
    stateless: bool = False,
) -> Iterator[str]:
    """The real HTTP app under uvicorn in a thread (its own event loop) on a free loopback port; yields its base URL."""
    settings = Settings(db_path=db, llm=llm) if llm else Settings(db_path=db)
    movie_app = MovieApp(settings, embedder=embedder)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    http = HttpSettings(transport=transport, host="127.0.0.1", port=port, token=token, stateless=stateless)
    if max_sessions is not None:
        http = dataclasses.replace(http, max_sessions=max_sessions)
    app = create_http_app(create_server(movie_app=movie_app), movie_app, http)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(600):  # bounded wait for start-up (a loaded machine can take seconds)
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        assert server.started, "the HTTP server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the HTTP server did not shut down"


@pytest.fixture(scope="module")
def http_url(synthetic_db: Path, embedder: Embedder) -> Iterator[str]:
    with http_server(synthetic_db, embedder) as url:
        yield url


@pytest.fixture(scope="module")
def token_url(synthetic_db: Path, embedder: Embedder) -> Iterator[str]:
    with http_server(synthetic_db, embedder, token=TOKEN) as url:
        yield url


async def post_initialize(url: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(f"{url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **(headers or {})})


def bearer_client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


# --- Streamable HTTP with the SDK's client ----------------------------------------------------------
async def test_tools_resources_and_prompts_over_streamable_http(http_url: str) -> None:
    async with Client(f"{http_url}/mcp") as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == 11
        result = await client.call_tool("search_movies", {"query": "star voyage"})
        assert not result.is_error and result.structured_content is not None
        assert result.structured_content["results"][0]["title"] == "The Star Voyage"
        bad = await client.call_tool("get_user_ratings", {"user_id": 99999})
        assert bad.is_error and "does not exist" in bad.content[0].text
        movie = await client.read_resource("movie://1")
        assert '"title":"The Star Voyage"' in movie.contents[0].text
        prompt = await client.get_prompt("compare", {"movies": "The Star Voyage; Amélie's Summer"})
        assert "compare_movies with movie_ids=[1, 101]" in prompt.messages[0].content.text


async def test_the_legacy_sse_transport_serves_the_same_server(synthetic_db: Path, embedder: Embedder) -> None:
    with http_server(synthetic_db, embedder, transport="sse") as url:
        for _ in range(2):  # two connections share the one loaded database
            async with Client(sse_client(f"{url}/sse")) as client:
                assert len((await client.list_tools()).tools) == 11
                result = await client.call_tool("get_movie_details", {"movie_id": 101})
                assert result.structured_content is not None
                assert result.structured_content["title"] == "Amélie's Summer"


# --- Origin and Host -------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example:8000", "null"])
async def test_a_foreign_origin_is_forbidden(http_url: str, origin: str) -> None:
    response = await post_initialize(http_url, {"Origin": origin})
    assert response.status_code == 403


@pytest.mark.parametrize("origin", [None, "http://localhost:6274", "http://127.0.0.1:3000", "http://[::1]:8080"])
async def test_no_origin_and_loopback_origins_are_served(http_url: str, origin: str | None) -> None:
    response = await post_initialize(http_url, {"Origin": origin} if origin else None)
    assert response.status_code == 200, response.text
    assert "mcp-session-id" in response.headers


async def test_a_non_loopback_host_header_is_refused_on_a_loopback_server(http_url: str) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    response = await post_initialize(http_url, {"Host": "evil.example"})
    assert response.status_code == 421


# --- the bearer token ------------------------------------------------------------------------------
async def test_with_a_token_every_request_needs_it(token_url: str) -> None:
    missing = await post_initialize(token_url)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await post_initialize(token_url, {"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert wrong.status_code == 401
    basic = await post_initialize(token_url, {"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    right = await post_initialize(token_url, {"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    async with httpx2.AsyncClient(timeout=30) as http:
        assert (await http.get(f"{token_url}/health")).status_code == 401
        assert (await http.get(f"{token_url}/health", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200


async def test_the_sdk_client_works_with_the_token_and_the_token_is_never_logged(
    token_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with bearer_client(token_url, TOKEN) as client:
        assert len((await client.list_tools()).tools) == 11
        assert not (await client.call_tool("get_random_movies", {"n": 2, "seed": 1})).is_error
    with pytest.raises(Exception):  # noqa: B017 - the SDK reports a 401 as an HTTP error
        async with bearer_client(token_url, "wrong-" + TOKEN) as client:
            await client.list_tools()
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert caplog.records  # the server did log the exchange...
    assert TOKEN not in logged  # ...but never the token


# --- unsafe settings -------------------------------------------------------------------------------
def test_extra_origins_are_allowed_exactly() -> None:
    settings = HttpSettings.from_args("streamable-http", "127.0.0.1", 8000, None, ["https://App.example/"])
    guard = GuardMiddleware(
        lambda scope, receive, send: None,  # type: ignore[arg-type,return-value]
        token=None,
        allowed_origins=settings.allowed_origins,
        loopback_only=True,
    )
    assert guard.origin_allowed("https://app.example") and guard.origin_allowed("http://localhost:5173")
    assert not guard.origin_allowed("https://app.example.evil") and not guard.origin_allowed("http://app.example")


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "app.localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.10", "example.com", "", None))


def test_a_public_interface_needs_a_token_of_reasonable_length() -> None:
    with pytest.raises(HttpConfigError, match=r"refusing to listen on 0\.0\.0\.0 without a bearer token"):
        HttpSettings(host="0.0.0.0").validate()
    with pytest.raises(HttpConfigError, match="too short"):
        HttpSettings(host="0.0.0.0", token="short").validate()
    HttpSettings(host="0.0.0.0", token=TOKEN).validate()  # allowed (not started here: tests stay on loopback)
    assert TOKEN not in repr(HttpSettings(token=TOKEN))


def test_serve_refuses_to_start_on_0_0_0_0_without_a_token(synthetic_db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MOVIE_MCP_TOKEN"}
    env["MOVIE_MCP_DB"] = str(synthetic_db)
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--transport", "streamable-http", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a bearer token" in proc.stderr
    assert "MOVIE_MCP_TOKEN" in proc.stderr
    assert proc.stdout == ""


# --- cancellation over the wire ----------------------------------------------------------------------
def llm_engine_rows(db: Path) -> int:
    conn = sqlite.connect_sync(db, read_only=True)
    try:
        return int(conn.execute("SELECT count(*) FROM enrichments WHERE engine = 'llm'").fetchone()[0])
    finally:
        conn.close()


async def test_a_cancelled_call_stops_on_the_server(
    synthetic_db: Path, embedder: Embedder, fake_llm: LLMDouble, tmp_path: Path
) -> None:
    """The client's notifications/cancelled reaches the running enrichment: no batch starts after it."""
    db = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db)
    fake_llm.latency = 0.4
    llm = fake_llm.settings(timeout=10.0, batch_size=2, concurrency=1)
    with http_server(db, embedder, llm=llm) as url:
        async with Client(f"{url}/mcp") as client:
            progressed = asyncio.Event()

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                progressed.set()

            call = asyncio.ensure_future(client.call_tool("enrich_movies", {"n": 12}, progress_callback=on_progress))
            await asyncio.wait_for(progressed.wait(), timeout=60)  # the first batch is written
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            sent_at_cancel = len(fake_llm.requests)
            await asyncio.sleep(12 * fake_llm.latency)  # an uncancelled run would have finished all 6 batches
            # The session still serves, and at most the batch in flight at the cancel went out after it.
            assert not (await client.call_tool("get_movie_details", {"movie_id": 1})).is_error
    assert len(fake_llm.requests) <= sent_at_cancel + 1
    assert llm_engine_rows(db) < 12 and llm_engine_rows(db) % 2 == 0  # whole batches only: nothing half-written


async def test_at_the_session_cap_the_longest_idle_session_makes_room(synthetic_db: Path, embedder: Embedder) -> None:
    """One client that opens sessions up to the cap and walks away cannot lock new clients out."""

    async def ping(http: httpx2.AsyncClient, url: str, session_id: str) -> int:
        headers = {**MCP_HEADERS, "mcp-session-id": session_id, "mcp-protocol-version": "2025-06-18"}
        reply = await http.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "ping"}, headers=headers)
        return reply.status_code

    with http_server(synthetic_db, embedder, max_sessions=2) as url:
        async with httpx2.AsyncClient(timeout=30) as http:
            opened = []
            for _ in range(3):  # the third would have been refused with 503 at the cap
                reply = await http.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
                assert reply.status_code == 200, reply.text
                opened.append(reply.headers["mcp-session-id"])
                await asyncio.sleep(0.05)  # distinct idle deadlines: the first opened is the longest idle
            first, second, third = opened
            assert await ping(http, url, first) == 404  # closed to make room; its client starts a new session
            assert await ping(http, url, second) == 200
            assert await ping(http, url, third) == 200


def test_only_a_session_without_a_request_in_flight_is_chosen_to_make_room() -> None:
    from types import SimpleNamespace

    from server.sessions import longest_idle_session

    def session(deadline: float, in_flight: int) -> SimpleNamespace:
        return SimpleNamespace(idle_scope=SimpleNamespace(deadline=deadline), _requests_in_flight=in_flight)

    # a busy session's countdown is suspended (deadline inf); a busy one is never chosen, whatever its deadline
    sessions = {"old-busy": session(1.0, 1), "idle-late": session(9.0, 0), "idle-early": session(5.0, 0)}
    assert longest_idle_session(sessions) == "idle-early"
    assert longest_idle_session({"busy": session(math.inf, 2)}) is None
    assert longest_idle_session({}) is None
