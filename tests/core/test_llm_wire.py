"""The LLM client over real HTTP: the in-process double behind a tiny server on 127.0.0.1.

Every other LLM test goes through `httpx2.MockTransport`; these prove the same requests and answers
survive a real socket (status codes, headers, JSON bodies) and that an unreachable endpoint is reported.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.llm.client import LLMClient
from core.llm.config import LLMSettings
from core.llm.tasks import ENRICH, EnrichmentAnswer
from tests.llm_double import LLMDouble, status


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the double's synchronous core and writes its reply."""

    protocol_version = "HTTP/1.1"
    double: LLMDouble  # set on a subclass per server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: tests never print."""

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, raw: bytes) -> None:
        reply = self.double.answer(self.command, self.path, raw)
        time.sleep(reply.delay)  # stalls are not served here: no test of the wire needs one
        data = reply.encoded()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def served_over_http(double: LLMDouble) -> Iterator[str]:
    """Serve `double` on a free port of 127.0.0.1 from a daemon thread; yields the base URL."""
    handler = type("DoubleHandler", (_Handler,), {"double": double})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def wire_client(fake_llm: LLMDouble) -> AsyncIterator[LLMClient]:
    """An LLMClient reaching the double over a real socket (no transport in its settings)."""
    with served_over_http(fake_llm) as base_url:
        settings = LLMSettings(base_url=base_url, api_key="test", model="fake-model", timeout=10.0, backoff_base=0.01)
        client = LLMClient(settings)
        try:
            yield client
        finally:
            await client.close()


async def test_a_task_is_answered_over_real_http(fake_llm: LLMDouble, wire_client: LLMClient) -> None:
    """A 429 with Retry-After, then a structured answer: status, header and bodies cross the socket."""
    fake_llm.script = [status(429, retry_after=0)]
    movies = [{"movie_id": 1, "title": "Toy Story (1995)", "genres": ["Animation"], "overview": "Toys."}]
    result = await wire_client.complete(ENRICH, {"movies": movies})
    assert isinstance(result.value, EnrichmentAnswer)
    assert [(m.movie_id, m.target_audience) for m in result.value.movies] == [(1, "family")]
    assert fake_llm.paths == ["POST /v1/chat/completions"] * 2
    assert fake_llm.requests[1]["response_format"]["type"] == "json_schema"
    assert wire_client.usage.retries == 1 and wire_client.usage.requests == 1
    assert wire_client.usage.prompt_tokens == fake_llm.responses[0]["usage"]["prompt_tokens"] > 0


async def test_ping_true_over_real_http(fake_llm: LLMDouble, wire_client: LLMClient) -> None:
    ok, message = await wire_client.ping()
    assert ok is True
    assert "fake-model" in message
    assert fake_llm.paths == ["GET /v1/models"]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ping_false_against_a_closed_port() -> None:
    client = LLMClient(LLMSettings(base_url=f"http://127.0.0.1:{closed_port()}/v1", api_key="test", timeout=5.0))
    try:
        ok, message = await client.ping()
    finally:
        await client.close()
    assert ok is False
    assert "Connection" in message
