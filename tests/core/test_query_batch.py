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


async def test_queries_arriving_during_a_run_share_the_next_one_and_get_their_own_vectors() -> None:
    model = SlowModel()
    batcher = QueryBatcher(model)
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = await asyncio.gather(*(batcher.embed(t) for t in texts))
    assert [int(v[0]) for v in vectors] == [1, 2, 3, 4, 5]  # each caller gets its own text's row
    assert model.runs == [["a"], ["bb", "ccc", "dddd", "eeeee"]]  # the first alone, the rest together


async def test_a_run_takes_at_most_max_batch_queries() -> None:
    model = SlowModel()
    batcher = QueryBatcher(model, max_batch=2)
    vectors = await asyncio.gather(*(batcher.embed("x" * n) for n in range(1, 6)))
    assert [len(run) for run in model.runs] == [1, 2, 2]
    assert [int(v[0]) for v in vectors] == [1, 2, 3, 4, 5]


async def test_a_failed_run_fails_its_callers_only_and_the_next_run_still_happens() -> None:
    model = SlowModel(fail_on="bad")
    batcher = QueryBatcher(model, max_batch=2)
    results = await asyncio.gather(
        *(batcher.embed(t) for t in ["first", "bad", "other", "last"]), return_exceptions=True
    )
    assert isinstance(results[0], np.ndarray)
    assert isinstance(results[1], ValueError) and isinstance(results[2], ValueError)  # the batch with "bad"
    assert isinstance(results[3], np.ndarray) and int(results[3][0]) == 4
    assert (await batcher.embed("again"))[0] == 5  # the batcher is not stuck


async def test_a_cancelled_caller_never_strands_the_others() -> None:
    model = SlowModel(seconds=0.1)
    batcher = QueryBatcher(model)
    first = asyncio.create_task(batcher.embed("drives the runs"))
    await asyncio.sleep(0.02)  # its run has started
    waiting = asyncio.create_task(batcher.embed("waits for the next run"))
    await asyncio.sleep(0.01)
    first.cancel()
    with anyio.fail_after(5):
        vector = await waiting
    assert int(vector[0]) == len("waits for the next run")
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_queries_in_the_run_a_cancelled_caller_was_driving_are_run_again() -> None:
    model = SlowModel(seconds=0.1)
    batcher = QueryBatcher(model)
    first = asyncio.create_task(batcher.embed("drives the runs"))
    await asyncio.sleep(0.02)
    riders = [asyncio.create_task(batcher.embed(text)) for text in ("b" * 5, "c" * 7)]
    await asyncio.sleep(0.13)  # the second run, with both riders, is under way
    first.cancel()
    with anyio.fail_after(5):
        vectors = await asyncio.gather(*riders)
    assert [int(v[0]) for v in vectors] == [5, 7]
    assert model.runs[1] == ["bbbbb", "ccccccc"]
