"""Builds name size failures: EASE is capped to a memory budget (or skipped), oversized blobs are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from core.config import Settings, ease_memory_budget
from core.data import build as build_module
from core.data.build import BuildReport, build_from_dataset
from core.errors import InvalidInputError, ModelTooLargeError
from core.models import registry
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.models.ease import TRAINING_BYTES_PER_ENTRY, EaseRecommender, budgeted_items, max_items_for
from core.runtime import MovieApp
from core.search.embedder import Embedder
from tests.synthetic import SPACE_FANS, make_dataset

FIVE_MOVIES_GB = "6e-7"  # 600 bytes: 5² × 20 fits, 6² × 20 does not
NOTHING_GB = "1e-9"  # 1 byte: not even two movies


def _matrix() -> sp.csr_matrix:
    # Movie j is rated by the first j + 1 of 8 users: movie 7 is the most rated, movie 0 rated once.
    rows, cols = zip(*[(u, j) for j in range(8) for u in range(j + 1)], strict=True)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(8, 8))


def test_the_budget_keeps_the_most_rated_movies_and_says_so() -> None:
    items, notes = budgeted_items(_matrix(), min_item_ratings=2, budget_bytes=3**2 * TRAINING_BYTES_PER_ENTRY)
    assert items.tolist() == [5, 6, 7]
    assert len(notes) == 1 and "3 most-rated of 7 movies" in notes[0] and "MOVIE_MCP_EASE_MEMORY_GB" in notes[0]


def test_a_budget_that_fits_every_movie_changes_nothing() -> None:
    items, notes = budgeted_items(_matrix(), min_item_ratings=2, budget_bytes=10**9)
    assert items.tolist() == list(range(1, 8)) and notes == []


def test_a_budget_too_small_for_two_movies_skips_ease() -> None:
    with pytest.raises(ModelTooLargeError, match=r"EASE skipped: 8 movies .* ALS serves"):
        budgeted_items(_matrix(), min_item_ratings=1, budget_bytes=TRAINING_BYTES_PER_ENTRY)


def test_the_default_budget_fits_ml_latest_small_and_caps_larger_catalogues() -> None:
    assert ease_memory_budget() == 4 * 10**9
    assert max_items_for(ease_memory_budget()) == 14_142  # ml-latest-small models 6,003 movies: uncapped


def test_a_budget_that_is_not_a_positive_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw in ("lots", "0", "-2", "nan"):
        monkeypatch.setenv("MOVIE_MCP_EASE_MEMORY_GB", raw)
        with pytest.raises(InvalidInputError, match="MOVIE_MCP_EASE_MEMORY_GB must be a positive number"):
            ease_memory_budget()


def test_a_blob_over_sqlites_limit_is_refused_before_writing() -> None:
    build_module.check_blob_size(registry.ALS_MODEL, 999, 1000)
    with pytest.raises(ModelTooLargeError, match=r"ALS model is 1,500 MB, over SQLite's limit of 1,000 MB"):
        build_module.check_blob_size(registry.ALS_MODEL, 1_500_000_000, 1_000_000_000)


def _build(path: Path, embedder: Embedder) -> BuildReport:
    return build_from_dataset(
        path,
        make_dataset(),
        embedder=embedder,
        als_params=AlsParams(factors=8, regularization=1.0, alpha=1.0, iterations=30),
        predictor_params=BiasedMFParams(factors=4, reg_factors=0.1, epochs=20),
    )


async def _recommend(path: Path, embedder: Embedder) -> tuple[MovieApp, object]:
    from core.services.recommend import get_movie_recommendations

    app = MovieApp(Settings(db_path=path), embedder=embedder, preload_embedder=False)
    await app.load()
    try:
        return app, await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3)
    finally:
        await app.close()


async def test_a_build_over_the_budget_trains_ease_on_the_most_rated_movies(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVIE_MCP_EASE_MEMORY_GB", FIVE_MOVIES_GB)
    report = _build(tmp_path / "movies.db", embedder)
    assert any("EASE modelled the 5 most-rated" in note for note in report.notes)
    assert report.computed["model:ease"] == 1 and report.computed["model:ensemble"] == 1
    app, result = await _recommend(tmp_path / "movies.db", embedder)
    ease = app.top_n_model("ease")
    assert isinstance(ease, EaseRecommender) and len(ease._items) == 5
    assert result.engine == "ease-als-ensemble" and len(result.recommendations) == 3  # type: ignore[attr-defined]


async def test_a_build_that_cannot_fit_ease_skips_it_and_serves_with_als(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVIE_MCP_EASE_MEMORY_GB", NOTHING_GB)
    report = _build(tmp_path / "movies.db", embedder)
    assert any(note.startswith("EASE skipped") for note in report.notes)
    assert "model:ease" not in report.computed and "model:ensemble" not in report.computed
    assert report.computed["model:als"] == 1 and report.computed["model:predictor"] == 1
    app, result = await _recommend(tmp_path / "movies.db", embedder)
    assert app.top_n_model("ease") is None and app.top_n_model("ease-als-ensemble") is None
    assert result.engine == "als" and len(result.recommendations) == 3  # type: ignore[attr-defined]


def test_a_required_model_over_the_blob_limit_fails_the_build_with_its_name(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "blob_limit", lambda conn: 100)
    with pytest.raises(ModelTooLargeError, match=r"the ALS model is .* over SQLite's limit"):
        _build(tmp_path / "movies.db", embedder)
    assert not (tmp_path / "movies.db").exists()  # builds are atomic: nothing half-written is left


def test_the_blob_limit_leaves_room_for_the_rest_of_the_row(tmp_path: Path) -> None:
    from core.data import sqlite

    conn = sqlite.connect_sync(tmp_path / "limits.db")
    try:
        assert build_module.blob_limit(conn) == build_module.SQLITE_MAX_LENGTH - build_module.ROW_HEADROOM
    finally:
        conn.close()
