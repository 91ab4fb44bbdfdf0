"""Answers already paid for, kept in the database: keyed by (task, prompt version, model, input hash)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import anyio

CACHE_DDL = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key               TEXT PRIMARY KEY,
    task              TEXT NOT NULL,
    prompt_version    TEXT NOT NULL,
    model             TEXT NOT NULL,
    input_hash        TEXT NOT NULL,
    response          TEXT NOT NULL,    -- the validated answer as JSON
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at        TEXT NOT NULL
);
"""


def input_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def cache_key(task: str, version: str, model: str, digest: str) -> str:
    return hashlib.sha256(f"{task}\n{version}\n{model}\n{digest}".encode()).hexdigest()


class LLMCache:
    """A thin layer over the app's connection; writes share the app's write lock."""

    def __init__(self, db: aiosqlite.Connection, write_lock: anyio.Lock) -> None:
        self._db = db
        self._lock = write_lock

    async def get(self, key: str) -> str | None:
        async with self._db.execute("SELECT response FROM llm_cache WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def put(
        self,
        key: str,
        *,
        task: str,
        version: str,
        model: str,
        digest: str,
        response: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    task,
                    version,
                    model,
                    digest,
                    response,
                    prompt_tokens,
                    completion_tokens,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            await self._db.commit()
