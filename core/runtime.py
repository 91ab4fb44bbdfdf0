"""The running application: one database connection and the loaded models, shared by every call.

Loading is split so the MCP `initialize` handshake never waits for it, and each call waits only for
what it needs: `start()` only schedules work; `load()` opens the database (`ready()`: enough for title
search, details and every other store read), then loads the recommenders one blob at a time (a second
or two; `models_ready()`: recommendations and rating predictions), and the embedding model (several
seconds of torch import) after that. A model that fails to load fails only the calls that need models.
Which models exist, and how each is read from its blob, is `core.models.registry`'s business.

A running app notices its database file appearing or being replaced (a build renames a new file over
it, so the inode changes) with one `os.stat` per call in `ready()`, and reloads the database and its
models before serving that call. Calls already running keep the connection they started with: a
replaced connection is closed only after `RETIRE_SECONDS`, or when the app closes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
import anyio
import anyio.to_thread

from core.config import Settings
from core.data import sqlite
from core.data.genre_table import GenreTable
from core.data.schema import SCHEMA_VERSION, migrations
from core.data.store import movies as movies_store
from core.data.store import runtime as runtime_store
from core.data.store import vectors as vectors_store
from core.errors import NotReadyError
from core.llm.cache import LLMCache
from core.llm.engine import LanguageEngine, OfflineEngine, choose_engine
from core.models import registry
from core.search.embedder import Embedder
from core.search.exact_index import MAX_PASSAGES_IN_MEMORY, ExactIndex, PassageIndex
from core.search.query_batch import QueryBatcher
from core.search.sign_bits import SignBitIndex, sign_words

if TYPE_CHECKING:
    from core.models.protocols import RatingModel, TopNModel

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 300.0
RETIRE_SECONDS = 600.0  # a replaced connection outlives any call that may still be using it
SIGN_BITS = "sign-bits"  # the two-stage vector search's candidate index, loaded with the models
EXACT_VECTORS = "exact-vectors"  # a small catalogue's float vectors (`core.search.exact_index`), likewise
PASSAGES = "passages"  # and its plot passages' vectors
GENRE_TABLE = "genre-table"  # kept with the models: loaded, swapped and reloaded with them, from the same file


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, or None when there is none: what changes when a build replaces it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


class MovieApp:
    """Holds the connection, the models and the readiness state."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, preload_embedder: bool = True) -> None:
        self.settings = settings
        self.preload_embedder = preload_embedder  # a one-shot `movie-mcp call` loads it only if needed
        self.embedder = embedder or Embedder()
        self.query_embeddings = QueryBatcher(self.embedder.encode_queries)  # concurrent searches share model runs
        self._db: aiosqlite.Connection | None = None
        self._models: dict[str, Any] = {}  # loaded models by registry name (a database may lack some)
        self.meta: dict[str, str] = {}
        self.engine: LanguageEngine = OfflineEngine()  # the LLM's, once loaded, when an endpoint is configured
        self.user_range: tuple[int, int] = (0, 0)
        self._ready = anyio.Event()  # the database is open (or could not be)
        self._models_ready = anyio.Event()  # the models are loaded (or could not be)
        self._embedder_ready = anyio.Event()
        self._load_error: Exception | None = None
        self._models_error: Exception | None = None
        self._embedder_error: Exception | None = None
        self._load_finished = False  # `load()` has run to its end (whatever it could load)
        # Serialises writers (enrichment) so two calls never interleave transactions on one connection.
        self.write_lock = anyio.Lock()
        self._file: tuple[int, int] | None = None  # `file_id` of the database as loaded
        self._reload_lock = anyio.Lock()
        self._retired: list[tuple[float, aiosqlite.Connection, LanguageEngine]] = []
        # Called after `load()` and after each reload of a replaced database, failed ones included (the old
        # state is gone either way): the process owner settles its heap (`server.heap`). Synchronous, on the
        # event loop: every call in flight waits for them.
        self.after_load: list[Callable[[], None]] = []

    # --- loading ---------------------------------------------------------------------------
    async def load(self) -> None:
        """Open the database and load the models; never raises (errors are reported to callers)."""
        try:
            # Shielded: a half-opened aiosqlite connection abandoned by cancellation outlives the loop.
            with anyio.CancelScope(shield=True):
                self._swap_in(*await self._open_database())
        except Exception as exc:  # reported to every call instead of crashing the server
            logger.error("could not load %s: %s", self.settings.db_path, exc)
            self._load_error = exc
        finally:
            self._ready.set()
        try:
            if self._load_error is None:
                await self._load_first_models()
        finally:
            self._models_ready.set()
        if self._load_error is None and self.preload_embedder:
            await self._load_embedder()
        self._load_finished = True
        self._run_after_load_hooks()

    def _run_after_load_hooks(self) -> None:
        for hook in self.after_load:
            try:
                hook()
            except Exception:  # a hook is housekeeping: it never fails the load or the call that reloaded
                logger.exception("after-load hook %r failed", hook)

    async def _load_first_models(self) -> None:
        """Load the opened database's models; a reload that swapped in another database meanwhile wins."""
        db = self.db
        models, error = await self._try_load_models(db)
        if self._db is db:
            self._models, self._models_error = models, error

    async def _load_embedder(self) -> None:
        try:
            # In a thread: the model is read, its query model made (`core.search.query_model`: checked and
            # timed single-threaded, as served) and the first encode's one-time set-up paid. Idempotent, so a
            # second caller reads nothing again.
            await anyio.to_thread.run_sync(_prepare_queries, self.embedder, abandon_on_cancel=True)
            # Serving encodes one short query at a time: a single thread is as fast and does not stall
            # (280 ms instead of 22 ms measured) when the machine is busy. Torch's thread count is per
            # calling thread, and queries are encoded on the event loop (`core.search.query_batch`): set it
            # there (torch is imported by now).
            _single_threaded_torch()
        except Exception as exc:
            logger.error("could not load the embedding model: %s", exc)
            self._embedder_error = exc
        self._embedder_ready.set()

    async def _open_database(self) -> tuple[aiosqlite.Connection, dict[str, str], tuple[int, int]]:
        """Open the database, migrate it and read what every call needs: (connection, meta, user range)."""
        path = self.settings.db_path
        self._file = file_id(path)  # before opening: a replacement after this is noticed on the next call
        if self._file is None:
            raise NotReadyError(
                f"no database at {path}; build it with `movie-mcp build` (or `make serve`, which builds it)"
            )
        db = await sqlite.connect_async(path)
        try:
            await runtime_store.set_busy_timeout(db)
            meta = await runtime_store.read_meta(db)
            await self._migrate(db, meta)
            user_range = await runtime_store.user_id_range(db)
        except BaseException:
            await db.close()
            raise
        return db, meta, user_range

    def _swap_in(self, db: aiosqlite.Connection, meta: dict[str, str], user_range: tuple[int, int]) -> None:
        self._db, self.meta, self.user_range = db, meta, user_range
        self.engine = choose_engine(self.settings.llm, LLMCache(db, self.write_lock))
        logger.info("database %s loaded (LLM: %s)", self.settings.db_path, self.engine.model or "none, offline engines")

    async def _load_models(self, db: aiosqlite.Connection) -> dict[str, Any]:
        """The models stored in `db`, read and unpacked one blob at a time: peak memory holds one blob's
        bytes, not all of them. Unpacked in a worker thread: implicit and scipy are heavy to import."""
        models: dict[str, Any] = {}
        for spec in registry.MODELS:
            data = await runtime_store.model_blob(db, spec.blob)
            if data is not None:
                await anyio.to_thread.run_sync(registry.load_into, models, spec, data)
            del data  # the bytes go before the next blob is read
        models[GENRE_TABLE] = GenreTable(await movies_store.genre_pairs(db))
        if await vectors_store.has_two_stage(db):
            models[SIGN_BITS] = await _sign_bit_index(db)
        else:  # small enough to hold whole: exact search without a vec0 scan
            models.update(await _exact_indexes(db))
        return models

    async def _try_load_models(self, db: aiosqlite.Connection) -> tuple[dict[str, Any], Exception | None]:
        """(`_load_models(db)`, None), or ({}, the error): reported to the calls that need a model while
        store reads go on."""
        try:
            return await self._load_models(db), None
        except Exception as exc:
            logger.error("could not load the models of %s: %s", self.settings.db_path, exc)
            return {}, exc

    async def _migrate(self, db: aiosqlite.Connection, meta: dict[str, str]) -> None:
        """Bring a database built by an older release up to the current schema, in one transaction.

        The version read with `meta` only says whether to look: `runtime_store.migrate` reads it again under
        the write lock, so another process that migrated meanwhile leaves nothing to do."""
        if not migrations(int(meta.get("schema_version", SCHEMA_VERSION))):
            return
        found = await runtime_store.migrate(db, migrations, SCHEMA_VERSION, SCHEMA_VERSION)
        meta["schema_version"] = str(SCHEMA_VERSION)
        if found < SCHEMA_VERSION:
            logger.info("migrated %s from schema %d to %d", self.settings.db_path, found, SCHEMA_VERSION)

    async def close(self) -> None:
        await self._close_retired(everything=True)
        await self.engine.close()
        self.engine = OfflineEngine()
        if self._db is not None:
            await self._db.close()
            self._db = None

    # --- reloading a replaced database -------------------------------------------------------
    def _file_changed(self) -> bool:
        """True when the file at the database path is not the one loaded (new, replaced or gone)."""
        return self._ready.is_set() and file_id(self.settings.db_path) != self._file

    async def _reload_if_changed(self) -> None:
        """Load the database again when its file changed since it was loaded; the old connection is retired."""
        async with self._reload_lock:
            if not self._file_changed():  # another call reloaded it while this one waited
                return
            logger.info("database %s changed on disk; reloading", self.settings.db_path)
            old = (self._db, self.engine)
            with anyio.CancelScope(shield=True):  # as in `load`: never abandon a half-opened connection
                await self._reload()
            if old[0] is not None:  # calls still running may be using it: closed later
                self._retired.append((time.monotonic(), old[0], old[1]))
            self._run_after_load_hooks()
        await self._close_retired()

    async def _reload(self) -> None:
        """Open the database at the path and load its models; the state changes only once both loaded."""
        try:
            opened = await self._open_database()
        except Exception as exc:  # the file at the path is what callers asked about: report it
            logger.error("could not reload %s: %s", self.settings.db_path, exc)
            self._load_error, self._models_error = exc, None
            self._db, self._models, self.engine = None, {}, OfflineEngine()
            return
        models, models_error = await self._try_load_models(opened[0])
        self._swap_in(*opened)
        self._models, self._load_error, self._models_error = models, None, models_error

    async def _close_retired(self, *, everything: bool = False) -> None:
        """Close replaced connections no call can still be using (all of them when the app closes)."""
        cutoff = time.monotonic() - RETIRE_SECONDS
        keep = []
        for entry in self._retired:
            if everything or entry[0] < cutoff:
                await entry[2].close()
                await entry[1].close()
            else:
                keep.append(entry)
        self._retired = keep

    # --- access ----------------------------------------------------------------------------
    async def ready(self) -> None:
        """Wait until the database is open (not the models: see `models_ready`); raise if opening failed."""
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await self._ready.wait()
        if self._file_changed():
            await self._reload_if_changed()
        elif self._retired:
            await self._close_retired()
        if self._load_error is not None:
            if isinstance(self._load_error, NotReadyError):
                raise self._load_error
            raise NotReadyError(f"the database could not be loaded: {self._load_error}")

    async def models_ready(self) -> None:
        """Wait until the database is open and its models are loaded; raise if either failed."""
        await self.ready()
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await self._models_ready.wait()
        if self._models_error is not None:
            raise NotReadyError(
                f"the recommendation models could not be loaded: {self._models_error}; rebuild with `movie-mcp build`"
            )

    async def embedder_ready(self) -> Embedder:
        await self.ready()
        # Loaded on demand by a one-shot app, and by a server whose load could not reach it (no database
        # at start-up, one there since): otherwise the start-up load brings it.
        if not self._embedder_ready.is_set() and (not self.preload_embedder or self._load_finished):
            await self._load_embedder()
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await self._embedder_ready.wait()
        if self._embedder_error is not None:
            raise NotReadyError(f"the embedding model could not be loaded: {self._embedder_error}")
        return self.embedder

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise NotReadyError("the database is not open")
        return self._db

    def has_model(self, name: str) -> bool:
        """True when the registered model called `name` was loaded from this database."""
        return name in self._models

    def top_n_model(self, name: str) -> TopNModel | None:
        """The registered top-N model called `name`; None when this database does not hold it (or holds it
        in a format this release cannot read: see `registry.load_models`)."""
        return self._models.get(name)

    @property
    def genre_table(self) -> GenreTable | None:
        """Every movie's genres (for calibrated recommendations); None until the models are loaded."""
        return self._models.get(GENRE_TABLE)

    @property
    def sign_bits(self) -> SignBitIndex | None:
        """The vectors' sign bits in memory, on a catalogue with two-stage vector search; None otherwise
        (and until the models are loaded)."""
        return self._models.get(SIGN_BITS)

    @property
    def exact_vectors(self) -> ExactIndex | None:
        """A small catalogue's float vectors in memory (below the two-stage threshold); None on a two-stage
        catalogue (and until the models are loaded)."""
        return self._models.get(EXACT_VECTORS)

    @property
    def passages(self) -> PassageIndex | None:
        """A small catalogue's plot passages in memory (empty without overviews); None as `exact_vectors`."""
        return self._models.get(PASSAGES)

    @property
    def rating_model(self) -> RatingModel:
        """The model behind `predict_rating`."""
        spec = registry.rating_model_spec()
        model: RatingModel | None = self._models.get(spec.name)
        if model is None:
            raise NotReadyError(f"no {spec.title} model in the database; rebuild it with `movie-mcp build`")
        return model

    @property
    def global_mean(self) -> float:
        return float(self.meta.get("global_mean", "3.5"))


