"""Query embeddings batched across concurrent calls: one model run serves every query waiting for it.

A query's MiniLM forward pass costs ~6 ms here, mostly fixed overhead: four short queries in one batch
take ~10 ms, eight ~15 ms. Under load, several `semantic_search` calls wait for embeddings at once; run one
by one (or side by side, fighting over the same cores) they queue behind each other. Here the first
caller runs the model in a worker thread; whoever arrives meanwhile waits, and the next run takes all of
them together. An idle server pays nothing: a lone query runs at once, alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import anyio.to_thread
import numpy as np

MAX_BATCH = 16  # queries per model run; more wait for the next run


class QueryBatcher:
    """Embeds queries with `encode` (texts -> one row per text), batching concurrent callers.

    Belongs to one event loop (the server's); it holds no state between batches."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_batch: int = MAX_BATCH) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._waiting: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._running = False
        self._handover: asyncio.Task[None] | None = None  # drains what a cancelled caller left waiting

    async def embed(self, text: str) -> np.ndarray:
        """The query's vector, computed in a batch with any other queries waiting at the same time."""
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if not self._running:
            await self._run()
        return await future

    async def _run(self) -> None:
        """Drain the waiting queries. A model run cannot be interrupted (the thread finishes it), so the
        drain is shielded from cancellation by anyio's scopes; one cancelled natively still leaves no query
        stranded: a task of its own drains what is left."""
        self._running = True
        try:
            with anyio.CancelScope(shield=True):
                await self._drain()
        finally:
            self._running = False
            if self._waiting:
                self._handover = asyncio.get_running_loop().create_task(self._run())

    async def _drain(self) -> None:
        """Run the model until nobody waits; each run takes up to `max_batch` waiting queries."""
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            try:
                vectors = await anyio.to_thread.run_sync(self._encode, [text for text, _ in batch])
            except Exception as exc:  # every caller in this batch gets the failure; the next batch still runs
                for _, future in batch:
                    if not future.done():  # done: its caller was cancelled while waiting
                        future.set_exception(exc)
                continue
            except BaseException:  # the draining caller was cancelled: its batch goes back, first in line
                self._waiting[:0] = [(text, future) for text, future in batch if not future.done()]
                raise
            for (_, future), vector in zip(batch, vectors, strict=True):
                if not future.done():
                    future.set_result(vector)
