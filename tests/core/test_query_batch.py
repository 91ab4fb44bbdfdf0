"""QueryBatcher: concurrent queries share model runs, each gets its own vector, failures reach every caller."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import anyio
import numpy as np
import pytest

from core.search.query_batch import QueryBatcher


class SlowModel:
    """Encodes a text as [len(text), index] and records each run's texts; runs take `seconds`."""

    def __init__(self, seconds: float = 0.05, fail_on: str | None = None) -> None:
        self.runs: list[list[str]] = []
        self.seconds = seconds
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            self.runs.append(list(texts))
        threading.Event().wait(self.seconds)
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError(f"cannot encode {self.fail_on!r}")
        return np.array([[len(text), i] for i, text in enumerate(texts)], dtype=np.float32)


async def test_a_lone_query_runs_at_once_and_alone() -> None:
    model = SlowModel(seconds=0)
    batcher = QueryBatcher(model)
    vector = await batcher.embed("heist")
    assert model.runs == [["heist"]] and vector[0] == 5


async def test_queries_asked_for_together_share_one_run_and_get_their_own_vectors() -> None:
    model = SlowModel()
    batcher = QueryBatcher(model)
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = await asyncio.gather(*(batcher.embed(t) for t in texts))
    assert [int(v[0]) for v in vectors] == [1, 2, 3, 4, 5]  # each caller gets its own text's row
    assert model.runs == [texts]  # one run for all five


async def test_a_query_asked_for_after_a_run_gets_a_run_of_its_own() -> None:
    model = SlowModel(seconds=0)
    batcher = QueryBatcher(model)
    await asyncio.gather(batcher.embed("a"), batcher.embed("b"))
    await batcher.embed("later")
    assert model.runs == [["a", "b"], ["later"]]


async def test_a_run_takes_at_most_max_batch_queries() -> None:
    model = SlowModel()
    batcher = QueryBatcher(model, max_batch=2)
    vectors = await asyncio.gather(*(batcher.embed("x" * n) for n in range(1, 6)))
    assert [len(run) for run in model.runs] == [2, 2, 1]
    assert [int(v[0]) for v in vectors] == [1, 2, 3, 4, 5]


async def test_a_failed_run_fails_its_callers_only_and_the_next_run_still_happens() -> None:
    model = SlowModel(fail_on="bad")
    batcher = QueryBatcher(model, max_batch=2)
    results = await asyncio.gather(
        *(batcher.embed(t) for t in ["first", "bad", "other", "last"]), return_exceptions=True
    )
    assert isinstance(results[0], ValueError) and isinstance(results[1], ValueError)  # the batch with "bad"
    assert isinstance(results[2], np.ndarray) and int(results[2][0]) == 5
    assert isinstance(results[3], np.ndarray) and int(results[3][0]) == 4
    assert (await batcher.embed("again"))[0] == 5  # the batcher is not stuck


async def test_a_caller_cancelled_before_the_run_is_left_out_and_the_others_are_served() -> None:
    model = SlowModel(seconds=0)
    batcher = QueryBatcher(model)
    leaving = asyncio.create_task(batcher.embed("never mind"))
    staying = asyncio.create_task(batcher.embed("still wanted"))
    await asyncio.sleep(0)  # both have asked; the run is scheduled but has not happened
    leaving.cancel()
    with anyio.fail_after(5):
        vector = await staying
    assert int(vector[0]) == len("still wanted")
    assert model.runs == [["still wanted"]]  # the cancelled query cost nothing
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_the_run_happens_on_the_event_loop_thread() -> None:
    """Not in a worker thread, where it would wait for the GIL behind a busy loop after every torch call."""
    seen: list[int] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        seen.append(threading.get_ident())
        return np.zeros((len(texts), 2), dtype=np.float32)

    await QueryBatcher(encode).embed("x")
    assert seen == [threading.get_ident()]


async def test_a_model_that_returns_too_few_rows_fails_every_caller_of_the_batch() -> None:
    batcher = QueryBatcher(lambda texts: np.zeros((1, 2), dtype=np.float32))
    results = await asyncio.gather(batcher.embed("a"), batcher.embed("b"), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and "1 rows for 2 queries" in str(r) for r in results)


async def test_a_run_interrupted_by_a_base_exception_still_settles_its_callers_and_the_next_batch_runs() -> None:
    runs: list[list[str]] = []

    def interrupted(texts: Sequence[str]) -> np.ndarray:
        runs.append(list(texts))
        if len(runs) == 1:
            raise asyncio.CancelledError  # e.g. delivered by a signal handler in the middle of the model
        return np.array([[len(t), 0] for t in texts], dtype=np.float32)

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, _context: None)  # the interruption is reported to the loop
    batcher = QueryBatcher(interrupted, max_batch=2)
    with anyio.fail_after(5):
        results = await asyncio.gather(*(batcher.embed(t) for t in ["a", "bb", "ccc"]), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and isinstance(results[1], RuntimeError)
    assert int(results[2][0]) == 3  # the batch after it still ran
    loop.set_exception_handler(None)


async def test_a_caller_cancelled_during_the_run_does_not_keep_the_others_from_their_vectors() -> None:
    tasks: list[asyncio.Task[np.ndarray]] = []

    def cancels_the_first(texts: Sequence[str]) -> np.ndarray:
        tasks[0].cancel()  # cancels the future it waits on, now, while the model runs
        return np.array([[len(t), 0] for t in texts], dtype=np.float32)

    batcher = QueryBatcher(cancels_the_first)
    tasks += [asyncio.create_task(batcher.embed(t)) for t in ("gone", "stays")]
    with anyio.fail_after(5):
        done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[0], asyncio.CancelledError) and int(done[1][0]) == 5


async def test_each_callback_runs_one_batch_and_lets_other_work_in_between() -> None:
    order: list[str] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        order.append(f"run {len(texts)}")
        return np.zeros((len(texts), 2), dtype=np.float32)

    batcher = QueryBatcher(encode, max_batch=2)

    async def other_work() -> None:
        await asyncio.sleep(0)  # ready again just after the first batch was scheduled
        order.append("other")

    await asyncio.gather(*(batcher.embed(str(i)) for i in range(4)), other_work())
    assert order == ["run 2", "other", "run 2"]
