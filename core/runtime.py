"""The running application: one database connection and the loaded models, shared by every call.

Loading is split in two so the MCP `initialize` handshake never waits for it: `start()` only
schedules work; `load()` opens the database and loads the recommenders (a second or two), and the
embedding model (several seconds of torch import) loads after that. Calls wait for what they need.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiosqlite
import anyio
import anyio.to_thread

from core.config import Settings
from core.data import sqlite
from core.data.schema import SCHEMA_VERSION, migrations
from core.errors import NotReadyError
from core.llm.cache import LLMCache
from core.llm.engine import LanguageEngine, OfflineEngine, OpenAIEngine, choose_engine
from core.search.embedder import Embedder

if TYPE_CHECKING:
    from core.llm.client import LLMClient
    from core.models.als import AlsRecommender
    from core.models.biased_mf import RatingPredictor
    from core.models.blended_rating import BlendedPredictor
    from core.models.ensemble import EnsembleRecommender

    RatingModel = BlendedPredictor | RatingPredictor

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 300.0


class MovieApp:
    """Holds the connection, the models and the readiness state."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, preload_embedder: bool = True) -> None:
        self.settings = settings
        self.preload_embedder = preload_embedder  # a one-shot `movie-mcp call` loads it only if needed
        self.embedder = embedder or Embedder()
        self._db: aiosqlite.Connection | None = None
        self._als: AlsRecommender | None = None
        self._ensemble: EnsembleRecommender | None = None  # the default recommender (EASE + ALS)
        self._predictor: RatingModel | None = None
        self.meta: dict[str, str] = {}
        self.engine: LanguageEngine = OfflineEngine()  # the LLM's, once loaded, when an endpoint is configured
        self.user_range: tuple[int, int] = (0, 0)
        self._ready = anyio.Event()
        self._embedder_ready = anyio.Event()
        self._load_error: Exception | None = None
        self._embedder_error: Exception | None = None
        # Serialises writers (enrichment) so two calls never interleave transactions on one connection.
        self.write_lock = anyio.Lock()

    # --- loading ---------------------------------------------------------------------------
    async def load(self) -> None:
        """Open the database and load the models; never raises (errors are reported to callers)."""
        try:
            # Shielded: a half-opened aiosqlite connection abandoned by cancellation outlives the loop.
            with anyio.CancelScope(shield=True):
                await self._load_core()
        except Exception as exc:  # reported to every call instead of crashing the server
            logger.error("could not load %s: %s", self.settings.db_path, exc)
            self._load_error = exc
        finally:
            self._ready.set()
        if self._load_error is None and self.preload_embedder:
            await self._load_embedder()

    async def _load_embedder(self) -> None:
        try:
            await anyio.to_thread.run_sync(self.embedder.load, abandon_on_cancel=True)
            # Serving encodes one short query at a time: a single thread is as fast and does not stall
            # (280 ms instead of 22 ms measured) when the machine is busy.
            await anyio.to_thread.run_sync(_single_threaded_torch)
        except Exception as exc:
            logger.error("could not load the embedding model: %s", exc)
            self._embedder_error = exc
        self._embedder_ready.set()

    async def _load_core(self) -> None:
        path = self.settings.db_path
        if not path.exists():
            raise NotReadyError(
                f"no database at {path}; build it with `movie-mcp build` (or `make serve`, which builds it)"
            )
        self._db = await sqlite.connect_async(path)
        await self._db.execute("PRAGMA busy_timeout = 5000")
        async with self._db.execute("SELECT key, value FROM meta") as cur:
            self.meta = {row[0]: row[1] async for row in cur}
        await self._migrate()
        async with self._db.execute("SELECT min(user_id), max(user_id) FROM users") as cur:
            row = await cur.fetchone()
            self.user_range = (int(row[0] or 0), int(row[1] or 0))
        blobs: dict[str, bytes] = {}
        async with self._db.execute("SELECT name, data FROM model_blobs") as cur:
            async for row in cur:
                blobs[row[0]] = row[1]
        self._als, self._predictor, self._ensemble = await anyio.to_thread.run_sync(_load_models, blobs)
        self.engine = choose_engine(self.settings.llm, LLMCache(self._db, self.write_lock))
        logger.info("database %s loaded (LLM: %s)", path, self.engine.model or "none, offline engines")

    async def _migrate(self) -> None:
        """Bring a database built by an older release up to the current schema, in one transaction."""
        version = int(self.meta.get("schema_version", SCHEMA_VERSION))
        steps = migrations(version)
        if not steps:
            return
        assert self._db is not None
        try:
            for statement in steps:
                await self._db.execute(statement)
            await self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            await self._db.commit()
        except BaseException:
            await self._db.rollback()
            raise
        self.meta["schema_version"] = str(SCHEMA_VERSION)
        logger.info("migrated %s from schema %d to %d", self.settings.db_path, version, SCHEMA_VERSION)

    async def close(self) -> None:
        await self.engine.close()
        self.engine = OfflineEngine()
        if self._db is not None:
            await self._db.close()
            self._db = None

    # --- access ----------------------------------------------------------------------------
    async def ready(self) -> None:
        """Wait until the database and the recommenders are loaded; raise if loading failed."""
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await self._ready.wait()
        if self._load_error is not None:
            if isinstance(self._load_error, NotReadyError):
                raise self._load_error
            raise NotReadyError(f"the database could not be loaded: {self._load_error}")

    async def embedder_ready(self) -> Embedder:
        await self.ready()
        if not self.preload_embedder and not self._embedder_ready.is_set():
            await self._load_embedder()
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await self._embedder_ready.wait()
        if self._embedder_error is not None:
            raise NotReadyError(f"the embedding model could not be loaded: {self._embedder_error}")
        return self.embedder

    @property
    def llm(self) -> LLMClient | None:
        """The wire client behind `engine` (None offline), for code that does not ask the engine yet."""
        return self.engine.client if isinstance(self.engine, OpenAIEngine) else None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise NotReadyError("the database is not open")
        return self._db

    @property
    def als(self) -> AlsRecommender:
        if self._als is None:
            raise NotReadyError("no ALS model in the database; rebuild it with `movie-mcp build`")
        return self._als

    @property
    def ensemble(self) -> EnsembleRecommender | None:
        """The default recommender (EASE + ALS); None when the database predates it (rebuild to get it)."""
        return self._ensemble

    @property
    def predictor(self) -> RatingModel:
        if self._predictor is None:
            raise NotReadyError("no rating model in the database; rebuild it with `movie-mcp build`")
        return self._predictor

    @property
    def global_mean(self) -> float:
        return float(self.meta.get("global_mean", "3.5"))


