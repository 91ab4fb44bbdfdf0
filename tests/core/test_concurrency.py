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


async def test_when_both_fail_the_first_failure_is_raised_and_the_other_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails_first() -> None:
        raise NotFoundError("first")

    async def fails_too() -> None:
        raise ValueError("second")

    # Both fail before either can cancel the other: one is raised as itself, the other goes to the log.
    with pytest.raises((NotFoundError, ValueError)) as raised:
        await both(fails_first, fails_too)
    other = "second" if isinstance(raised.value, NotFoundError) else "first"
    assert other in caplog.text


async def test_cancelling_the_caller_cancels_both() -> None:
    cancelled: list[str] = []

    async def waits(name: str) -> None:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled.append(name)
            raise

    with anyio.move_on_after(0.05) as scope:
        await both(lambda: waits("a"), lambda: waits("b"))
    assert scope.cancelled_caught and sorted(cancelled) == ["a", "b"]
