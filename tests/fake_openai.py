"""A fake OpenAI-compatible HTTP server for tests and benchmarks.

It is a real HTTP server on 127.0.0.1 (a random free port), built on the standard library only and
run in a daemon thread, so it never shares the test's event loop. It speaks just enough of the API
for `core.llm`: `POST /v1/chat/completions` and `GET /v1/models`.

Each chat request consumes one `Behaviour` from `FakeOpenAI.script` (FIFO); when the script is empty
`FakeOpenAI.default` applies, which is `answer()` unless a test changes it. Behaviours are built
with the module-level constructors:

    answer()                                 a valid answer for the task named in the system prompt
    status(code, retry_after=None, body=None)  an error status with an OpenAI-style error body
    hang(seconds)                            sleep (past the client's timeout), then answer
    content(text)                            a 200 answer whose message content is `text` verbatim
    tool_calls([{"name": ..., "arguments": {...}}, ...])  a 200 answer with assistant tool calls
    reject_json_schema()                     400 for `response_format.type == "json_schema"`, else answer

The script also accepts the strings "answer" and "reject_json_schema".

`answer()` reads the task from the system message's first line ("Task: enrich_movies v1") and the
JSON payload from the first user message, and answers deterministically:

- enrich_movies: one label per movie; sentiment "negative" when the overview mentions murder, war or
  killing, else "positive"; target_audience "family" for Children/Animation genres, else "adults".
- rerank_recommendations: every candidate (or the `n` wanted) in REVERSE of the given order, so a
  test can tell the LLM's order from the collaborative filter's; match_score descending; the reason
  cites the first liked title.
- explain_prediction, summarize_user, compare_narrative: {"text": "FAKE-LLM: ..."}.
- parse_query: genre words become `genres`, "90s"/"1990s" a year range, "kids" target audiences,
  filler words are dropped and every other word goes to `unknown_terms`.
- any other conversation (no "Task:" line, e.g. a chat agent): plain text "FAKE-LLM: ...".

`FakeOpenAI.answers[task_name] = fn(payload) -> dict` overrides the answer for one task.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = [
    "Behaviour",
    "FakeOpenAI",
    "answer",
    "content",
    "hang",
    "reject_json_schema",
    "status",
    "tool_calls",
]

FAKE_MODEL = "fake-model"
FAKE_TEXT_PREFIX = "FAKE-LLM:"

BehaviourKind = Literal["answer", "status", "hang", "content", "tool_calls", "reject_json_schema"]


@dataclass(frozen=True)
class Behaviour:
    """What the fake does for one chat request; build it with the module-level constructors."""

    kind: BehaviourKind
    code: int = 200
    retry_after: float | str | None = None
    body: dict[str, Any] | str | None = None
    seconds: float = 0.0
    text: str = ""
    calls: tuple[dict[str, Any], ...] = ()


def answer() -> Behaviour:
    """A valid 200 answer for the task named in the request (see the module docstring)."""
    return Behaviour("answer")


def status(code: int, retry_after: float | str | None = None, body: dict[str, Any] | str | None = None) -> Behaviour:
    """An error answer: `code`, an optional `Retry-After` header, and `body` (default: OpenAI-style error JSON)."""
    return Behaviour("status", code=code, retry_after=retry_after, body=body)


def hang(seconds: float) -> Behaviour:
    """Sleep `seconds` (meant to exceed the client's timeout) and then answer normally."""
    return Behaviour("hang", seconds=seconds)


def content(text: str) -> Behaviour:
    """A 200 answer whose message content is exactly `text` (invalid JSON, wrong enum values, fences...)."""
    return Behaviour("content", text=text)


def tool_calls(calls: list[dict[str, Any]]) -> Behaviour:
    """A 200 answer whose assistant message carries `tool_calls` (finish_reason "tool_calls").

    Each call is `{"name": str, "arguments": dict | str, "id": str (optional)}`.
    """
    return Behaviour("tool_calls", calls=tuple(calls))


def reject_json_schema() -> Behaviour:
    """Like llama.cpp's server: 400 when `response_format.type` is "json_schema", otherwise `answer()`."""
    return Behaviour("reject_json_schema")


_NAMED: dict[str, Callable[[], Behaviour]] = {"answer": answer, "reject_json_schema": reject_json_schema}

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


# --- default answers per task ----------------------------------------------------------------------
_NEGATIVE_WORDS = ("murder", "war", "kill")
_FAMILY_GENRES = ("children", "animation")


def _genre_names(genres: Any) -> list[str]:
    if isinstance(genres, str):
        return [g for g in re.split(r"[|,]", genres) if g.strip()]
    if isinstance(genres, list):
        return [str(g) for g in genres]
    return []


def _answer_enrich(payload: dict[str, Any]) -> dict[str, Any]:
    labels = []
    for movie in payload.get("movies", []):
        overview = str(movie.get("overview") or "").lower()
        negative = any(word in overview for word in _NEGATIVE_WORDS)
        genres = [g.strip().lower() for g in _genre_names(movie.get("genres"))]
        family = any(g in _FAMILY_GENRES for g in genres)
        labels.append(
            {
                "movie_id": movie["movie_id"],
                "sentiment": "negative" if negative else "positive",
                "target_audience": "family" if family else "adults",
                "reasoning": f"{FAKE_TEXT_PREFIX} {'a dark' if negative else 'an upbeat'} overview; "
                f"{'family' if family else 'grown-up'} genres.",
            }
        )
    return {"movies": labels}


def _candidate_id(candidate: Any) -> int | None:
    if isinstance(candidate, int):
        return candidate
    if isinstance(candidate, dict):
        for key in ("movie_id", "id"):
            if isinstance(candidate.get(key), int):
                return candidate[key]
    return None


def _first_liked_title(payload: dict[str, Any]) -> str | None:
    for key in ("liked", "liked_movies", "likes", "favourites", "favorites"):
        for movie in payload.get(key) or []:
            if isinstance(movie, dict) and movie.get("title"):
                return str(movie["title"])
            if isinstance(movie, str):
                return movie
    user = payload.get("user")
    return _first_liked_title(user) if isinstance(user, dict) else None


def _answer_rerank(payload: dict[str, Any]) -> dict[str, Any]:
    ids = [i for i in (_candidate_id(c) for c in payload.get("candidates", [])) if i is not None]
    ids.reverse()
    counts = [payload[k] for k in ("n", "k", "count", "n_picks", "top_n") if isinstance(payload.get(k), int)]
    wanted = counts[0] if counts else None
    if wanted is not None:
        ids = ids[: max(wanted, 0)]
    liked = _first_liked_title(payload) or "your favourite movies"
    picks = [
        {
            "movie_id": movie_id,
            "match_score": round(0.95 - 0.9 * rank / max(len(ids), 1), 4),
            "reason": f"{FAKE_TEXT_PREFIX} because you liked {liked}.",
        }
        for rank, movie_id in enumerate(ids)
    ]
    return {"picks": picks}


def _text_answer(task: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def make(payload: dict[str, Any]) -> dict[str, Any]:
        return {"text": f"{FAKE_TEXT_PREFIX} {task} over {len(payload)} input fields."}

    return make


_GENRE_WORDS = {
    "action": "Action",
    "adventure": "Adventure",
    "animated": "Animation",
    "animation": "Animation",
    "comedy": "Comedy",
    "comedies": "Comedy",
    "crime": "Crime",
    "documentary": "Documentary",
    "drama": "Drama",
    "dramas": "Drama",
    "fantasy": "Fantasy",
    "horror": "Horror",
    "musical": "Musical",
    "mystery": "Mystery",
    "romance": "Romance",
    "romantic": "Romance",
    "scifi": "Sci-Fi",
    "sci-fi": "Sci-Fi",
    "thriller": "Thriller",
    "thrillers": "Thriller",
    "war": "War",
    "western": "Western",
    "westerns": "Western",
}
_FILLER_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "of", "in", "on", "from", "for", "with", "about", "me", "some", "any", "i"}
    | {"want", "show", "find", "good", "movie", "movies", "film", "films"}
)


