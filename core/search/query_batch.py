"""Query embeddings batched across concurrent calls, computed on the event loop itself.

A short query's MiniLM forward pass cost ~6 ms here in float32 on a quiet machine (chat-length ones
19-20 ms in a slow phase; bfloat16, `core.search.query_model`, 11-13 ms), much of it fixed overhead: four
short queries in one batch took ~10 ms, eight ~15 ms. The first caller schedules a model run for the end of
the loop's current pass, so every query that arrives in the same pass shares it; an idle server runs a lone
query at once, alone.
Each callback runs one batch (at most `MAX_BATCH` queries) and schedules the next, so other calls get the
loop between batches.

Why on the loop and not in a worker thread: a forward pass is a few hundred small torch calls, and a
thread must win the GIL back from a busy event loop after each of them (up to the 5 ms switch interval
every time). Under the HTTP load test (50 clients, 2 workers) `semantic_search` so took 230 ms at p50
for a 6 ms encode; run on the loop, its p50 fell to 172 ms and its p99 from 490 to 295 ms, everyone's
p99 from 282 to 205 ms, and throughput rose 3%. The price: the loop is held while a batch runs (~6 ms for
a short query, more for a full batch of long ones). The model's one-time set-up is paid at load, in a
thread (`MovieApp._load_embedder`'s warm-up), not here.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence

import numpy as np

MAX_BATCH = 16  # queries per model run; more wait for the next run


class QueryBatcher:
    """Embeds queries with `encode` (texts -> one row per text), batching concurrent callers.

    Belongs to one event loop (the server's); it holds no state between batches."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_batch: int = MAX_BATCH) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._waiting: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._scheduled_on: asyncio.AbstractEventLoop | None = None  # the loop a run is scheduled on

    async def embed(self, text: str) -> np.ndarray:
        """The query's vector, computed in a batch with any other queries asked for in the same loop pass."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._waiting.append((text, future))
        if self._scheduled_on is not loop:  # none scheduled, or on a loop that has gone (a test's, say)
            self._schedule(loop)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled_on = loop
        # After the tasks already ready in this pass (they may add theirs), in a context of its own: the
        # run belongs to every caller in it, not to the first one's request.
        loop.call_soon(self._run_one_batch, context=contextvars.Context())

    def _run_one_batch(self) -> None:
        """Run the model on up to `max_batch` waiting queries, then schedule the next batch if any wait.

        A plain callback: a caller cancelled while waiting is left out, and whatever happens inside the
        model (an error, a wrong number of rows, a cancellation delivered by a signal handler) settles
        every caller of the batch, so nobody waits for ever."""
        loop, self._scheduled_on = self._scheduled_on, None
        batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
        batch = [(text, future) for text, future in batch if not future.done()]
        try:
            if batch:
                vectors = self._encode([text for text, _ in batch])
                if len(vectors) != len(batch):
                    raise RuntimeError(f"the embedding model returned {len(vectors)} rows for {len(batch)} queries")
                for (_, future), vector in zip(batch, vectors, strict=True):
                    if not future.done():  # cancelled during the run: its caller has gone
                        future.set_result(vector)
        except BaseException as exc:
            # A future cannot carry a BaseException (nor StopIteration): those reach callers wrapped.
            plain = isinstance(exc, Exception) and not isinstance(exc, StopIteration)
            failure = exc if plain else RuntimeError(f"query embedding interrupted: {exc!r}")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
        finally:
            if self._waiting and loop is not None and not loop.is_closed() and self._scheduled_on is None:
                self._schedule(loop)
