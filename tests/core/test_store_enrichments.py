"""The enrichment and taste-profile queries in core.data.store, over a private copy of the synthetic database."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import anyio
import pytest

from core.data import sqlite
from core.data.store import enrichments
from core.data.store.preferences import PROFILE_ATTRIBUTES, rated_movie_facts
from core.data.store.users import user_history
from core.enrichment.records import enrichment_row
from core.enrichment.rules import OFFLINE_ENGINE, EnrichmentInput, enrich_offline
from core.llm.errors import LLM_ENGINE
from tests.synthetic import SPACE_FANS


@pytest.fixture
async def db(synthetic_db: Path, tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, path)
    conn = await sqlite.connect_async(path)
    yield conn
    await conn.close()


def llm_row(movie_id: int) -> tuple[object, ...]:
    result = enrich_offline(EnrichmentInput(movie_id=movie_id)).model_copy(update={"engine": LLM_ENGINE})
    return enrichment_row(result, "digest", "2024-01-01T00:00:00+00:00", model="m", reasoning="r")


async def movie_count(db: aiosqlite.Connection) -> int:
    return int((await db.execute_fetchall("SELECT count(*) FROM movies"))[0][0])


async def test_an_offline_row_counts_as_enriched_for_the_rules_but_not_for_the_llm(db: aiosqlite.Connection) -> None:
    # The build enriches every movie with the rules.
    assert await enrichments.count_unenriched(db, OFFLINE_ENGINE) == 0
    assert await enrichments.count_unenriched(db, LLM_ENGINE) == await movie_count(db)
    top = await enrichments.most_rated(db, 3, unenriched_by=None)
    await enrichments.write(db, anyio.Lock(), [llm_row(top[0])])
    assert await enrichments.enriched_among(db, top, LLM_ENGINE) == {top[0]}
    assert await enrichments.enriched_among(db, top, OFFLINE_ENGINE) == set(top)
    assert await enrichments.most_rated(db, 2, unenriched_by=LLM_ENGINE) == top[1:]
    assert await enrichments.most_rated(db, 2, unenriched_by=OFFLINE_ENGINE) == []
    assert await enrichments.count_unenriched(db, LLM_ENGINE) == await movie_count(db) - 1


async def test_most_rated_orders_by_rating_count_then_id(db: aiosqlite.Connection) -> None:
    rows = await db.execute_fetchall("SELECT movie_id, rating_count FROM movies")
    expected = [m for m, _ in sorted(rows, key=lambda r: (-r[1], r[0]))][:5]
    assert await enrichments.most_rated(db, 5, unenriched_by=None) == expected


async def test_a_failed_write_leaves_nothing_behind(db: aiosqlite.Connection) -> None:
    movie_id = (await enrichments.most_rated(db, 1, unenriched_by=None))[0]
    with pytest.raises(sqlite.Error):
        await enrichments.write(db, anyio.Lock(), [llm_row(movie_id), ("not", "a", "row")])
    assert await enrichments.enriched_among(db, [movie_id], LLM_ENGINE) == set()


async def test_existing_and_money_skip_unknown_ids(db: aiosqlite.Connection) -> None:
    known = (await enrichments.most_rated(db, 1, unenriched_by=None))[0]
    assert await enrichments.existing(db, [known, 999_999]) == {known}
    assert set(await enrichments.money(db, [known, 999_999])) == {known}
    assert await enrichments.money(db, []) == {}


async def test_a_profile_reads_every_rating_with_its_movies_attributes(db: aiosqlite.Connection) -> None:
    user_id = SPACE_FANS[0]
    rows = await rated_movie_facts(db, user_id)
    assert {r["movie_id"]: r["rating"] for r in rows} == await user_history(db, user_id)
    assert all(r[name] is not None for r in rows for name in PROFILE_ATTRIBUTES)  # the build enriched them all
