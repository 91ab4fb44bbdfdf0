"""Awaiting two things at once without changing how their errors look."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

log = logging.getLogger(__name__)

A = TypeVar("A")
B = TypeVar("B")


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    """The exceptions inside a (possibly nested) exception group, in order."""
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out


async def both(first: Callable[[], Awaitable[A]], second: Callable[[], Awaitable[B]]) -> tuple[A, B]:
    """Await `first()` and `second()` concurrently and return both results.

    A bare task group wraps even a single failure in an ExceptionGroup; here the failure surfaces as
    the original exception (the other call is cancelled), so callers catch `MovieMcpError` and friends
    as if the two calls had run one after the other.
    """
    results: dict[int, Any] = {}

    async def run(slot: int, fn: Callable[[], Awaitable[Any]]) -> None:
        results[slot] = await fn()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run, 0, first)
            group.start_soon(run, 1, second)
    except BaseExceptionGroup as errors:
        first, *others = _leaves(errors)
        for other in others:  # both failed: the caller sees the first, the log keeps the second
            log.warning("a concurrent call also failed: %r", other)
        raise first from None
    return results[0], results[1]
