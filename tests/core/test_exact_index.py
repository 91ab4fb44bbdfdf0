"""core.search.exact_index: a small catalogue's vectors and passages in memory give the same answers as the
vec0 scan and the SQL passage query, and the app serves plot search from them once its models are loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import runtime
from core.data import sqlite
from core.data.store import vectors
from core.runtime import MovieApp
from core.search import hybrid, semantic
from core.search.embedder import Embedder
from core.search.exact_index import ExactIndex, PassageIndex
from core.search.filters import SemanticFilters, make_filters
from core.services.semantic_search import semantic_search
from tests.core.test_plot_search import _app_on_copy
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, make_dataset


def _random_unit(rows: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_nearest_ranks_by_cosine_nearest_first_and_respects_within() -> None:
    ids = np.arange(1000, 1200, dtype=np.int64)
    stored = _random_unit(200, seed=1) * 3.0  # not unit length: the index scales the rows itself
    index = ExactIndex(ids, stored.copy())  # the index scales its own array in place
    query = _random_unit(1, seed=2)[0] * 0.5
    cosines = (stored @ query) / (np.linalg.norm(stored, axis=1) * np.linalg.norm(query))
    expected = ids[np.argsort(-cosines)[:7]]
    found = index.nearest(query, 7)
    assert [mid for mid, _ in found] == expected.tolist()
    assert [c for _, c in found] == pytest.approx(np.sort(cosines)[::-1][:7].tolist(), abs=1e-5)

    within = ids[::3]
    among = index.nearest(query, 5, within=within)
    assert {mid for mid, _ in among} <= set(within.tolist()) and len(among) == 5
    assert [c for _, c in among] == sorted((c for _, c in among), reverse=True)
    assert len(index.nearest(query, 500)) == 200  # k above the catalogue: all of it
    assert index.nearest(query, 0) == [] and index.nearest(query, 3, within=np.array([7])) == []


def test_cosine_to_answers_for_movies_with_a_vector_only() -> None:
    index = ExactIndex(np.array([5, 9]), np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32))
    assert index.cosine_to(np.array([0.0, 2.0], dtype=np.float32), [9, 5, 77, 9]) == {
        9: pytest.approx(0.8),
        5: pytest.approx(0.0),
    }
    assert index.cosine_to(np.array([1.0, 0.0], dtype=np.float32), []) == {}


def test_best_passage_is_the_closest_of_each_movies_own_passages() -> None:
    # Rows arrive in any order; each movie's passages are found by its id.
    owners = np.array([7, 3, 7, 3, 8])
    rows = np.array([[1, 0], [0, 1], [0.6, 0.8], [-1, 0], [0, -1]], dtype=np.float32)
    best = PassageIndex(owners, rows).best(np.array([0.0, 1.0], dtype=np.float32), [7, 3, 4, 7])
    assert best == {7: pytest.approx(0.8), 3: pytest.approx(1.0)}  # movie 4 has no passages: absent
    assert PassageIndex(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)).best(rows[0], [7]) == {}


async def test_the_memory_index_agrees_with_the_vec0_scan(movie_app: MovieApp) -> None:
    await movie_app.ready()
    index = ExactIndex(*await vectors.exact_vectors(movie_app.db))
    assert len(index) == len(make_dataset().movies)
    for movie_id in (SPACE_IDS[0], ROMANCE_IDS[2]):
        query = index.vectors[index.movie_ids.tolist().index(movie_id)].tobytes()
        for k in (5, len(index)):
            scanned = await vectors.exact_knn(movie_app.db, query, k, ([], []))
            held = index.nearest(np.frombuffer(query, dtype=np.float32), k)
            assert [c for _, c in held] == pytest.approx([c for _, c in scanned], abs=1e-5)
            assert held[0][0] == movie_id == scanned[0][0]


async def test_passages_in_memory_agree_with_the_sql_query(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    near, far = embedder.encode_one("a widower finds hope again"), embedder.encode_one("robots rebel in space")

    def passages(conn: sqlite.Connection) -> None:
        conn.executemany(
            "INSERT INTO movie_passages VALUES (?, ?, 'x', ?)",
            [(SPACE_IDS[0], 0, far.tobytes()), (SPACE_IDS[0], 1, near.tobytes()), (SPACE_IDS[1], 0, far.tobytes())],
        )

    async with _app_on_copy(synthetic_db, embedder, tmp_path, passages) as app:
        await app.models_ready()
        assert app.passages is not None and len(app.passages) == 3
        wanted = [SPACE_IDS[0], SPACE_IDS[1], ROMANCE_IDS[0]]
        in_sql = await vectors.best_passages(app.db, near.tobytes(), wanted)
        served = await semantic.best_passages(app, near.tobytes(), wanted)
    assert served.keys() == in_sql.keys() == {SPACE_IDS[0], SPACE_IDS[1]}
    assert all(served[mid] == pytest.approx(in_sql[mid], abs=1e-5) for mid in served)


async def test_plot_search_runs_without_a_vec0_scan_once_the_models_are_loaded(
    movie_app: MovieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    await movie_app.models_ready()
    assert movie_app.exact_vectors is not None and movie_app.sign_bits is None
    query = "astronauts stranded in deep space"
    romance = SemanticFilters(genres=["Romance"], max_budget=50_000_000)

    async def ranked(filters: SemanticFilters | None = None) -> list[int]:
        return [r.movie_id for r in (await semantic_search(movie_app, query, 10, filters)).results]

    with monkeypatch.context() as scanning:  # the same searches through the vec0 scan, as before the models load
        scanning.setattr(MovieApp, "exact_vectors", property(lambda app: None))
        scanning.setattr(MovieApp, "passages", property(lambda app: None))
        before, filtered_before = await ranked(), await ranked(romance)

    async def no_scan(*args: object, **kwargs: object) -> list[tuple[int, float]]:
        raise AssertionError("the vec0 scan ran")

    monkeypatch.setattr(vectors, "knn", no_scan)
    monkeypatch.setattr(vectors, "cosine_to", no_scan)
    monkeypatch.setattr(vectors, "best_passages", no_scan)
    after, filtered_after = await ranked(), await ranked(romance)
    assert after == before and after[0] in SPACE_IDS
    # With filters the ids they allow are searched in memory too, with the same answer as the scan's conditions.
    assert filtered_after == filtered_before and set(filtered_after) <= set(ROMANCE_IDS) and filtered_after


async def test_only_the_builds_columns_are_remembered_as_a_kinds_movies(movie_app: MovieApp) -> None:
    await movie_app.ready()
    hybrid.movies_of_kind.of(movie_app.db).clear()
    romances = await hybrid._movies_allowed(movie_app, make_filters(genres=["Romance"], max_year=2000))
    labelled = await hybrid._movies_allowed(movie_app, make_filters(genres=["Romance"], sentiments=["positive"]))
    # Enrichment labels (and mean ratings) change while serving: a kind that reads them is read again each time.
    assert len(hybrid.movies_of_kind.of(movie_app.db)) == 1 and len(romances) > 0
    assert set(labelled.tolist()) <= set(ROMANCE_IDS)


async def test_passages_beyond_the_memory_limit_are_read_in_sql(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vector = embedder.encode_one("a widower finds hope again").tobytes()
    monkeypatch.setattr(runtime, "MAX_PASSAGES_IN_MEMORY", 1)

    def passages(conn: sqlite.Connection) -> None:
        conn.executemany(
            "INSERT INTO movie_passages VALUES (?, ?, 'x', ?)", [(SPACE_IDS[0], 0, vector), (SPACE_IDS[0], 1, vector)]
        )

    async with _app_on_copy(synthetic_db, embedder, tmp_path, passages) as app:
        await app.models_ready()
        assert app.passages is None and app.exact_vectors is not None
        best = await semantic.best_passages(app, vector, [SPACE_IDS[0]])
    assert best == {SPACE_IDS[0]: pytest.approx(1.0, abs=1e-5)}


async def test_a_broken_vector_leaves_the_recommenders_working(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    def broken(conn: sqlite.Connection) -> None:  # a passage blob of the wrong size
        conn.execute("INSERT INTO movie_passages VALUES (?, 0, 'x', ?)", (SPACE_IDS[0], b"\x00" * 12))

    async with _app_on_copy(synthetic_db, embedder, tmp_path, broken) as app:
        await app.models_ready()  # raises if the models were given up
        assert app.exact_vectors is None and app.passages is None
        assert app.top_n_model("als") is not None and app.genre_table is not None
