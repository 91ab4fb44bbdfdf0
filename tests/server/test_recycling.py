"""ConnectionRecycling: the n-th response on a connection says `Connection: close`; others pass untouched."""

from __future__ import annotations

from typing import Any

import pytest

from server.recycling import ConnectionRecycling


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"connection", b"keep-alive")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _respond(middleware: ConnectionRecycling, client: tuple[str, int] | None) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    await middleware({"type": "http", "client": client}, receive, send)
    return sent


def _closes(sent: list[dict[str, Any]]) -> bool:
    headers = sent[0]["headers"]
    assert sum(1 for k, _ in headers if k == b"connection") == 1  # never two Connection headers
    return (b"connection", b"close") in headers


async def test_every_nth_response_on_a_connection_closes_it_and_counting_starts_again() -> None:
    middleware = ConnectionRecycling(_app, max_requests=3)
    one, other = ("127.0.0.1", 50001), ("127.0.0.1", 50002)
    verdicts = [_closes(await _respond(middleware, one)) for _ in range(7)]
    assert verdicts == [False, False, True, False, False, True, False]
    assert not _closes(await _respond(middleware, other))  # each connection counts its own requests
    assert not _closes(await _respond(middleware, one))
    sent = await _respond(middleware, one)
    assert _closes(sent) and sent[1] == {"type": "http.response.body", "body": b"ok"}  # the body untouched


async def test_requests_without_a_client_address_are_passed_through() -> None:
    middleware = ConnectionRecycling(_app, max_requests=1)
    assert not _closes(await _respond(middleware, None))


def test_max_requests_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConnectionRecycling(_app, max_requests=0)
