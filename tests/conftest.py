"""Shared fixtures: a synthetic database built once per session, and MCP clients over it."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from typing import TYPE_CHECKING

from core.config import SHARED_DATA_DIR, Settings

# The application stack is imported inside fixtures so unit tests of one module never depend on the rest.
if TYPE_CHECKING:
    from mcp import Client

    from core.data.build import BuildReport
    from core.llm.config import LLMSettings
    from core.runtime import MovieApp
    from core.search.embedder import Embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """One loaded MiniLM for the whole session (loading costs seconds)."""
    from core.search.embedder import Embedder

    model = Embedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> BuildReport:
    from core.data.build import build_from_dataset
    from core.models.als import AlsParams
    from core.models.biased_mf import BiasedMFParams
    from tests.synthetic import make_dataset

    db_path = tmp_path_factory.mktemp("synthetic") / "movies.db"
    return build_from_dataset(
        db_path,
        make_dataset(),
        embedder=embedder,
        als_params=AlsParams(factors=8, regularization=1.0, alpha=1.0, iterations=30),
        predictor_params=BiasedMFParams(factors=4, reg_factors=0.1, epochs=20),
    )


@pytest.fixture(scope="session")
def synthetic_db(synthetic_build: BuildReport) -> Path:
    return synthetic_build.db_path


@pytest.fixture
async def movie_app(synthetic_db: Path, embedder: Embedder) -> AsyncIterator[MovieApp]:
    from core.runtime import MovieApp

    app = MovieApp(Settings(db_path=synthetic_db), embedder=embedder)
    await app.load()
    yield app
    await app.close()


@asynccontextmanager
async def serve_in_memory(
    db_path: Path, embedder: Embedder, llm: LLMSettings | None = None, profiles: Path | None = None
) -> AsyncIterator[Client]:
    """An in-memory MCP client connected to a fresh server over `db_path`.

    The client lives in a task of its own: its task groups must be entered and exited by the same
    task, and pytest-asyncio runs fixture set-up and tear-down in different ones.
    """
    from mcp import Client

    from core.runtime import MovieApp
    from server.app import create_server

    settings = Settings(db_path=db_path, llm=llm) if llm else Settings(db_path=db_path)
    if profiles is not None:  # a profiles file of the test's own, not the one beside the database
        settings = dataclasses.replace(settings, profiles_override=profiles)
    server = create_server(movie_app=MovieApp(settings, embedder=embedder))
    opened: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
    finished = asyncio.Event()

    async def hold() -> None:
        try:
            async with Client(server, raise_exceptions=False) as c:
                opened.set_result(c)
                await finished.wait()
        except BaseException as exc:
            if not opened.done():
                opened.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await opened
    finally:
        finished.set()
        await task


@pytest.fixture
async def client(synthetic_db: Path, embedder: Embedder) -> AsyncIterator[Client]:
    """A client of a server over the synthetic database."""
    async with serve_in_memory(synthetic_db, embedder) as c:
        yield c


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real MovieLens/TMDB copies; tests using this are marked shared_data."""
    assert SHARED_DATA_DIR.is_dir(), f"{SHARED_DATA_DIR} is missing; integration tests need ../shared/data"
    return SHARED_DATA_DIR


if TYPE_CHECKING:
    from tests.llm_double import LLMDouble


@pytest.fixture
def fake_llm() -> LLMDouble:
    """An in-process OpenAI-compatible endpoint (tests/llm_double): pass `fake_llm.settings()` as the LLM."""
    from tests.llm_double import LLMDouble

    return LLMDouble()


@pytest.fixture(autouse=True)
def _no_llm_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their LLM explicitly; an endpoint set in the developer's shell must not leak in."""
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MOVIE_MCP_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
