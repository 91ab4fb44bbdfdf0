"""Two-stage vector search: written by the build above a vector count, exact top-k when the bit scan's
candidates cover it, re-scored by cosine, filters inside the scan, and reused vectors on a rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import numpy as np
import pytest

from core.config import Settings
from core.data import sqlite
from core.data.build import BuildReport, build_from_dataset, write_two_stage_tables
from core.data.schema import DDL, EMBEDDING_DIM
from core.data.store.vectors import (
    candidate_count,
    exact_knn,
    float_vector_batches,
    has_two_stage,
    knn,
    rescored,
    two_stage_knn,
)
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.runtime import MovieApp
from core.search import semantic
from core.search.embedder import Embedder
from core.search.filters import make_filters, vector_conditions
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, make_dataset

FAST = {"als_params": AlsParams(factors=4, iterations=5), "predictor_params": BiasedMFParams(factors=2, epochs=3)}


@pytest.fixture(scope="module")
def two_stage_build(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> BuildReport:
    """The synthetic data built with the threshold at 0, so its 25 vectors get the two-stage tables."""
    db_path = tmp_path_factory.mktemp("two-stage") / "movies.db"
    return build_from_dataset(db_path, make_dataset(), embedder=embedder, two_stage_min_vectors=0, **FAST)


def _tables(db_path: Path) -> dict[str, int]:
    """Rows of each vector table the database has."""
    conn = sqlite.connect_sync(db_path, read_only=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'movie_vector%'")]
        wanted = {"movie_vectors", "movie_vector_bits", "movie_vector_floats"} & set(names)
        return {name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in wanted}
    finally:
        conn.close()


def test_the_build_writes_the_two_stage_tables_only_above_the_threshold(
    synthetic_build: BuildReport, two_stage_build: BuildReport
) -> None:
    movies = len(make_dataset().movies)
    assert _tables(synthetic_build.db_path) == {"movie_vectors": movies}  # default threshold: exact only
    assert not any("two-stage" in note for note in synthetic_build.notes)
    assert _tables(two_stage_build.db_path) == dict.fromkeys(
        ("movie_vectors", "movie_vector_bits", "movie_vector_floats"), movies
    )
    assert any("two-stage" in note for note in two_stage_build.notes)


def test_a_rebuild_reuses_the_vectors_and_rewrites_the_two_stage_tables(
    tmp_path: Path, embedder: Embedder, two_stage_build: BuildReport
) -> None:
    db_path = tmp_path / "movies.db"
    db_path.write_bytes(two_stage_build.db_path.read_bytes())
    report = build_from_dataset(db_path, make_dataset(), embedder=embedder, two_stage_min_vectors=0, **FAST)
    movies = len(make_dataset().movies)
    assert report.reused["embeddings"] == movies and report.computed["embeddings"] == 0
    assert _tables(db_path)["movie_vector_bits"] == movies


@pytest.fixture
async def two_stage_db(two_stage_build: BuildReport) -> AsyncIterator[aiosqlite.Connection]:
    db = await sqlite.connect_async(two_stage_build.db_path, read_only=True)
    yield db
    await db.close()


async def _vector_of(db: aiosqlite.Connection, movie_id: int) -> bytes:
    async with db.execute("SELECT embedding FROM movie_vectors WHERE movie_id = ?", (movie_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return bytes(row[0])


async def test_knn_is_exact_when_the_candidates_cover_every_vector(two_stage_db: aiosqlite.Connection) -> None:
    assert await has_two_stage(two_stage_db)
    assert candidate_count(10) >= len(make_dataset().movies)
    for movie_id in (SPACE_IDS[0], ROMANCE_IDS[3]):
        query = await _vector_of(two_stage_db, movie_id)
        two_stage = await knn(two_stage_db, query, 10, ([], []))
        exact = await exact_knn(two_stage_db, query, 10, ([], []))
        assert [mid for mid, _ in two_stage] == [mid for mid, _ in exact]
        assert [s for _, s in two_stage] == pytest.approx([s for _, s in exact], abs=1e-6)
        assert two_stage[0] == (movie_id, pytest.approx(1.0, abs=1e-5))


@pytest.mark.parametrize("path", ["exact", "two-stage"])
async def test_filters_run_inside_the_scan_in_both_paths(two_stage_db: aiosqlite.Connection, path: str) -> None:
    search = exact_knn if path == "exact" else two_stage_knn
    query = await _vector_of(two_stage_db, SPACE_IDS[0])
    movies = make_dataset().movies
    cheap_romance = {m.movie_id for m in movies if "Romance" in m.genres and m.budget and m.budget <= 5_000_000}
    hits = await search(two_stage_db, query, 10, vector_conditions(make_filters(genres=["Romance"], max_budget=5e6)))
    # k exceeds the matches and the query is a space movie, yet every match (and only they) come back.
    assert {mid for mid, _ in hits} == cheap_romance
    recent = {m.movie_id for m in movies if m.year is not None and m.year >= 2000}
    hits = await search(two_stage_db, query, 3, vector_conditions(make_filters(min_year=2000)))
    assert len(hits) == min(3, len(recent)) and {mid for mid, _ in hits} <= recent


def _handmade_vectors(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A query with positive components; 5 neighbours with the same signs (Hamming distance 0, so the
    bit scan cannot order them) at decreasing cosine; 35 random vectors (about half the signs differ)."""
    rng = np.random.default_rng(seed)
    query = np.abs(rng.standard_normal(EMBEDDING_DIM)).astype(np.float32)
    near = [query + weight * np.abs(rng.standard_normal(EMBEDDING_DIM)) for weight in (0.9, 0.2, 1.5, 0.5, 3.0)]
    vectors = np.vstack([*near, rng.standard_normal((35, EMBEDDING_DIM))]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return query / np.linalg.norm(query), vectors


async def test_the_candidates_are_rescored_by_cosine(tmp_path: Path) -> None:
    query, vectors = _handmade_vectors()
    conn = sqlite.connect_sync(tmp_path / "handmade.db")
    conn.executescript(DDL)
    rows = [(i + 1, v.tobytes(), 2000, -1.0, -1.0, -1.0) for i, v in enumerate(vectors)]
    with conn:
        conn.executemany(
            "INSERT INTO movie_vectors (movie_id, embedding, year, runtime, budget, revenue) VALUES (?,?,?,?,?,?)", rows
        )
        write_two_stage_tables(conn, rows)
    conn.close()
    db = await sqlite.connect_async(tmp_path / "handmade.db", read_only=True)
    try:
        # 6 candidates of 40 vectors: the five same-sign neighbours and one more, re-scored to the exact top 3.
        two_stage = await two_stage_knn(db, query.tobytes(), 3, ([], []), candidates=6)
        exact = await exact_knn(db, query.tobytes(), 3, ([], []))
    finally:
        await db.close()
    assert [mid for mid, _ in exact] == [2, 4, 1]  # by cosine: the smallest perturbations first
    assert [mid for mid, _ in two_stage] == [mid for mid, _ in exact]
    assert [s for _, s in two_stage] == pytest.approx([float(vectors[m - 1] @ query) for m in (2, 4, 1)], abs=1e-5)


def test_the_candidate_count_grows_with_k_within_vec0s_limit() -> None:
    assert candidate_count(10) < candidate_count(200) <= 4096
    assert candidate_count(5000) == 5000  # never fewer than asked for (vec0 then refuses k, as the exact scan would)


async def test_the_batches_read_every_float_vector_once(two_stage_build: BuildReport) -> None:
    db = await sqlite.connect_async(two_stage_build.db_path, read_only=True)
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
    two_stage_build: BuildReport, embedder: Embedder
) -> None:
    app = MovieApp(Settings(db_path=two_stage_build.db_path), embedder=embedder, preload_embedder=False)
    await app.load()
    try:
        assert app.sign_bits is not None and len(app.sign_bits) == len(make_dataset().movies)
        assert app.exact_vectors is None and app.passages is None  # too big to hold whole: the bits only
        query = await semantic.embed_query(app, "astronauts stranded in deep space")
        served = await semantic.knn(app, query, 5, ([], []))
        exact = await exact_knn(app.db, query, 5, ([], []))
        # 25 vectors are fewer than the candidates re-scored, so the answer is the exact one.
        assert [m for m, _ in served] == [m for m, _ in exact]
        assert served[0][0] in SPACE_IDS
        # Among given movies (a kind of film's ranking list): only those, nearest first, as the exact scan.
        romance = np.array(ROMANCE_IDS[:6], dtype=np.int64)
        among = await semantic.knn_among(app, query, 3, romance)
        exact_among = await semantic.knn(app, query, 3, (["movie_id IN (101, 102, 103, 104, 105, 106)"], []))
        assert [m for m, _ in among] == [m for m, _ in exact_among] and len(among) == 3
    finally:
        await app.close()
