"""What the running application reads once at start: the build's metadata, the user id range and the
model blobs, and the schema migrations it applies to a database built by an older release."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aiosqlite

from core.data.store import fetch_all, fetch_one

BUSY_TIMEOUT_MS = 5000  # a reader waits this long for the build or an enrichment to finish writing
MIGRATION_WAIT_MS = 300_000  # a process opening an old database waits this long for another's migration


async def set_busy_timeout(db: aiosqlite.Connection, milliseconds: int = BUSY_TIMEOUT_MS) -> None:
    """Wait up to `milliseconds` for a lock instead of failing at once."""
    await db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")  # PRAGMA takes no parameters


async def read_meta(db: aiosqlite.Connection) -> dict[str, str]:
    """The build's key/value metadata (schema version, source, global mean, …)."""
    return {row[0]: row[1] for row in await fetch_all(db, "SELECT key, value FROM meta")}


async def user_id_range(db: aiosqlite.Connection) -> tuple[int, int]:
    """(lowest, highest) user id with ratings; (0, 0) for a database without users."""
    row = await fetch_one(db, "SELECT min(user_id), max(user_id) FROM users")
    return (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)


async def model_blobs(db: aiosqlite.Connection) -> dict[str, bytes]:
    """Every stored model as {blob name: npz bytes}."""
    return {row[0]: row[1] for row in await fetch_all(db, "SELECT name, data FROM model_blobs")}


async def model_blob(db: aiosqlite.Connection, name: str) -> bytes | None:
    """One stored model's npz bytes, or None when the database has no blob of that name."""
    rows = await fetch_all(db, "SELECT data FROM model_blobs WHERE name = ?", (name,))
    return rows[0][0] if rows else None


async def migrate(
    db: aiosqlite.Connection, steps_from: Callable[[int], Sequence[str]], schema_version: int, default_version: int
) -> int:
    """Bring the database to `schema_version` in one transaction (rolled back on any failure); returns the
    version it found.

    The write lock is taken (BEGIN IMMEDIATE) before the version is read: when several server processes
    open one old database at once, the first migrates and the others, having waited for its lock (up to
    `MIGRATION_WAIT_MS`: a migration may rebuild an index), find nothing left to do.
    """
    await set_busy_timeout(db, MIGRATION_WAIT_MS)
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            row = await fetch_one(db, "SELECT value FROM meta WHERE key = 'schema_version'")
            found = int(row[0]) if row is not None else default_version
            for statement in steps_from(found):
                await db.execute(statement)
            if found < schema_version:
                await db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(schema_version),))
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
    finally:
        await set_busy_timeout(db)
    return found
