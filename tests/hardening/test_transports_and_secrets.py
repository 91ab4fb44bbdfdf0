"""Tokens checked at start, HTTP sessions bounded, LLM text redacted, stdio garbage answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TOKEN = "a-long-enough-test-token-0123456789"


# --- 4. MOVIE_MCP_TOKEN ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["   ", "\t\n", " " * 40])
def test_a_blank_token_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from server.http import TOKEN_ENV, HttpConfigError, HttpSettings

    monkeypatch.setenv(TOKEN_ENV, value)
    with pytest.raises(HttpConfigError, match="blank"):
        HttpSettings.from_args("streamable-http", "127.0.0.1", 8000).validate()


def test_surrounding_whitespace_is_trimmed_so_the_token_still_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.http import TOKEN_ENV, GuardMiddleware, HttpSettings

    monkeypatch.setenv(TOKEN_ENV, f"  {TOKEN}\n")
    settings = HttpSettings.from_args("streamable-http", "127.0.0.1", 8000)
    settings.validate()
    guard = GuardMiddleware(lambda *a: None, token=settings.token, allowed_origins=(), loopback_only=True)  # type: ignore[arg-type]
    assert guard.authorized(f"Bearer {TOKEN}")


@pytest.mark.parametrize("token", [f"{TOKEN[:10]} {TOKEN[10:]}", f"{TOKEN}\x00", "short"])
def test_a_token_no_client_can_send_or_too_short_is_refused(token: str) -> None:
    from server.http import HttpConfigError, HttpSettings

    with pytest.raises(HttpConfigError, match=r"whitespace or control|too short"):
        HttpSettings.from_args("streamable-http", "127.0.0.1", 8000, token).validate()


def test_an_empty_variable_still_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.http import TOKEN_ENV, HttpSettings

    monkeypatch.setenv(TOKEN_ENV, "")
    settings = HttpSettings.from_args("streamable-http", "127.0.0.1", 8000)
    settings.validate()
    assert settings.token is None


# --- 9b. HTTP sessions ---------------------------------------------------------------------------
def test_http_sessions_have_a_short_idle_timeout_and_a_cap_by_default_and_both_are_configurable(
    synthetic_db: Path, embedder: Any
) -> None:
    from core.config import Settings
    from core.runtime import MovieApp
    from server.app import create_server
    from server.cli import build_parser
    from server.http import HttpSettings, create_http_app

    defaults = HttpSettings.from_args("streamable-http", "127.0.0.1", 8000)
    assert defaults.session_idle_seconds <= 600 and defaults.max_sessions <= 1000
    args = build_parser().parse_args(["serve", "--session-idle-timeout", "30", "--max-sessions", "7"])
    http = HttpSettings.from_args(
        "streamable-http",
        "127.0.0.1",
        8000,
        session_idle_seconds=args.session_idle_timeout,
        max_sessions=args.max_sessions,
    )
    app = MovieApp(Settings(db_path=synthetic_db), embedder=embedder)
    server = create_server(movie_app=app)
    create_http_app(server, app, http)
    assert (server.session_manager.session_idle_timeout, server.session_manager.max_sessions) == (30.0, 7)


# --- 7. LLM endpoint text ------------------------------------------------------------------------
KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


async def test_an_endpoint_error_that_echoes_the_key_is_redacted(fake_llm: Any, caplog: Any) -> None:
    from core.llm.client import LLMClient, LLMUnavailable
    from core.llm.tasks import ENRICH
    from tests.llm_double import status

    echoed = f"Incorrect API key provided: {KEY[:12]}************{KEY[-4:]}; full: {KEY}"
    fake_llm.default = status(401, body={"error": {"message": echoed, "code": "invalid_api_key"}})
    client = LLMClient(fake_llm.settings(api_key=KEY, max_retries=0, backoff_base=0.01))
    try:
        with pytest.raises(LLMUnavailable) as raised:
            await client.complete(ENRICH, {"movies": []})
        _, said = await client.ping()
    finally:
        await client.close()
    for text in (str(raised.value), said, caplog.text):
        assert KEY not in text and KEY[:12] not in text and KEY[-12:] not in text
    assert "[redacted]" in str(raised.value) and len(str(raised.value)) < 500


def test_the_api_key_is_not_in_the_settings_repr() -> None:
    from core.llm.config import LLMSettings

    assert KEY not in repr(LLMSettings(api_key=KEY))


def test_redaction_catches_key_shapes_and_credentials_it_was_not_told_about() -> None:
    from core.llm.errors import redact

    text = redact('bad key sk-live-1234567890 and Authorization: Bearer abc.def token="zzz999"', [])
    assert "1234567890" not in text and "abc.def" not in text and "zzz999" not in text
    assert len(redact("x" * 10_000, [])) <= 300


# --- 9a. malformed JSON-RPC on stdio -------------------------------------------------------------
def test_unreadable_stdio_lines_get_a_json_rpc_error_and_the_server_carries_on(synthetic_db: Path) -> None:
    garbage = [
        "{not json",
        json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),  # a batch
        json.dumps({"jsonrpc": "1.0", "id": 2, "method": "ping"}),
        json.dumps({"jsonrpc": "2.0", "id": 3}),  # neither a request nor a response
    ]
    hello = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve"],
        input="\n".join([*garbage, json.dumps(hello)]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MOVIE_MCP_DB": str(synthetic_db)},
        cwd=Path(__file__).resolve().parents[2],
    )
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    errors = [r for r in replies if "error" in r]
    assert [e["error"]["code"] for e in errors] == [-32700, -32600, -32600, -32600]
    assert all(e["id"] is None and e["jsonrpc"] == "2.0" for e in errors)
    assert any(r.get("id") == 9 and "result" in r for r in replies)  # still serving afterwards
