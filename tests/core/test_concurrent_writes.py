"""Several server processes on one database file (`serve --workers N`): their writes are whole transactions
that wait for each other, a reader in another process never sees half of one, and processes opening an
old database at once migrate it once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from core.data import sqlite

ROOT = Path(__file__).resolve().parents[2]
BATCHES = 25

# One process: open the database as the server does, then write BATCHES batches upserting the same movies,
# each batch stamped with its own marker, and between them read the rows back: a read must find one
# marker on every row (a whole batch), never a mix.
WRITER = """
import asyncio, json, sys, time
from pathlib import Path
from core.config import Settings
from core.data.store import enrichments, fetch_all
from core.runtime import MovieApp

async def barrier(db, stage, tag, expected):
    # Go on only once every process got here, so that what follows overlaps between them.
    Path(f"{db}.{stage}-{tag}").touch()
    deadline = time.monotonic() + 120
    while len(list(Path(db).parent.glob(f"*.{stage}-*"))) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.002)

async def main(db, tag, movies, batches, expected):
    app = MovieApp(Settings(db_path=Path(db)), preload_embedder=False)
    await barrier(db, "imported", tag, expected)
    await app.load()
    mixed = 0
    try:
        await app.ready()
        await barrier(db, "loaded", tag, expected)
        for k in range(batches):
            rows = [(m, "positive", "low", "low", 5.0, "adults", "offline", None, f"{tag}-{k}", "h", "t")
                    for m in movies]
            await enrichments.write(app.db, app.write_lock, rows)
            seen = await fetch_all(app.db, f"SELECT DISTINCT reasoning FROM enrichments WHERE movie_id IN {movies}")
            mixed += len(seen) != 1
    finally:
        await app.close()
    print(json.dumps({"mixed": mixed, "schema": app.meta.get("schema_version")}))

asyncio.run(main(sys.argv[1], sys.argv[2], tuple(json.loads(sys.argv[3])), int(sys.argv[4]), int(sys.argv[5])))
"""


def _first_movies(db: Path, n: int = 20) -> list[int]:
    conn = sqlite.connect_sync(db, read_only=True)
    try:
        return [r[0] for r in conn.execute("SELECT movie_id FROM movies ORDER BY movie_id LIMIT ?", (n,))]
    finally:
        conn.close()


def _run_together(db: Path, tags: list[str], batches: int) -> list[dict[str, object]]:
    """Start one writer process per tag at once (each upserting the same 20 movies); their JSON reports."""
    movies = json.dumps(_first_movies(db))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), tag, movies, str(batches), str(len(tags))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for tag in tags
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def test_two_processes_writing_enrichments_at_once_both_succeed_whole(synthetic_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db)
    movies = tuple(_first_movies(db))
    reports = _run_together(db, ["a", "b"], BATCHES)
    assert [r["mixed"] for r in reports] == [0, 0]  # no reader saw part of another process's batch
    conn = sqlite.connect_sync(db, read_only=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(f"SELECT reasoning FROM enrichments WHERE movie_id IN {movies}").fetchall()
    finally:
        conn.close()
    assert len(rows) == len(movies)
    markers = {r[0] for r in rows}
    assert markers in ({f"a-{BATCHES - 1}"}, {f"b-{BATCHES - 1}"})  # the last batch to commit, whole


def test_processes_opening_an_old_database_at_once_migrate_it_once(synthetic_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db)
    conn = sqlite.connect_sync(db)
    with conn:  # schema 2: before the plot-search tables (see core.data.schema.migrations)
        conn.execute("DROP TABLE movie_documents")
        conn.execute("DROP TABLE movie_extras")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()
    reports = _run_together(db, ["a", "b", "c"], 1)
    assert {r["schema"] for r in reports} == {"3"}  # each process opened it (a second migration would fail)
    conn = sqlite.connect_sync(db, read_only=True)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"
        assert conn.execute("SELECT count(*) FROM movie_documents").fetchone()[0] > 0
    finally:
        conn.close()
