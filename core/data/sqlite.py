"""SQLite connections with sqlite-vec loaded.

This Python's stdlib `sqlite3` cannot load extensions, so every connection goes through
`pysqlite3` (a self-contained SQLite build), sync for the build and async (aiosqlite) for serving.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pysqlite3.dbapi2 as sqlite3
import sqlite_vec

Connection = sqlite3.Connection
Row = sqlite3.Row
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
OperationalError = sqlite3.OperationalError


def connect_sync(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a connection with sqlite-vec loaded and rows addressable by column name."""
    if read_only:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def connect_async(path: str | Path, *, read_only: bool = False) -> aiosqlite.Connection:
    """The same connection, driven from a worker thread by aiosqlite."""
    conn = aiosqlite.Connection(lambda: connect_sync(path, read_only=read_only), iter_chunk_size=256)
    await conn
    conn.row_factory = sqlite3.Row
    return conn
