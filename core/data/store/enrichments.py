"""The `enrichments` table as `enrich_movies` reads and writes it. Every statement is parameterised.

Which movies count as enriched depends on the engine asking: for the LLM only its own rows (an offline
row is one it can still improve), for the offline rules any row.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite
import anyio

from core.data.store import fetch_all, fetch_one, placeholders
from core.enrichment.records import INPUT_COLUMNS, UPSERT_SQL, EnrichmentRow
from core.llm.errors import LLM_ENGINE


def _enriched_sql(engine: str) -> tuple[str, tuple[str, ...]]:
    """A subquery of the movies `engine` has enriched (see the module docstring), with its parameters."""
    if engine == LLM_ENGINE:
        return "SELECT movie_id FROM enrichments WHERE engine = ?", (engine,)
    return "SELECT movie_id FROM enrichments", ()


async def existing(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> set[int]:
    """Which of these ids are movies."""
    sql = f"SELECT movie_id FROM movies WHERE movie_id IN ({placeholders(len(movie_ids))})"
    return {r[0] for r in await fetch_all(db, sql, movie_ids)}


async def enriched_among(db: aiosqlite.Connection, movie_ids: Sequence[int], engine: str) -> set[int]:
    """Which of these movies `engine` has already enriched."""
    done, params = _enriched_sql(engine)
    sql = f"SELECT movie_id FROM ({done}) WHERE movie_id IN ({placeholders(len(movie_ids))})"
    return {r[0] for r in await fetch_all(db, sql, (*params, *movie_ids))}


async def most_rated(db: aiosqlite.Connection, n: int, *, unenriched_by: str | None) -> list[int]:
    """The n most-rated movies (ties by id); with `unenriched_by`, only those that engine has not enriched."""
    if unenriched_by is None:
        sql, params = "SELECT movie_id FROM movies ORDER BY rating_count DESC, movie_id LIMIT ?", (n,)
    else:
        done, done_params = _enriched_sql(unenriched_by)
        sql = f"SELECT movie_id FROM movies WHERE movie_id NOT IN ({done}) ORDER BY rating_count DESC, movie_id LIMIT ?"
        params = (*done_params, n)
    return [r[0] for r in await fetch_all(db, sql, params)]


async def count_unenriched(db: aiosqlite.Connection, engine: str) -> int:
    done, params = _enriched_sql(engine)
    row = await fetch_one(db, f"SELECT count(*) FROM movies WHERE movie_id NOT IN ({done})", params)
    return int(row[0]) if row else 0


async def input_rows(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> list[aiosqlite.Row]:
    """The movies' INPUT_COLUMNS, for `core.enrichment.records.enrichment_input`."""
    sql = f"SELECT {INPUT_COLUMNS} FROM movies WHERE movie_id IN ({placeholders(len(movie_ids))})"
    return await fetch_all(db, sql, movie_ids)


async def money(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
    """(budget, revenue) per movie."""
    if not movie_ids:
        return {}
    sql = f"SELECT movie_id, budget, revenue FROM movies WHERE movie_id IN ({placeholders(len(movie_ids))})"
    return {r[0]: (r[1], r[2]) for r in await fetch_all(db, sql, movie_ids)}


async def write(db: aiosqlite.Connection, write_lock: anyio.Lock, rows: list[EnrichmentRow]) -> None:
    """Upsert the rows in one all-or-nothing transaction."""
    if not rows:
        return
    async with write_lock:
        try:
            await db.executemany(UPSERT_SQL, rows)
            await db.commit()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await db.rollback()  # no half-written batch, even when cancelled
            raise
