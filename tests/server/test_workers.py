"""`movie-mcp serve --transport streamable-http --workers N`: several processes on one port, stateless, behind
the same checks as one process, stopped together by a signal; and the command lines it refuses."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from benchmarks.raw_mcp_client import RawMcpClient, RawMcpError, _read_response, _result
from core.search.embedder import Embedder
from server.cli import main
from server.http import HttpConfigError, HttpSettings
from server.recycling import MAX_REQUESTS_PER_CONNECTION
from server.workers import torch_threads
from tests.server.test_http import INITIALIZE, MCP_HEADERS, http_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "workers-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def two_workers(synthetic_db: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A real `serve --workers 2` with a token (from the environment) on a free loopback port."""
    port = _free_port()
    env = {**os.environ, "MOVIE_MCP_DB": str(synthetic_db), "MOVIE_MCP_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    serve = ["serve", "--transport", "streamable-http", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", *serve],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):  # bounded wait for start-up (a loaded machine can take seconds)
            assert proc.poll() is None, proc.communicate()[1]
            try:
                if httpx2.get(f"{url}/health", headers=AUTH, timeout=5).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _sdk_client(url: str, mode: str) -> Client:
    http = httpx2.AsyncClient(headers=AUTH, timeout=60)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 requests, and an older client's handshake
async def test_two_workers_answer_the_sdk_client(two_workers: tuple[str, subprocess.Popen[str]], mode: str) -> None:
    url, _ = two_workers
    for _ in range(3):  # new connections: each may land on either worker
        async with _sdk_client(url, mode) as client:
            assert client.protocol_version == ("2026-07-28" if mode == "auto" else "2025-11-25")
            assert len((await client.list_tools()).tools) == 11
            result = await client.call_tool("search_movies", {"query": "star voyage"})
            assert not result.is_error and result.structured_content is not None
            assert result.structured_content["results"][0]["title"] == "The Star Voyage"
            bad = await client.call_tool("get_user_ratings", {"user_id": 99999})
            assert bad.is_error and "does not exist" in bad.content[0].text


Served = tuple[str, subprocess.Popen[str]]


async def test_a_stateless_client_posts_requests_without_a_session(two_workers: Served) -> None:
    url, _ = two_workers
    async with httpx2.AsyncClient(timeout=30) as http:
        legacy = await http.post(f"{url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **AUTH})
        assert legacy.status_code == 200 and "mcp-session-id" not in legacy.headers  # no session to lose
        assert (await http.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)).status_code == 401
        foreign = {**MCP_HEADERS, **AUTH, "Origin": "https://evil.example"}
        assert (await http.post(f"{url}/mcp", json=INITIALIZE, headers=foreign)).status_code == 403
    async with RawMcpClient(f"{url}/mcp", headers=AUTH) as client:  # 2026-07-28: no handshake, no session
        details = await client.call_tool("get_movie_details", {"movie_id": 101})
        assert details["structuredContent"]["title"] == "Amélie's Summer"
        for _ in range(4):  # the embedding model in more than one worker (its progress lock, see the signal test)
            found = await client.call_tool("semantic_search", {"query": "a voyage through space", "k": 3})
            assert not found.get("isError") and found["structuredContent"]["results"]
            await client.close()  # a new connection: maybe the other worker


async def test_a_kept_alive_connection_is_handed_back_after_its_share_of_requests(two_workers: Served) -> None:
    url, _ = two_workers
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    try:
        verdicts = []
        for _ in range(MAX_REQUESTS_PER_CONNECTION):  # one connection, kept alive until the server ends it
            writer.write(request)
            status, headers, _body = await asyncio.wait_for(_read_response(reader), 30)
            assert status == 200
            verdicts.append(headers.get("connection") == "close")
        assert verdicts == [False] * (MAX_REQUESTS_PER_CONNECTION - 1) + [True]
        assert await asyncio.wait_for(reader.read(), 30) == b""  # and the server closed it
    finally:
        writer.close()


