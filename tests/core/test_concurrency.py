"""`core.concurrency.both`: two awaitables at once, errors as if they had run one after the other."""

from __future__ import annotations

import anyio
import pytest

from core.concurrency import both
from core.errors import NotFoundError


async def test_runs_both_at_once_and_returns_their_results_in_order() -> None:
    started: list[str] = []
    release = anyio.Event()

    async def first() -> int:
        started.append("first")
        await release.wait()  # only finishes if `second` runs meanwhile
        return 1

    async def second() -> str:
        started.append("second")
        release.set()
        return "two"

    with anyio.fail_after(5):
        assert await both(first, second) == (1, "two")
    assert sorted(started) == ["first", "second"]


async def test_a_failure_is_raised_as_itself_and_cancels_the_other() -> None:
    cancelled = False

    async def slow() -> None:
        nonlocal cancelled
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled = True
            raise

    async def failing() -> None:
        await anyio.sleep(0.01)
        raise NotFoundError("no movie 7")

    with anyio.fail_after(5), pytest.raises(NotFoundError, match="no movie 7"):
        await both(slow, failing)
    assert cancelled
