"""`movie-mcp serve` over stdio as a real subprocess: stdout carries nothing but JSON-RPC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

PROTOCOL_VERSION = "2025-06-18"  # what current desktop clients send


def _send(proc: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


def _read_until_id(proc: subprocess.Popen[str], request_id: int, seen: list[dict[str, Any]]) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, f"server closed stdout; stderr: {proc.stderr.read() if proc.stderr else ''}"
        message = json.loads(line)  # every stdout line must be JSON
        assert message.get("jsonrpc") == "2.0", line
        seen.append(message)
        if message.get("id") == request_id:
            return message


def _initialize(proc: subprocess.Popen[str], seen: list[dict[str, Any]]) -> dict[str, Any]:
    _send(
        proc,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
    )
    reply = _read_until_id(proc, 1, seen)
    _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return reply


def _call_tool(
    proc: subprocess.Popen[str], request_id: int, name: str, arguments: dict[str, Any], seen: list[dict[str, Any]]
) -> dict[str, Any]:
    _send(
        proc,
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        },
    )
    return _read_until_id(proc, request_id, seen)["result"]


@pytest.fixture
def server_process(synthetic_db: Path) -> Any:
    env = {**os.environ, "MOVIE_MCP_DB": str(synthetic_db), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_stdio_server_speaks_only_json_rpc_on_stdout(server_process: subprocess.Popen[str]) -> None:
    seen: list[dict[str, Any]] = []
    init = _initialize(server_process, seen)
    assert init["result"]["serverInfo"]["name"] == "movie-mcp"

    _send(server_process, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    tools = _read_until_id(server_process, 2, seen)["result"]["tools"]
    assert len(tools) == 11

    call = _call_tool(server_process, 3, "semantic_search", {"query": "astronaut stranded on Mars", "k": 2}, seen)
    assert not call.get("isError") and call["structuredContent"]["results"][0]["movie_id"] == 3

    bad = _call_tool(server_process, 4, "get_user_ratings", {"user_id": 99999}, seen)
    assert bad["isError"] and "user 99999 does not exist" in bad["content"][0]["text"]
    assert all(m["jsonrpc"] == "2.0" for m in seen)


def test_initialize_answers_before_models_finish_loading(server_process: subprocess.Popen[str]) -> None:
    """The handshake must not wait for the embedding model (several seconds to import and load)."""
    started = time.perf_counter()
    _initialize(server_process, [])
    handshake = time.perf_counter() - started
    _call_tool(server_process, 2, "semantic_search", {"query": "love in Paris", "k": 1}, [])
    first_semantic_call = time.perf_counter() - started
    # Ordering, not a timing budget: the handshake came back well before the model was usable.
    assert handshake < first_semantic_call / 2
