"""`LLMDouble`: a scripted OpenAI-compatible endpoint served in-process through an `httpx2.MockTransport`.

`LLMDouble.settings()` gives `LLMSettings` whose `transport` is the double, so the real `LLMClient`
(and `movie-mcp chat`'s client) run their whole HTTP path through the OpenAI SDK with no socket and no
thread. It speaks just enough of the API for `core.llm`: `POST /v1/chat/completions` and
`GET /v1/models`. `answer()` is the synchronous core, so a test can also put the double behind a real
HTTP server (tests/core/test_llm_wire.py does).

Each chat request consumes one `Behaviour` from `script` (FIFO); when the script is empty `default`
applies, which is `answer()` unless a test changes it. `answers[task_name] = fn(payload) -> dict`
overrides the answer for one task.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import anyio
import httpx2

from core.llm.config import LLMSettings
from tests.llm_double.answers import Answer, answer_text, message_text
from tests.llm_double.behaviours import Behaviour, answer, behaviour_named

__all__ = ["FAKE_MODEL", "LLMDouble", "Reply"]

FAKE_MODEL = "fake-model"
CHAT_PATH = "/v1/chat/completions"
_MODEL = {"id": FAKE_MODEL, "object": "model", "owned_by": "fake"}
MODELS_PATH = "/v1/models"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _error_body(code: int, message: str | None = None) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(code, "server_error" if code >= 500 else "invalid_request_error")
    return {"error": {"message": message or f"fake error {code}", "type": kind, "param": None, "code": code}}


def _tokens(text: str) -> int:
    """A rough token count: about four characters a token, at least one."""
    return max(1, round(len(text) / 4))


def _route(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/")


def _read_timeout(request: httpx2.Request) -> float | None:
    """The read timeout the client set on this request (the SDK passes its `timeout` per request)."""
    timeouts = request.extensions.get("timeout") or {}
    value = timeouts.get("read")
    return float(value) if value is not None else None


@dataclass(frozen=True)
class Reply:
    """One answer before it goes on a wire: status, body, extra headers, and when it comes."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer (latency, plus a hang's own seconds)
    stalls: bool = False  # the answer never comes

    def encoded(self) -> bytes:
        return (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()


@dataclass
class LLMDouble:
    """A scriptable OpenAI-compatible endpoint; pass `settings()` (or `transport`) to the code under test.

    Attributes a test reads: `requests` (chat request bodies, in arrival order), `paths` (every request
    as "METHOD /path"), `responses` (every 200 chat body the double sent or tried to send, a hang past
    the timeout included, with its `usage`), `max_in_flight` (most chat requests open at once through
    the transport, from arrival until the answer is returned). Attributes a test sets: `script`,
    `default`, `latency` (seconds added to every chat answer, errors included), `answers` (per-task
    overrides).

    Anything slower than the request's read timeout (a `hang`, or the latency) raises
    `httpx2.ReadTimeout` at once, as the wire would after the timeout; nothing waits it out.
    """

    base_url: ClassVar[str] = "http://fake-llm.test/v1"  # never resolves: a request that escapes fails loudly

    latency: float = 0.0
    script: list[Behaviour | str] = field(default_factory=list)
    default: Behaviour = field(default_factory=answer)
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list, init=False)
    paths: list[str] = field(default_factory=list, init=False)
    responses: list[dict[str, Any]] = field(default_factory=list, init=False)
    max_in_flight: int = field(default=0, init=False)
    in_flight: int = field(default=0, init=False)
    transport: httpx2.MockTransport = field(init=False, repr=False)  # give this to an httpx2 client

    def __post_init__(self) -> None:
        # A lock, not loop primitives: the double may serve several event loops (a server's thread, a test's).
        self._lock = threading.Lock()
        self._ids = 0
        self.transport = httpx2.MockTransport(self.handle)

    def settings(self, **overrides: Any) -> LLMSettings:
        """`LLMSettings` routed through this double; `overrides` replace any field."""
        values: dict[str, Any] = {"base_url": self.base_url, "api_key": "test", "model": FAKE_MODEL}
        return LLMSettings(**{**values, **overrides, "transport": self.transport})

    # --- the transport's handler -------------------------------------------------------------------
    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answer one request in-process, taking the reply's time and honouring the read timeout."""
        reply = self.answer(request.method, request.url.path, request.content)
        timeout = _read_timeout(request)
        with self._open(request.url.path):
            if reply.stalls:
                with anyio.move_on_after(math.inf if timeout is None else timeout):
                    await anyio.sleep_forever()
            if reply.stalls or (timeout is not None and reply.delay > timeout):
                raise httpx2.ReadTimeout("the double answers after the read timeout", request=request)
            if reply.delay > 0:
                await anyio.sleep(reply.delay)
        headers = {"Content-Type": "application/json", **reply.headers}
        return httpx2.Response(reply.status, content=reply.encoded(), headers=headers)

    # --- the synchronous core ----------------------------------------------------------------------
    def answer(self, method: str, path: str, raw: bytes) -> Reply:
        """Record one request and decide its reply (thread-safe; waits nothing: the reply says how long)."""
        route = _route(path)
        if method == "GET":
            self._record(method, path, None)
            if route == MODELS_PATH:
                return Reply(200, {"object": "list", "data": [_MODEL]})
            return Reply(404, _error_body(404, f"no route {path}"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._record(method, path, None)
            return Reply(400, _error_body(400, "the request body is not JSON"))
        self._record(method, path, body)
        if route != CHAT_PATH:
            return Reply(404, _error_body(404, f"no route {path}"))
        behaviour = self._next_behaviour()
        if behaviour.kind == "stall":
            return Reply(200, "", delay=self.latency, stalls=True)
        reply = self._reply(behaviour, body)
        delay = self.latency + (behaviour.seconds if behaviour.kind == "hang" else 0.0)
        return Reply(reply.status, reply.body, reply.headers, delay=delay)

    def _reply(self, behaviour: Behaviour, body: dict[str, Any]) -> Reply:
        """The status, body and extra headers for one chat request."""
        kind = behaviour.kind
        if kind == "status":
            headers = {} if behaviour.retry_after is None else {"Retry-After": str(behaviour.retry_after)}
            error = behaviour.body if behaviour.body is not None else _error_body(behaviour.code)
            return Reply(behaviour.code, error, headers)
        if kind == "reject_json_schema":
            response_format = body.get("response_format") or {}
            if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
                message = (
                    "response_format type 'json_schema' is not supported by this server;"
                    " use {'type': 'json_object', 'schema': ...}"
                )
                return Reply(400, _error_body(400, message))
        if kind == "content":
            return Reply(200, self._completion(body, behaviour.text))
        if kind == "tool_calls":
            return Reply(200, self._completion(body, None, calls=_tool_calls(behaviour.calls)))
        if kind == "answer" and body.get("stream"):
            return Reply(400, _error_body(400, "the double does not stream"))
        return Reply(200, self._completion(body, answer_text(body, self.answers)))

    def _completion(
        self, body: dict[str, Any], text: str | None, *, calls: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        prompt_chars = "".join(message_text(m) for m in body.get("messages", []))
        prompt_tokens = _tokens(prompt_chars)
        completion_tokens = _tokens(text if text is not None else json.dumps(calls or []))
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        with self._lock:
            self._ids += 1
            number = self._ids
        completion = {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or FAKE_MODEL,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls" if calls else "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        with self._lock:
            self.responses.append(completion)
        return completion

    # --- bookkeeping -------------------------------------------------------------------------------
    def _record(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        with self._lock:
            self.paths.append(f"{method} {path}")
            if body is not None and _route(path) == CHAT_PATH:
                self.requests.append(body)

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            item = self.script.pop(0) if self.script else self.default
        return behaviour_named(item)

    @contextmanager
    def _open(self, path: str) -> Iterator[None]:
        """Count a chat request as in flight from arrival until its answer is returned (or it fails)."""
        counted = _route(path) == CHAT_PATH
        if counted:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            if counted:
                with self._lock:
                    self.in_flight -= 1


def _tool_calls(calls: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    out = []
    for n, call in enumerate(calls):
        arguments = call.get("arguments", {})
        out.append(
            {
                "id": call.get("id") or f"call_fake_{n}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    return out
