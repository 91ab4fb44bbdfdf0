"""Keep the cyclic garbage collector's full passes short: what a load brings is frozen out of its sight.

A served database's models, vocabularies and the libraries' own state are half a million Python objects
that live as long as the process. Every full (oldest-generation) collection walks all of them: 205 ms
measured here on the default data, during which the event loop answers nothing. Under load one came
every few thousand calls, so about 1% of calls waited a fifth of a second more: that was the p99 of the
HTTP load test. `gc.freeze()` moves every object alive now to a permanent generation that collections
skip (reference counting still frees them); collections then only walk what was made since.

`settle` runs after each load (`MovieApp.after_load`). It unfreezes first: a reload drops the old models,
and their reference cycles can only be collected once they are out of the permanent generation again.

The price: an object alive at a settle that later becomes part of unreachable cycles stays until the next
settle (a reload), since only the cyclic collector could free it. That is what calls in flight at that
moment hold in cycles (a few kilobytes each) and, on a reload, whatever of the retired connection and
the old models sits in cycles. What is remembered later (the summaries' memo) is collected as usual.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.runtime import MovieApp

logger = logging.getLogger(__name__)


def settle() -> None:
    """Collect what is garbage now, then freeze everything that is left (the loaded state)."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    logger.info(
        "heap settled: %d long-lived objects frozen in %.0f ms",
        gc.get_freeze_count(),
        1000 * (time.perf_counter() - started),
    )


def settle_after_loads(app: MovieApp) -> MovieApp:
    """`app`, set to settle the heap after its load and every reload: for the process that serves it."""
    if settle not in app.after_load:
        app.after_load.append(settle)
    return app