def _single_threaded_torch() -> None:
    import torch

    torch.set_num_threads(1)


def _load_models(
    blobs: dict[str, bytes],
) -> tuple[AlsRecommender | None, RatingModel | None, EnsembleRecommender | None]:
    # Imported here: implicit and scipy are heavy, and the server must answer `initialize` first.
    from core.models.als import AlsRecommender
    from core.models.blended_rating import load_rating_model

    als = AlsRecommender.from_bytes(blobs["als"]) if "als" in blobs else None
    # The blended predictor; a database built before it holds a plain biased-MF blob, which still loads.
    predictor = load_rating_model(blobs["predictor"]) if "predictor" in blobs else None
    return als, predictor, _load_ensemble(blobs, als)


def _load_ensemble(blobs: dict[str, bytes], als: AlsRecommender | None) -> EnsembleRecommender | None:
    """The default recommender; None (recommendations fall back to ALS) for a database built before it."""
    if als is None or "ease" not in blobs or "ensemble" not in blobs:
        return None
    from core.models.ease import EaseRecommender
    from core.models.ensemble import EnsembleRecommender

    try:
        return EnsembleRecommender.from_bytes(blobs["ensemble"], EaseRecommender.from_bytes(blobs["ease"]), als)
    except ValueError as exc:
        logger.warning(
            "could not load the EASE/ALS ensemble (%s); recommendations use ALS alone until `movie-mcp build` is run",
            exc,
        )
        return None
