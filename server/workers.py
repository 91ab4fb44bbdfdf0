"""Serve the HTTP app from several processes on one listening socket: `movie-mcp serve --workers N`.

uvicorn's supervisor does the process work: it binds the socket once, spawns N workers that accept from
it (the kernel hands each new connection to one of them), replaces a worker that dies or stops answering
its health check, and on SIGINT/SIGTERM sends each worker SIGTERM and waits for them all. Each worker is
a fresh interpreter (spawned, not forked: no threads or open database copied from the parent) that calls
`WorkerApp` once: it opens the database and loads the models for itself, and serves statelessly, so any
worker can answer any request. The database is shared through SQLite's file locks: reads never wait for
each other, and the rare writes (enrichment, the LLM cache) are transactions that other processes' reads
wait out (`core.data.store.runtime.BUSY_TIMEOUT_MS`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass

from starlette.applications import Starlette

from core.config import Settings
from server.http import HttpSettings, uvicorn_config

logger = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class WorkerApp:
    """What a worker builds its app from; picklable, since uvicorn sends it to each spawned process."""

    settings: Settings
    http: HttpSettings
    log_level: int

    def __call__(self) -> Starlette:
        """The worker's own app (its own `MovieApp`), with logging set up as the CLI does in the parent."""
        from server.app import create_server, serving_app
        from server.http import create_http_app

        logging.basicConfig(level=self.log_level, stream=sys.stderr, format=LOG_FORMAT)
        # httpx: a line per LLM request; the SDK's transport: "Terminating session: None" per stateless request.
        for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "mcp.server.streamable_http"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _thread_only_progress_lock()
        movie_app = serving_app(self.settings)
        return create_http_app(create_server(movie_app=movie_app), movie_app, self.http)


def _thread_only_progress_lock() -> None:
    """Give tqdm (which the embedding model calls per query, bar disabled) a thread lock up front.

    Otherwise its first use creates a multiprocessing lock, which in a spawned worker is a named
    semaphore that nobody releases at exit ("resource_tracker: ... leaked semaphore" at every shutdown).
    A worker starts no processes, so a thread lock is all it needs."""
    try:
        from tqdm import tqdm
    except ImportError:  # no embedding stack installed: nothing will take the lock
        return
    tqdm.set_lock(threading.RLock())


def torch_threads(workers: int, cpus: int) -> int:
    """Intra-op threads per worker: the cores shared out, at least one (2 workers on 2 cores: 1 each; with
    1 thread instead of 2, two workers served 533 calls/s at p99 410 ms against 512 at 435)."""
    return max(1, cpus // max(1, workers))


def serve_workers(settings: Settings, http: HttpSettings) -> int:
    """Run `http.workers` worker processes until SIGINT/SIGTERM, then stop them all; 0 once they have exited."""
    from uvicorn.supervisors import Multiprocess

    cpus = os.cpu_count() or 1
    if http.workers > cpus:  # each worker holds its own models: more of them than cores only costs memory
        logger.warning("%d workers on %d CPUs: more workers than CPUs add memory, not throughput", http.workers, cpus)
    # Each worker's torch (the query embeddings) gets its share of the cores, unless the environment says
    # otherwise: by default every process would use all of them, and their threads would fight.
    os.environ.setdefault("OMP_NUM_THREADS", str(torch_threads(http.workers, cpus)))
    factory = WorkerApp(settings, http, logging.getLogger().getEffectiveLevel())
    config = uvicorn_config(factory, http, factory=True)
    sock = config.bind_socket()
    logger.info("serving %s from %d worker processes (stateless)", http.url, http.workers)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
    return 0
