"""The enrichment and taste-profile queries in core.data.store, over a private copy of the synthetic database."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import pytest

from core.data import sqlite
from core.data.store import enrichments
from core.data.store.preferences import PROFILE_ATTRIBUTES, profile_rating_groups, user_rating_groups
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


async def _grouped_in_python(db: aiosqlite.Connection, rated: dict[int, float]) -> dict[tuple[str, Any], list[float]]:
    """The groups the old service built: every rating of a catalogue movie, grouped row by row in Python."""
    marks = ",".join("?" * len(rated))
    facts = await db.execute_fetchall(
        f"SELECT m.movie_id, m.year, {', '.join(f'e.{a}' for a in PROFILE_ATTRIBUTES)}"
        f" FROM movies m LEFT JOIN enrichments e USING (movie_id) WHERE m.movie_id IN ({marks})",
        list(rated),
    )
    genres = await db.execute_fetchall(
        "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g USING (genre_id)"
        f" WHERE mg.movie_id IN ({marks})",
        list(rated),
    )
    groups: dict[tuple[str, Any], list[float]] = defaultdict(list)
    for movie_id, name in genres:
        groups["genre", name].append(rated[movie_id])
    for row in facts:
        stars = rated[row["movie_id"]]
        groups["rating", stars].append(stars)
        for kind in ("year", *PROFILE_ATTRIBUTES):
            if row[kind] is not None:
                groups[kind, row[kind]].append(stars)
    return groups


def _as_totals(rows: list[Any]) -> dict[tuple[str, Any], tuple[int, float]]:
    return {(kind, name): (count, total) for kind, name, count, total in rows}


async def test_rating_groups_match_grouping_every_rating_in_python(db: aiosqlite.Connection) -> None:
    # Unknown years and unenriched movies must fall out of those groups only, not out of the others.
    await db.execute("UPDATE movies SET year = NULL WHERE movie_id % 3 = 0")
    await db.execute("DELETE FROM enrichments WHERE movie_id % 4 = 1")
    await db.execute("UPDATE enrichments SET sentiment = 'mixed' WHERE movie_id % 5 = 2")
    await db.commit()
    for user_id in [*SPACE_FANS[:4], SPACE_FANS[-1] + 1]:
        rated = await user_history(db, user_id)
        expected = {key: (len(v), sum(v)) for key, v in (await _grouped_in_python(db, rated)).items()}
        assert expected and _as_totals(await user_rating_groups(db, user_id)) == expected
        # A profile with the same stars groups the same way; a movie the catalogue lacks is left out.
        assert _as_totals(await profile_rating_groups(db, {**rated, 999_999: 5.0})) == expected
    assert {kind for kind, _ in expected} == {"rating", "genre", "year", *PROFILE_ATTRIBUTES}
    assert await profile_rating_groups(db, {}) == []