def test_each_worker_gets_its_share_of_the_cores_for_torch(two_workers: Served) -> None:
    assert [torch_threads(w, c) for w, c in [(1, 2), (2, 2), (3, 2), (2, 8)]] == [2, 1, 1, 4]
    _, proc = two_workers
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    environments = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in children]
    expected = f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', torch_threads(2, os.cpu_count() or 1))}"
    workers = [env for env in environments if any(b"MOVIE_MCP_DB" in item for item in env)]
    assert len(workers) >= 2 and all(expected.encode() in env for env in workers)


def test_a_signal_stops_every_worker_and_closes_each_database(two_workers: tuple[str, subprocess.Popen[str]]) -> None:
    _, proc = two_workers
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    started = set(re.findall(r"process (\d+), stateless", stderr))
    assert len(started) == 2, stderr  # two processes, each with its own app
    assert stderr.count("database closed") == 2
    assert "Traceback" not in stderr and TOKEN not in stderr
    assert "leaked semaphore" not in stderr  # nothing a worker created outlives it
    assert stdout == ""  # logs go to stderr in every mode


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--workers", "2"], "a stdio server has one client"),
        (["serve", "--stateless"], "a stdio server has one client"),
        (["serve", "--transport", "sse", "--workers", "2"], "need --transport streamable-http"),
        (["serve", "--transport", "sse", "--stateless"], "need --transport streamable-http"),
        (["serve", "--transport", "streamable-http", "--workers", "0"], "at least 1"),
        (["serve", "--transport", "streamable-http", "--workers", "2", "--max-sessions", "5"], "stateless"),
        (["serve", "--transport", "streamable-http", "--workers", "3", "--session-idle-timeout", "9"], "stateless"),
        (["serve", "--transport", "streamable-http", "--stateless", "--max-sessions", "5"], "stateless"),
    ],
)
def test_bad_worker_combinations_are_refused_with_the_fix(
    synthetic_db: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert main(["--db", str(synthetic_db), *argv]) == 2
    assert message in capsys.readouterr().err + caplog.text


def test_workers_make_the_http_app_stateless() -> None:
    assert not HttpSettings().stateless
    assert HttpSettings(workers=2).stateless  # however the settings are made
    assert HttpSettings.from_args("streamable-http", "127.0.0.1", 8000, workers=2).stateless
    assert HttpSettings.from_args("streamable-http", "127.0.0.1", 8000, stateless=True).workers == 1
    with pytest.raises(HttpConfigError, match="need --transport streamable-http"):
        HttpSettings(transport="sse", workers=2).validate()


async def test_one_stateless_process_answers_without_sessions(synthetic_db: Path, embedder: Embedder) -> None:
    """`--stateless` with one worker: what replicas behind a load balancer run."""
    with http_server(synthetic_db, embedder, stateless=True) as url:
        async with httpx2.AsyncClient(timeout=30) as http:
            response = await http.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code == 200 and "mcp-session-id" not in response.headers
        async with Client(f"{url}/mcp", mode="legacy") as client:
            assert len((await client.list_tools()).tools) == 11
            result = await client.call_tool("get_movie_details", {"movie_id": 101})
            assert result.structured_content is not None
            assert result.structured_content["title"] == "Amélie's Summer"


# --- the load generator's stateless client, on canned HTTP responses -----------------------------------
async def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader = asyncio.StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    return await _read_response(reader)


async def test_the_raw_client_reads_json_chunked_sse_and_errors() -> None:
    body = b'{"jsonrpc":"2.0","id":7,"result":{"isError":false}}'
    status, headers, payload = await _parse(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert (status, _result(status, headers, payload, 7)) == (200, {"isError": False})
    stream = b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\r\n\r\n'
    stream += b'event: message\r\ndata: {"jsonrpc":"2.0","id":8,"result":{"content":[]}}\r\n\r\n'
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (stream[:30], stream[30:])) + b"0\r\n\r\n"
    status, headers, payload = await _parse(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" + chunked
    )
    assert _result(status, headers, payload, 8) == {"content": []}  # the response, past the notification
    error = b'{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"bad"}}'
    with pytest.raises(RawMcpError, match="-32602"):
        _result(400, {"content-type": "application/json"}, error, 9)
    with pytest.raises(RawMcpError, match="no response to request 10"):
        _result(200, {"content-type": "application/json"}, body, 10)
