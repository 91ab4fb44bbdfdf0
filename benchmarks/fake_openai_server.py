"""A fake OpenAI-compatible server for the LLM enrichment benchmark: real HTTP, fixed latency.

It runs on 127.0.0.1 (a free port) in a daemon thread, one thread per connection, so requests in
flight overlap as they would against a real endpoint. It answers only what the benchmark asks:
`POST /v1/chat/completions` for the `enrich_movies` task, with deterministic labels (sentiment
"negative" when the overview mentions murder, war or killing; audience "family" for Children and
Animation) and token counts of about four characters a token. Tests use `tests/llm_double` instead.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIServer"]

FAKE_MODEL = "fake-model"
_NEGATIVE_WORDS = ("murder", "war", "kill")
_FAMILY_GENRES = ("children", "animation")


def _tokens(text: str) -> int:
    return max(1, round(len(text) / 4))


def _label(movie: dict[str, Any]) -> dict[str, Any]:
    overview = str(movie.get("overview") or "").lower()
    genres = [str(g).strip().lower() for g in movie.get("genres") or []]
    negative = any(word in overview for word in _NEGATIVE_WORDS)
    family = any(g in _FAMILY_GENRES for g in genres)
    return {
        "movie_id": movie["movie_id"],
        "sentiment": "negative" if negative else "positive",
        "target_audience": "family" if family else "adults",
        # The test double's wording, so token counts compare with earlier runs.
        "reasoning": f"FAKE-LLM: {'a dark' if negative else 'an upbeat'} overview;"
        f" {'family' if family else 'grown-up'} genres.",
    }


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    """The task input: the first user message that parses as a JSON object."""
    for message in body.get("messages", []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            try:
                value = json.loads(message["content"])
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def completion(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion labelling every movie of an enrichment request."""
    text = json.dumps({"movies": [_label(m) for m in _payload(body).get("movies", [])]})
    prompt = "".join(str(m.get("content") or "") for m in body.get("messages", []))
    usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(text)}
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or FAKE_MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]},
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the benchmark prints its own table."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found_error"}})
            return
        time.sleep(self.server.latency)
        self._send(200, completion(json.loads(raw or b"{}")))

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    latency = 0.0


@dataclass
class FakeOpenAIServer:
    """`with FakeOpenAIServer(latency=0.5) as fake:` serves at `fake.base_url` until the block ends."""

    latency: float = 0.0
    _server: _Server | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> FakeOpenAIServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.latency = self.latency
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, "http://127.0.0.1:PORT/v1"."""
        assert self._server is not None, "use the server inside its `with` block"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"
