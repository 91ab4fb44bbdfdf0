"""The build: atomic replacement, incremental reuse, coverage."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from core.data import sqlite
from core.data.build import build_from_dataset
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.search.embedder import Embedder
from tests.synthetic import SPACE_IDS, make_dataset

FAST = {"als_params": AlsParams(factors=4, iterations=5), "predictor_params": BiasedMFParams(factors=2, epochs=3)}


class CountingEmbedder(Embedder):
    """Wraps the real model and counts the texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__()
        self._model = inner.load()
        self.calls: list[int] = []

    def encode(self, texts, batch_size=64, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        return super().encode(texts, batch_size, progress)


class ExplodingEmbedder(Embedder):
    def encode(self, texts, batch_size=64, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated crash in the middle of a build")


def test_synthetic_build_counts_and_coverage(synthetic_build) -> None:  # type: ignore[no-untyped-def]
    assert synthetic_build.counts["movies"] == 25
    assert synthetic_build.coverage["overview"] == 24
    assert synthetic_build.coverage["embedding"] == 25 == synthetic_build.coverage["enrichment"]
    assert synthetic_build.coverage["budget"] == 23


def test_second_build_reuses_embeddings_enrichments_and_models(tmp_path: Path, embedder: Embedder) -> None:
    db = tmp_path / "m.db"
    counting = CountingEmbedder(embedder)
    first = build_from_dataset(db, make_dataset(), embedder=counting, **FAST)
    assert first.computed["embeddings"] == 25 and counting.calls == [25]

    second = build_from_dataset(db, make_dataset(), embedder=counting, **FAST)
    assert second.reused["embeddings"] == 25 and second.computed["embeddings"] == 0
    assert second.reused["enrichments"] == 25 and second.reused["model:als"] == 1
    assert counting.calls == [25]  # nothing new was embedded

    changed = make_dataset()
    changed.movies[0] = dataclasses.replace(changed.movies[0], overview="A brand new plot about a lighthouse.")
    third = build_from_dataset(db, changed, embedder=counting, **FAST)
    assert third.computed["embeddings"] == 1 and counting.calls == [25, 1]
    assert third.computed["enrichments"] == 1
    assert third.reused["model:predictor"] == 1  # ratings did not change


def test_failed_build_leaves_previous_database_intact(tmp_path: Path, embedder: Embedder) -> None:
    db = tmp_path / "m.db"
    build_from_dataset(db, make_dataset(), embedder=embedder, **FAST)
    before = db.read_bytes()
    changed = make_dataset()
    changed.movies[0] = dataclasses.replace(changed.movies[0], overview="Different text forces an embedding.")
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_from_dataset(db, changed, embedder=ExplodingEmbedder(), **FAST)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.db"]  # no half-written temp file left behind


def test_ratings_and_vectors_are_stored_under_movielens_ids(synthetic_db: Path) -> None:
    conn = sqlite.connect_sync(synthetic_db, read_only=True)
    try:
        vec_ids = {r[0] for r in conn.execute("SELECT movie_id FROM movie_vectors")}
        assert set(SPACE_IDS) <= vec_ids
        orphan = conn.execute("SELECT count(*) FROM ratings WHERE movie_id NOT IN (SELECT movie_id FROM movies)")
        assert orphan.fetchone()[0] == 0
    finally:
        conn.close()
