"""What the LLM double does for one chat request: build a `Behaviour` with the constructors below.

    answer()                                   a valid answer for the task named in the system prompt
    status(code, retry_after=None, body=None)  an error status with an OpenAI-style error body
    hang(seconds)                              answer after `seconds`; past the request's read timeout,
                                               the client times out (at once: nothing waits it out)
    stall()                                    never answer: the request stays open until its caller
                                               cancels it (or its read timeout passes)
    content(text)                              a 200 answer whose message content is `text` verbatim
    tool_calls([{"name": ..., "arguments": {...}}, ...])  a 200 answer with assistant tool calls
    reject_json_schema()                       400 for `response_format.type == "json_schema"`, else answer

A script also accepts the strings "answer" and "reject_json_schema".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Behaviour",
    "answer",
    "behaviour_named",
    "content",
    "hang",
    "reject_json_schema",
    "stall",
    "status",
    "tool_calls",
]

BehaviourKind = Literal["answer", "status", "hang", "stall", "content", "tool_calls", "reject_json_schema"]


@dataclass(frozen=True)
class Behaviour:
    """What the double does for one chat request; build it with the module-level constructors."""

    kind: BehaviourKind
    code: int = 200
    retry_after: float | str | None = None
    body: dict[str, Any] | str | None = None
    seconds: float = 0.0
    text: str = ""
    calls: tuple[dict[str, Any], ...] = ()


def answer() -> Behaviour:
    """A valid 200 answer for the task named in the request (see `tests/llm_double/answers.py`)."""
    return Behaviour("answer")


def status(code: int, retry_after: float | str | None = None, body: dict[str, Any] | str | None = None) -> Behaviour:
    """An error answer: `code`, an optional `Retry-After` header, and `body` (default: OpenAI-style error JSON)."""
    return Behaviour("status", code=code, retry_after=retry_after, body=body)


def hang(seconds: float) -> Behaviour:
    """Take `seconds` to answer; when that is past the request's read timeout, the request times out."""
    return Behaviour("hang", seconds=seconds)


def stall() -> Behaviour:
    """Never answer: the request waits until it is cancelled, or times out after its read timeout."""
    return Behaviour("stall")


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


def behaviour_named(item: Behaviour | str) -> Behaviour:
    """A script item as a `Behaviour` (scripts may name the argument-free ones)."""
    if isinstance(item, Behaviour):
        return item
    if item not in _NAMED:
        raise ValueError(f"unknown behaviour name {item!r}; use one of {sorted(_NAMED)}")
    return _NAMED[item]()