def _answer_parse_query(payload: dict[str, Any]) -> dict[str, Any]:
    query = next((str(payload[k]) for k in ("query", "text", "request") if payload.get(k)), "")
    filters: dict[str, Any] = {}
    genres: list[str] = []
    unknown: list[str] = []
    for word in re.findall(r"[a-z0-9'-]+", query.lower()):
        decade = re.fullmatch(r"(?:(19|20))?(\d)0'?s", word)
        if word in _GENRE_WORDS:
            if _GENRE_WORDS[word] not in genres:
                genres.append(_GENRE_WORDS[word])
        elif decade:
            start = int(f"{decade.group(1) or '19'}{decade.group(2)}0")
            filters["min_year"], filters["max_year"] = start, start + 9
        elif word in ("kids", "children"):
            filters["target_audiences"] = ["kids", "family"]
        elif word not in _FILLER_WORDS:
            unknown.append(word)
    if genres:
        filters["genres"] = genres
    return {"filters": filters, "unknown_terms": unknown, "remaining_text": ""}


DEFAULT_ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "enrich_movies": _answer_enrich,
    "rerank_recommendations": _answer_rerank,
    "explain_prediction": _text_answer("explain_prediction"),
    "summarize_user": _text_answer("summarize_user"),
    "compare_narrative": _text_answer("compare_narrative"),
    "parse_query": _answer_parse_query,
}


def _message_text(message: dict[str, Any]) -> str:
    value = message.get("content")
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, dict))
    return ""


def task_of(body: dict[str, Any]) -> str | None:
    """The task named on the first line of a request's system message ("Task: NAME VERSION"), if any."""
    for message in body.get("messages", []):
        if message.get("role") == "system":
            first = _message_text(message).split("\n", 1)[0].strip()
            match = re.fullmatch(r"Task:\s*(\S+)(?:\s+\S+)?", first)
            return match.group(1) if match else None
    return None


