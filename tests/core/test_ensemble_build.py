"""The default recommender's life cycle: trained into blobs at build time, reused, and loaded at start."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.data.build import BuildReport, build_from_dataset
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.models.ease import EaseRecommender
from core.models.ensemble import EnsembleParams, EnsembleRecommender
from core.runtime import MovieApp
from core.schemas import Recommendations
from core.search.embedder import Embedder
from tests.synthetic import SPACE_FANS, SPACE_IDS, make_dataset


def test_the_build_trains_ease_and_the_ensemble(synthetic_build: BuildReport) -> None:
    assert synthetic_build.computed["model:ease"] == 1 and synthetic_build.computed["model:ensemble"] == 1


async def test_the_app_loads_the_ensemble_and_it_recommends(movie_app: MovieApp) -> None:
    await movie_app.ready()
    ensemble = movie_app.top_n_model("ease-als-ensemble")
    assert isinstance(ensemble, EnsembleRecommender) and ensemble.als is movie_app.top_n_model("als")
    assert isinstance(ensemble.ease, EaseRecommender) and ensemble.params == EnsembleParams()
    picks = ensemble.recommend_for_user(SPACE_FANS[0], 3)
    assert len(picks) == 3 and {m for m, _ in picks} <= set(SPACE_IDS)


def test_a_second_build_reuses_ease_and_the_ensemble(synthetic_db: Path, tmp_path: Path, embedder: Embedder) -> None:
    report = _rebuild_copy(synthetic_db, tmp_path, embedder)
    assert report.reused["model:ease"] == 1 and report.reused["model:ensemble"] == 1
    assert "model:ease" not in report.computed and "model:ensemble" not in report.computed


async def test_a_database_built_before_the_ensemble_answers_with_als_and_says_so(
    synthetic_db: Path, tmp_path: Path, embedder: Embedder
) -> None:
    app, result = await _recommend_after(
        synthetic_db, tmp_path, embedder, "DELETE FROM model_blobs WHERE name IN ('ease', 'ensemble')"
    )
    assert app.top_n_model("ease-als-ensemble") is None
    assert result.engine == "als" and any("predates" in note for note in result.notes)
    assert {r.movie_id for r in result.recommendations} <= set(SPACE_IDS)


async def test_an_ease_blob_of_an_older_format_falls_back_to_als_and_says_how_to_update(
    synthetic_db: Path, tmp_path: Path, embedder: Embedder
) -> None:
    # A database built by an earlier version (format 1: a column-pruned sparse B) must not break start-up:
    # the ensemble is left out, answers come from ALS, and the note names the command that fixes it.
    from core.models.common import pack_npz

    old_blob = pack_npz({"kind": np.array("ease"), "format_version": np.array(1)})
    app, result = await _recommend_after(
        synthetic_db, tmp_path, embedder, "UPDATE model_blobs SET data = ? WHERE name = 'ease'", (old_blob,)
    )
    assert app.top_n_model("ease-als-ensemble") is None
    assert result.engine == "als" and any("movie-mcp build" in note for note in result.notes)


def test_a_new_blob_format_retrains_the_model_even_with_unchanged_params(
    synthetic_db: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.models import ease as ease_module

    monkeypatch.setattr(ease_module, "FORMAT_VERSION", ease_module.FORMAT_VERSION + 1)
    report = _rebuild_copy(synthetic_db, tmp_path, embedder)
    # EASE (and the ensemble calibrated on it) are retrained in the new format; ALS and the predictor are reused.
    assert report.computed["model:ease"] == 1 and report.computed["model:ensemble"] == 1
    assert report.reused["model:als"] == 1 and report.reused["model:predictor"] == 1


def _rebuild_copy(synthetic_db: Path, tmp_path: Path, embedder: Embedder) -> BuildReport:
    """Build a copy of the session's synthetic database again, with the same data and parameters
    (tests/conftest.py), so only what the code itself changed is retrained."""
    db = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db)
    return build_from_dataset(
        db,
        make_dataset(),
        embedder=embedder,
        als_params=AlsParams(factors=8, regularization=1.0, alpha=1.0, iterations=30),
        predictor_params=BiasedMFParams(factors=4, reg_factors=0.1, epochs=20),
    )


async def _recommend_after(
    synthetic_db: Path, tmp_path: Path, embedder: Embedder, sql: str, params: tuple[object, ...] = ()
) -> tuple[MovieApp, Recommendations]:
    """Copy the synthetic database, change its model blobs with `sql`, load it and ask for recommendations
    (the app is closed again; its loaded state stays readable)."""
    from core.config import Settings
    from core.data import sqlite
    from core.services.recommend import get_movie_recommendations

    db = tmp_path / "tampered.db"
    shutil.copy(synthetic_db, db)
    conn = sqlite.connect_sync(db)
    with conn:
        conn.execute(sql, params)
    conn.close()
    app = MovieApp(Settings(db_path=db), embedder=embedder, preload_embedder=False)
    await app.load()
    try:
        return app, await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3)
    finally:
        await app.close()
