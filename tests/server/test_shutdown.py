"""`movie-mcp serve` as a real subprocess shuts down cleanly on SIGTERM and SIGINT, over stdio and HTTP:
it exits on its own, the database is closed, and stdout carried nothing but protocol messages."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client

ROOT = Path(__file__).resolve().parents[2]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
}


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MOVIE_MCP_TOKEN"}
    return {**env, "MOVIE_MCP_DB": str(db), "PYTHONUNBUFFERED": "1"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started; killed at the end if the test left them running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stdio_server_stops_cleanly_on_a_signal(
    synthetic_db: Path, signum: signal.Signals, stop_later: list[subprocess.Popen[str]]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(synthetic_db),
        cwd=ROOT,
    )
    stop_later.append(proc)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(INITIALIZE) + "\n")
    proc.stdin.flush()
    reply = json.loads(proc.stdout.readline())
    assert reply["result"]["serverInfo"]["name"] == "movie-mcp"
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n")
    proc.stdin.flush()
    assert len(json.loads(proc.stdout.readline())["result"]["tools"]) == 11  # the database is loaded by now

    proc.send_signal(signum)  # stdin stays open: the server must not wait for more input
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert f"received {signum.name}; shutting down" in stderr
    assert "database closed" in stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_http_server_stops_cleanly_on_a_signal(
    synthetic_db: Path, signum: signal.Signals, stop_later: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--transport", "streamable-http", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(synthetic_db),
        cwd=ROOT,
    )
    stop_later.append(proc)
    url = f"http://127.0.0.1:{port}"
    async with httpx2.AsyncClient(timeout=5) as http:
        for _ in range(600):  # bounded wait for start-up
            assert proc.poll() is None, proc.communicate()[1]
            try:
                if (await http.get(f"{url}/health")).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    async with Client(f"{url}/mcp") as client:
        assert len((await client.list_tools()).tools) == 11
        assert not (await client.call_tool("get_movie_details", {"movie_id": 1})).is_error

    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    # uvicorn re-raises the signal after its graceful shutdown: SIGINT ends as exit 130, SIGTERM as the signal.
    assert proc.returncode in (0, 130, -signum), stderr
    assert "database closed" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""  # logs go to stderr in every mode