def payload_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON payload of a request: its first user message that parses as a JSON object."""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            try:
                value = json.loads(_message_text(message))
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


# --- the server ------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that time out close their sockets under a hanging handler."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # idle keep-alive connections end after this

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the fake never prints."""

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, open_=False)

    def do_GET(self) -> None:
        fake = self.server.fake
        fake._record(self.command, self.path, None)
        if self.path.split("?", 1)[0].rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": FAKE_MODEL, "object": "model", "owned_by": "fake"}]})
        else:
            self._send(404, _error_body(404, f"no route {self.path}"))

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            fake._record(self.command, self.path, None)
            self._send(400, _error_body(400, "the request body is not JSON"))
            return
        fake._record(self.command, self.path, body)
        if self.path.split("?", 1)[0].rstrip("/") != "/v1/chat/completions":
            self._send(404, _error_body(404, f"no route {self.path}"))
            return
        fake._chat(self, body)

    def _send(self, code: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout) and closed the connection
            self.close_connection = True


@dataclass
class FakeOpenAI:
    """A scriptable OpenAI-compatible server; use `start()`/`stop()` or `with FakeOpenAI() as fake:`.

    Attributes a test reads: `requests` (chat request bodies, in arrival order), `paths` (every request
    as "METHOD /path"), `responses` (every 200 chat body the fake sent or tried to send, with its
    `usage`), `max_in_flight` (most chat requests open at once: counted from arrival until the
    answer is about to be written). Attributes a test sets: `script`, `default`, `latency` (seconds
    added to every chat response, errors included), `answers` (per-task overrides).
    """

    latency: float = 0.0
    script: list[Behaviour | str] = field(default_factory=list)
    default: Behaviour = field(default_factory=answer)
    answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list, init=False)
    paths: list[str] = field(default_factory=list, init=False)
    responses: list[dict[str, Any]] = field(default_factory=list, init=False)
    max_in_flight: int = field(default=0, init=False)
    in_flight: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._ids = 0

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already running")
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hanging handlers and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, "http://127.0.0.1:PORT/v1"."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- bookkeeping (called from handler threads) -----------------------------------------------
    def _track(self, conn: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        with self._lock:
            self.paths.append(f"{method} {path}")
            if body is not None and path.split("?", 1)[0].rstrip("/") == "/v1/chat/completions":
                self.requests.append(body)

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            item = self.script.pop(0) if self.script else self.default
        if isinstance(item, str):
            if item not in _NAMED:
                raise ValueError(f"unknown behaviour name {item!r}; use one of {sorted(_NAMED)}")
            return _NAMED[item]()
        return item

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    # --- chat completions ------------------------------------------------------------------------
    def _chat(self, handler: _Handler, body: dict[str, Any]) -> None:
        behaviour = self._next_behaviour()
        self._enter()
        left = False
        try:
            self._sleep(self.latency)
            code, reply, headers = self._reply(behaviour, body)
            # Leave before writing: once the client has the answer it may send the next request, and
            # that one must not be counted as overlapping with this one.
            self._leave()
            left = True
            handler._send(code, reply, headers)
        finally:
            if not left:
                self._leave()

    def _reply(self, behaviour: Behaviour, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str, dict[str, str]]:
        """The status, body and extra headers for one chat request."""
        kind = behaviour.kind
        if kind == "status":
            headers = {} if behaviour.retry_after is None else {"Retry-After": str(behaviour.retry_after)}
            reply = behaviour.body if behaviour.body is not None else _error_body(behaviour.code)
            return behaviour.code, reply, headers
        if kind == "reject_json_schema":
            response_format = body.get("response_format") or {}
            if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
                message = (
                    "response_format type 'json_schema' is not supported by this server;"
                    " use {'type': 'json_object', 'schema': ...}"
                )
                return 400, _error_body(400, message), {}
            return 200, self._completion(body, self._answer_text(body)), {}
        if kind == "hang":
            self._sleep(behaviour.seconds)
            return 200, self._completion(body, self._answer_text(body)), {}
        if kind == "content":
            return 200, self._completion(body, behaviour.text), {}
        if kind == "tool_calls":
            return 200, self._completion(body, None, calls=self._tool_calls(behaviour.calls)), {}
        if body.get("stream"):
            return 400, _error_body(400, "the fake does not stream"), {}
        return 200, self._completion(body, self._answer_text(body)), {}

    def _answer_text(self, body: dict[str, Any]) -> str:
        task = task_of(body)
        if task is None:
            return f"{FAKE_TEXT_PREFIX} nothing to add."
        make = self.answers.get(task) or DEFAULT_ANSWERS.get(task)
        if make is None:
            return json.dumps({"text": f"{FAKE_TEXT_PREFIX} unknown task {task}."})
        return json.dumps(make(payload_of(body) or {}), ensure_ascii=False)

    def _tool_calls(self, calls: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
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

    def _completion(
        self, body: dict[str, Any], text: str | None, *, calls: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        prompt_chars = "".join(_message_text(m) for m in body.get("messages", []))
        answer_chars = text if text is not None else json.dumps(calls or [])
        prompt_tokens, completion_tokens = _tokens(prompt_chars), _tokens(answer_chars)
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
