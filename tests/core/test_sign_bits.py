"""The in-memory sign-bit index: Hamming distances as sqlite-vec's bit scan ranks them, its candidates
re-scored by cosine, and the served KNN taking it on a two-stage catalogue when no filter applies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.data import sqlite
from core.data.build import BuildReport, build_from_dataset
from core.data.store.vectors import exact_knn, float_vector_batches, rescored
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.runtime import MovieApp
from core.search import semantic
from core.search.embedder import Embedder
from core.search.sign_bits import SignBitIndex, sign_words
from tests.synthetic import SPACE_IDS, make_dataset

FAST = {"als_params": AlsParams(factors=4, iterations=5), "predictor_params": BiasedMFParams(factors=2, epochs=3)}


def test_sign_words_count_the_differing_signs() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1, 384)).astype(np.float32)
    b = a.copy()
    flipped = rng.choice(384, size=37, replace=False)
    b[0, flipped] *= -1
    assert sign_words(a).shape == (1, 6)
    assert int(np.bitwise_count(sign_words(a) ^ sign_words(b)).sum()) == 37


def test_nearest_returns_the_fewest_differing_bits() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((500, 384)).astype(np.float32)
    index = SignBitIndex.from_parts([(np.arange(100, 600), sign_words(vectors))])
    query = vectors[42] + 0.3 * rng.standard_normal(384).astype(np.float32)
    distance = ((vectors > 0) != (query > 0)).sum(axis=1)  # Hamming distance, counted without packing
    found = index.nearest(query, 20)
    assert len(found) == 20 and len(set(found.tolist())) == 20
    # Every movie returned is at least as near as every movie left out.
    assert distance[found - 100].max() <= np.delete(distance, found - 100).min()
    assert 142 in found
    assert sorted(index.nearest(query, 10_000).tolist()) == list(range(100, 600))
    assert index.nearest(query, 0).size == 0


def test_an_empty_index_finds_nothing() -> None:
    index = SignBitIndex.from_parts([])
    assert len(index) == 0 and index.nearest(np.ones(384, dtype=np.float32), 5).size == 0
    with pytest.raises(ValueError, match="ids"):
        SignBitIndex(np.arange(3), np.zeros((2, 6), dtype=np.uint64))


@pytest.fixture(scope="module")
def two_stage_path(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    db_path = tmp_path_factory.mktemp("sign-bits") / "movies.db"
    report: BuildReport = build_from_dataset(
        db_path, make_dataset(), embedder=embedder, two_stage_min_vectors=0, **FAST
    )
    return report.db_path


async def test_the_batches_read_every_float_vector_once(two_stage_path: Path) -> None:
    db = await sqlite.connect_async(two_stage_path, read_only=True)
    try:
        batches = [batch async for batch in float_vector_batches(db, size=7)]
        ids = np.concatenate([ids for ids, _ in batches])
        assert ids.tolist() == sorted(m.movie_id for m in make_dataset().movies)
        assert all(len(ids) <= 7 and vectors.shape == (len(ids), 384) for ids, vectors in batches)
        query = np.concatenate([v for _, v in batches])[0]
        top = await rescored(db, query.tobytes(), ids.tolist(), 5)
        exact = await exact_knn(db, query.tobytes(), 5, ([], []))
        assert [m for m, _ in top] == [m for m, _ in exact]
        assert [s for _, s in top] == pytest.approx([s for _, s in exact], abs=1e-6)
    finally:
        await db.close()


async def test_the_app_serves_knn_from_the_sign_bits_on_a_two_stage_catalogue(
    two_stage_path: Path, embedder: Embedder
) -> None:
    app = MovieApp(Settings(db_path=two_stage_path), embedder=embedder, preload_embedder=False)
    await app.load()
    try:
        assert app.sign_bits is not None and len(app.sign_bits) == len(make_dataset().movies)
        query = await semantic.embed_query(app, "astronauts stranded in deep space")
        served = await semantic.knn(app, query, 5, ([], []))
        exact = await exact_knn(app.db, query, 5, ([], []))
        # 25 vectors are fewer than the candidates re-scored, so the answer is the exact one.
        assert [m for m, _ in served] == [m for m, _ in exact]
        assert served[0][0] in SPACE_IDS
    finally:
        await app.close()
