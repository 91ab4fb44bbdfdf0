"""store.inventory: what `movie-mcp info` and the build report read from a database file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.data import sqlite
from core.data.build import BuildReport
from core.data.store import inventory
from core.llm.cache import CACHE_DDL
from tests.synthetic import make_dataset


@pytest.fixture
def conn(synthetic_db: Path) -> Iterator[sqlite.Connection]:
    connection = sqlite.connect_sync(synthetic_db, read_only=True)
    yield connection
    connection.close()


def test_counts_coverage_and_meta(conn: sqlite.Connection, synthetic_build: BuildReport) -> None:
    data = make_dataset()
    assert inventory.table_counts(conn) == {
        "movies": len(data.movies),
        "users": data.ratings["user_id"].nunique(),
        "ratings": len(data.ratings),
        "tags": len(data.tags),
    }
    assert inventory.coverage(conn) == synthetic_build.coverage
    assert inventory.coverage(conn)["overview"] == sum(bool(m.overview) for m in data.movies)
    assert inventory.meta(conn)["source"] == "synthetic"
    assert sum(inventory.enrichment_engines(conn).values()) == len(data.movies)


def test_model_blobs_are_listed_by_name(conn: sqlite.Connection) -> None:
    blobs = inventory.model_blobs(conn)
    names = [r["name"] for r in blobs]
    assert names == sorted(names) and {"als", "ease", "ensemble", "predictor"} <= set(names)
    assert all(r["size"] > 0 for r in blobs)


def test_llm_cache_totals_only_when_the_table_exists(tmp_path: Path) -> None:
    conn = sqlite.connect_sync(tmp_path / "cache.db")
    try:
        assert inventory.llm_cache_totals(conn) is None
        conn.executescript(CACHE_DDL)
        assert inventory.llm_cache_totals(conn) == (0, 0, 0)
        conn.executemany(
            "INSERT INTO llm_cache VALUES (?, 'task', 'v1', 'model', 'hash', '{}', ?, ?, 'now')",
            [("a", 10, 3), ("b", 5, 2)],
        )
        assert inventory.llm_cache_totals(conn) == (2, 15, 5)
    finally:
        conn.close()
