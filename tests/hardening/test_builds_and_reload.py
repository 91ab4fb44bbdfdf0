"""Builds that clean up after dead builds and refuse to overlap; a running app that notices a rebuild."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from core.config import Settings
from core.errors import InvalidInputError, NotReadyError


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --- 3. build litter and overlapping builds ---------------------------------------------------------
def test_a_build_removes_files_left_by_dead_builds_and_keeps_live_ones(tmp_path: Path, embedder: Any) -> None:
    from core.data.build import build_from_dataset
    from tests.synthetic import make_dataset

    db_path = tmp_path / "movies.db"
    dead = dead_pid()
    stale = [tmp_path / f"movies.db.building-{dead}", tmp_path / f"movies.db.building-{dead}-journal"]
    live = tmp_path / f"movies.db.building-{os.getppid()}"  # a process that is running
    other = tmp_path / f"other.db.building-{dead}"  # another database's: not this build's business
    for path in (*stale, live, other):
        path.write_bytes(b"half a database")

    build_from_dataset(db_path, make_dataset(), embedder=embedder)

    assert not any(p.exists() for p in stale)
    assert live.exists() and other.exists()
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == sorted(["movies.db", live.name, other.name])  # no lock file, no own temp file


def test_a_second_build_into_the_same_path_is_refused(tmp_path: Path, embedder: Any) -> None:
    from core.data.build import build_from_dataset
    from core.data.build_files import build_lock
    from tests.synthetic import make_dataset

    db_path = tmp_path / "movies.db"
    with build_lock(db_path), pytest.raises(InvalidInputError, match=f"another build \\(process {os.getpid()}\\)"):
        build_from_dataset(db_path, make_dataset(), embedder=embedder)
    assert not db_path.exists()


def test_the_build_lock_is_free_again_after_a_holder_dies(tmp_path: Path) -> None:
    from core.data.build_files import build_lock, lock_path

    db_path = tmp_path / "movies.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_BUILD_LOCK, str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(InvalidInputError, match=f"process {holder.pid}"), build_lock(db_path):
        pass
    holder.kill()  # SIGKILL: no clean-up runs; the kernel drops the flock
    holder.wait()
    assert lock_path(db_path).exists()  # litter from the killed holder …
    with build_lock(db_path):  # … that does not block the next build
        pass
    assert not lock_path(db_path).exists()


HOLD_BUILD_LOCK = """
import sys, time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from core.data.build_files import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


# --- 6. a running app notices its database appearing or being replaced -------------------------------
def replace_with_copy(source: Path, target: Path, built_at: str) -> None:
    """What a build does: write a new file beside `target`, then rename it over `target` (a new inode)."""
    staging = target.with_name(target.name + ".new")
    shutil.copy(source, staging)
    with sqlite3.connect(staging) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", (built_at,))
    conn.close()
    os.replace(staging, target)


@asynccontextmanager
async def loaded_app(db_path: Path, embedder: Any, *, preload_embedder: bool = False) -> AsyncIterator[Any]:
    """A loaded `MovieApp` over `db_path` (which may not exist yet), closed afterwards; with `preload_embedder`,
    as a server loads it (the embedding model too)."""
    from core.runtime import MovieApp

    app = MovieApp(Settings(db_path=db_path), embedder=embedder, preload_embedder=preload_embedder)
    await app.load()
    try:
        yield app
    finally:
        await app.close()


async def test_an_app_started_before_its_database_exists_loads_it_once_built(
    tmp_path: Path, synthetic_db: Path, embedder: Any
) -> None:
    from core.services.catalogue_stats import catalogue_stats

    db_path = tmp_path / "movies.db"
    async with loaded_app(db_path, embedder) as app:
        with pytest.raises(NotReadyError, match="no database"):
            await catalogue_stats(app)
        replace_with_copy(synthetic_db, db_path, "2030-01-01T00:00:00+00:00")
        stats = await catalogue_stats(app)
        assert stats.built_at == "2030-01-01T00:00:00+00:00" and stats.movies > 0


async def test_a_server_started_before_its_database_exists_loads_the_embedding_model_once_built(
    tmp_path: Path, synthetic_db: Path, embedder: Any
) -> None:
    db_path = tmp_path / "movies.db"
    async with loaded_app(db_path, embedder, preload_embedder=True) as app:  # its load stops before the model
        replace_with_copy(synthetic_db, db_path, "2030-01-01T00:00:00+00:00")
        with anyio.fail_after(60):  # not the 300 s wait for a load that would never come
            assert await app.embedder_ready() is embedder


async def test_an_app_serves_the_new_file_after_a_rebuild_and_keeps_the_old_connection_for_calls_in_flight(
    tmp_path: Path, synthetic_db: Path, embedder: Any
) -> None:
    from core.services.catalogue_stats import catalogue_stats

    db_path = tmp_path / "movies.db"
    replace_with_copy(synthetic_db, db_path, "2030-01-01T00:00:00+00:00")
    async with loaded_app(db_path, embedder) as app:
        assert (await catalogue_stats(app)).built_at == "2030-01-01T00:00:00+00:00"
        in_flight = app.db  # what a call that started before the rebuild holds
        replace_with_copy(synthetic_db, db_path, "2031-02-02T00:00:00+00:00")
        assert (await catalogue_stats(app)).built_at == "2031-02-02T00:00:00+00:00"
        assert app.db is not in_flight
        rows = await in_flight.execute_fetchall("SELECT value FROM meta WHERE key = 'built_at'")
        assert rows[0][0] == "2030-01-01T00:00:00+00:00"  # still open, still the old file
        unchanged = app.db
        await catalogue_stats(app)
        assert app.db is unchanged  # no reload without a change


async def test_an_app_whose_file_was_deleted_says_to_build_it(
    tmp_path: Path, synthetic_db: Path, embedder: Any
) -> None:
    from core.services.catalogue_stats import catalogue_stats

    db_path = tmp_path / "movies.db"
    replace_with_copy(synthetic_db, db_path, "2030-01-01T00:00:00+00:00")
    async with loaded_app(db_path, embedder) as app:
        await catalogue_stats(app)
        db_path.unlink()
        with pytest.raises(NotReadyError, match=r"no database .* build it with `movie-mcp build`"):
            await catalogue_stats(app)


async def test_info_and_catalog_stats_say_when_the_database_was_built(client: Any, synthetic_db: Path) -> None:
    import json

    from core.services.info import database_info

    stats = json.loads((await client.read_resource("catalog://stats")).contents[0].text)
    info = database_info(Settings(db_path=synthetic_db))
    assert stats["built_at"] and stats["built_at"] == info["database"]["built_at"]
