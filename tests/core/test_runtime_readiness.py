"""Each call waits only for what it needs: store reads for the database, recommendations for the models."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from core.config import Settings
from core.errors import NotReadyError
from core.models import registry
from core.runtime import MovieApp
from core.search.embedder import Embedder
from core.services.catalogue import get_movie_details, search_movies
from core.services.predict import predict_rating
from core.services.recommend import get_movie_recommendations
from tests.synthetic import SPACE_FANS


def _app(db_path: Path, embedder: Embedder) -> MovieApp:
    return MovieApp(Settings(db_path=db_path), embedder=embedder, preload_embedder=False)


def _rebuild(source: Path, db_path: Path) -> None:
    """Replace the database as a build does: a new file renamed over the old one."""
    staging = db_path.with_name("staging.db")
    shutil.copy(source, staging)
    staging.replace(db_path)


async def test_title_search_answers_while_the_models_are_still_loading(
    synthetic_db: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_load_into = registry.load_into

    def slow_load_into(*args: Any) -> None:
        release.wait(timeout=60)  # a loader held back until the test lets it go
        real_load_into(*args)

    monkeypatch.setattr(registry, "load_into", slow_load_into)
    app = _app(synthetic_db, embedder)
    recommended: list[Any] = []

    async def recommend() -> None:
        recommended.append(await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3))

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(app.load)
            tg.start_soon(recommend)
            with anyio.fail_after(30):
                found = await search_movies(app, "star")
                details = await get_movie_details(app, movie_id=found.results[0].movie_id)
            assert found.results and details.movie_id == found.results[0].movie_id
            await anyio.sleep(0.2)
            assert recommended == []  # still waiting for its model
            assert app.top_n_model("als") is None
            release.set()
        assert len(recommended) == 1 and len(recommended[0].recommendations) == 3
    finally:
        release.set()
        await app.close()


async def test_a_model_that_fails_to_load_fails_only_the_calls_that_need_it(
    synthetic_db: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise ValueError("not a model blob")

    monkeypatch.setattr(registry, "load_into", broken)
    app = _app(synthetic_db, embedder)
    await app.load()
    try:
        assert (await search_movies(app, "star")).results
        with pytest.raises(NotReadyError, match=r"models could not be loaded: not a model blob.*movie-mcp build"):
            await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3)
        with pytest.raises(NotReadyError, match="models could not be loaded"):
            await predict_rating(app, SPACE_FANS[0], 1)
    finally:
        await app.close()


async def test_models_load_one_blob_at_a_time(
    synthetic_db: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.data.store import runtime as runtime_store

    live: list[int] = []
    held: list[int] = []
    real_model_blob = runtime_store.model_blob

    async def counting_model_blob(db: Any, name: str) -> bytes | None:
        data = await real_model_blob(db, name)
        held.append(len(live))  # blobs still referenced by the loader when the next one is read
        return data

    real_load_into = registry.load_into

    def tracking_load_into(loaded: dict[str, Any], spec: registry.ModelSpec, data: bytes) -> None:
        live.append(1)
        try:
            real_load_into(loaded, spec, data)
        finally:
            live.pop()

    async def no_bulk_read(db: Any) -> dict[str, bytes]:
        raise AssertionError("the runtime must not read every blob at once")

    monkeypatch.setattr(runtime_store, "model_blob", counting_model_blob)
    monkeypatch.setattr(runtime_store, "model_blobs", no_bulk_read)
    monkeypatch.setattr(registry, "load_into", tracking_load_into)
    app = _app(synthetic_db, embedder)
    await app.load()
    try:
        await app.models_ready()
        assert len(held) == len(registry.MODELS) and set(held) == {0}
        assert all(app.has_model(spec.name) for spec in registry.MODELS)
    finally:
        await app.close()


async def test_a_replaced_database_brings_its_own_models_and_clears_a_load_failure(
    tmp_path: Path, synthetic_db: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db_path)
    real_load_into = registry.load_into

    def broken(*args: Any) -> None:
        raise ValueError("not a model blob")

    monkeypatch.setattr(registry, "load_into", broken)
    app = _app(db_path, embedder)
    await app.load()
    try:
        with pytest.raises(NotReadyError, match="models could not be loaded"):
            await app.models_ready()
        monkeypatch.setattr(registry, "load_into", real_load_into)
        _rebuild(synthetic_db, db_path)
        result = await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3)
        assert len(result.recommendations) == 3 and app.top_n_model("als") is not None
    finally:
        await app.close()


async def test_after_load_hooks_run_once_loaded_and_after_each_reload_and_a_failing_one_fails_nothing(
    tmp_path: Path, synthetic_db: Path, embedder: Embedder
) -> None:
    db_path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db_path)
    app = _app(db_path, embedder)
    calls: list[bool] = []

    def broken_hook() -> None:
        raise RuntimeError("housekeeping failed")

    app.after_load += [broken_hook, lambda: calls.append(app.top_n_model("als") is not None)]
    await app.load()
    try:
        assert calls == [True]  # after the models were in place, and despite the hook before it failing
        assert (await search_movies(app, "star")).results  # no reload: no call
        assert calls == [True]
        _rebuild(synthetic_db, db_path)
        result = await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3)
        assert len(result.recommendations) == 3  # the failing hook did not fail the call that reloaded
        assert calls == [True, True]
    finally:
        await app.close()


async def test_the_embedding_model_runs_single_threaded_on_the_event_loop_thread(
    synthetic_db: Path, embedder: Embedder
) -> None:
    """Queries are encoded on the loop's thread; torch's thread count is per thread, so it is set there."""
    import torch

    torch.set_num_threads(2)
    app = _app(synthetic_db, embedder)
    await app.load()
    try:
        await app.embedder_ready()
        assert torch.get_num_threads() == 1
    finally:
        await app.close()
