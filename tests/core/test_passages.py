"""Plot passages: overviews cut into sentences, the blend of overview and best passage, the build that
stores and reuses their vectors, and plot search ranking a movie up by the passage the query describes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlite_vec

from core.data import sqlite
from core.data.build import build_from_dataset
from core.data.importers.base import Dataset
from core.data.store.vectors import best_passages, has_passages
from core.search import hybrid
from core.search.embedder import Embedder
from core.search.passages import OVERVIEW_WEIGHT, blend, overview_passages
from core.services.semantic_search import semantic_search
from tests.core.test_build import FAST, CountingEmbedder
from tests.core.test_plot_search import _app_on_copy
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, make_dataset

TWO_SENTENCES = (
    "Chuck runs the Moscow office of a courier company and is about to propose to Kelly. "
    "After a plane crash he is stranded alone on a deserted island for four years."
)


def test_an_overview_is_cut_at_its_sentence_ends() -> None:
    assert overview_passages(TWO_SENTENCES) == [
        "Chuck runs the Moscow office of a courier company and is about to propose to Kelly.",
        "After a plane crash he is stranded alone on a deserted island for four years.",
    ]
    assert overview_passages('He runs! "Stop," she says? (Later) it ends.') == [
        "He runs!",
        '"Stop," she says?',
        "(Later) it ends.",
    ]


def test_one_sentence_or_no_overview_gives_no_passages() -> None:
    assert overview_passages("A lone pilot is stranded on Mars. ") == []
    assert overview_passages("3.5 million years ago... no, 2 years ago.") == []  # no capital after the stop
    assert overview_passages(None) == [] and overview_passages("  ") == []


def test_blend_weights_the_overview_above_the_best_passage() -> None:
    assert blend(0.4, None) == 0.4  # no passages: the overview alone
    assert blend(0.4, 0.7) == pytest.approx((OVERVIEW_WEIGHT * 0.4 + 0.7) / (OVERVIEW_WEIGHT + 1))
    assert blend(0.4, 0.7) > blend(0.45, 0.5)  # a passage that fits well outweighs a slightly better overview


def _with_passage_overview(index: int, overview: str) -> Dataset:
    dataset = make_dataset()
    dataset.movies[index] = dataclasses.replace(dataset.movies[index], overview=overview)
    return dataset


def test_the_build_stores_passages_and_reuses_unchanged_ones(tmp_path: Path, embedder: Embedder) -> None:
    db = tmp_path / "m.db"
    counting = CountingEmbedder(embedder)
    first = build_from_dataset(db, _with_passage_overview(0, TWO_SENTENCES), embedder=counting, **FAST)
    assert first.computed["passages"] == 2 and counting.calls == [25, 2]  # the synthetic rest are one sentence
    conn = sqlite.connect_sync(db, read_only=True)
    rows = conn.execute("SELECT movie_id, position, length(embedding) FROM movie_passages").fetchall()
    conn.close()
    movie_id = make_dataset().movies[0].movie_id
    assert [tuple(r) for r in rows] == [(movie_id, 0, 384 * 4), (movie_id, 1, 384 * 4)]

    second = build_from_dataset(db, _with_passage_overview(0, TWO_SENTENCES), embedder=counting, **FAST)
    assert second.reused["passages"] == 2 and second.computed["passages"] == 0
    # One sentence changed: only it is embedded again (the overview's own vector too).
    changed = TWO_SENTENCES.replace("four years", "five years")
    third = build_from_dataset(db, _with_passage_overview(0, changed), embedder=counting, **FAST)
    assert third.reused["passages"] == 1 and third.computed["passages"] == 1
    assert counting.calls == [25, 2, 1, 1]


async def test_a_passage_the_query_describes_ranks_its_movie_up(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hybrid, "POPULARITY_BOOST", 0.0)  # the text alone decides
    query = "a heartwarming story of a widower who finds hope and joy again"  # ROMANCE_IDS[5]'s overview
    plain = await _search_ids(synthetic_db, embedder, tmp_path / "a", query, lambda c: None)
    target = SPACE_IDS[3]
    assert plain[0] == ROMANCE_IDS[5] and target in plain[1:]

    def passage(conn: sqlite.Connection) -> None:  # the space movie's second sentence is the query itself
        vector = embedder.encode_one(query)
        conn.execute(
            "INSERT INTO movie_passages VALUES (?, 1, 'x', ?)", (target, sqlite_vec.serialize_float32(vector.tolist()))
        )

    found = await _search_ids(synthetic_db, embedder, tmp_path / "b", query, passage)
    assert found.index(target) < plain.index(target)


async def test_best_passages_gives_each_movie_its_closest_sentence(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    near, far = _vector(embedder, "a widower finds hope again"), _vector(embedder, "robots rebel on a space station")

    def passages(conn: sqlite.Connection) -> None:
        conn.executemany(
            "INSERT INTO movie_passages VALUES (?, ?, 'x', ?)",
            [(SPACE_IDS[0], 0, far), (SPACE_IDS[0], 1, near), (SPACE_IDS[1], 0, far)],
        )

    async with _app_on_copy(synthetic_db, embedder, tmp_path, passages) as app:
        assert await has_passages(app.db)
        best = await best_passages(app.db, near, [SPACE_IDS[0], SPACE_IDS[1], ROMANCE_IDS[0], SPACE_IDS[0]])
        assert await best_passages(app.db, near, []) == {}
    assert set(best) == {SPACE_IDS[0], SPACE_IDS[1]}  # no passages, no entry
    assert best[SPACE_IDS[0]] == pytest.approx(1.0, abs=1e-5) and best[SPACE_IDS[1]] < 0.9


async def _search_ids(
    synthetic_db: Path, embedder: Embedder, tmp: Path, query: str, change: Callable[[sqlite.Connection], object]
) -> list[int]:
    """The movie ids semantic search ranks for `query` on a copy of the synthetic database after `change`."""
    tmp.mkdir()
    async with _app_on_copy(synthetic_db, embedder, tmp, change) as app:
        return [r.movie_id for r in (await semantic_search(app, query, k=25)).results]


async def test_a_database_without_passages_searches_on_overviews_alone(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    query = "a pilot stranded on mars grows food"
    async with _app_on_copy(synthetic_db, embedder, tmp_path, lambda c: None) as app:
        assert not await has_passages(app.db)  # the synthetic overviews are one sentence each
        expected = [r.movie_id for r in (await semantic_search(app, query, k=5)).results]
    # Built before passages existed: no table at all, the same answer.
    (tmp_path / "old").mkdir()
    async with _app_on_copy(
        synthetic_db, embedder, tmp_path / "old", lambda c: c.execute("DROP TABLE movie_passages")
    ) as app:
        assert not await has_passages(app.db)
        answer = await semantic_search(app, query, k=5)
    assert [r.movie_id for r in answer.results] == expected and expected[0] == SPACE_IDS[2]


def _vector(embedder: Embedder, text: str) -> bytes:
    return sqlite_vec.serialize_float32(embedder.encode_one(text).tolist())
