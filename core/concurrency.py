"""Awaiting two things at once without changing how their errors look."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

A = TypeVar("A")
B = TypeVar("B")


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception inside a (possibly nested) exception group."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


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
        raise _first_leaf(errors) from None
    return results[0], results[1]