async def _sign_bit_index(db: aiosqlite.Connection) -> SignBitIndex:
    """The sign bits of the two-stage tables' float vectors, read batch by batch."""
    return SignBitIndex.from_parts(
        [(ids, sign_words(batch)) async for ids, batch in vectors_store.float_vector_batches(db)]
    )


async def _exact_indexes(db: aiosqlite.Connection) -> dict[str, Any]:
    """A small catalogue's vectors and plot passages in memory (`core.search.exact_index`; passages only up to
    MAX_PASSAGES_IN_MEMORY). Nothing when they cannot be read: plot search then scans them in SQL, as before,
    and the recommenders are not held back by a vector problem."""
    try:
        ids, vectors = await vectors_store.exact_vectors(db)
        indexes: dict[str, Any] = {EXACT_VECTORS: await anyio.to_thread.run_sync(ExactIndex, ids, vectors)}
        passages = await vectors_store.passage_vectors(db, MAX_PASSAGES_IN_MEMORY)
        if passages is not None:
            indexes[PASSAGES] = await anyio.to_thread.run_sync(PassageIndex, *passages)
        return indexes
    except Exception as exc:
        logger.warning("plot search scans its vectors in SQL: they could not be held in memory: %s", exc)
        return {}


def _prepare_queries(embedder: Embedder) -> None:
    """The query encoder's set-up and first runs, timed single-threaded as queries are served."""
    _single_threaded_torch()
    embedder.prepare_queries()
    embedder.encode_queries(["warm up"])


def _single_threaded_torch() -> None:
    """One intra-op thread for torch in the calling thread (the setting is per thread)."""
    import torch

    torch.set_num_threads(1)
