"""store.movies: tags, enrichment, counting and ranking with filters, the enriched page, overviews."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from core.data import sqlite
from core.data.store.movies import (
    ENRICHED_ORDER_SQL,
    EnrichedOrder,
    count_movies,
    enriched_movies_page,
    movie_enrichment,
    movie_ids_at_ranks,
    movie_tags,
    overviews,
)
from core.runtime import MovieApp
from core.search.filters import make_filters, movie_conditions, movie_source
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, UNRATED_MOVIE_ID, make_dataset

NO_FILTER = movie_conditions(make_filters())


async def test_movie_tags_fold_case_and_count_most_used_first(movie_app: MovieApp) -> None:
    await movie_app.ready()
    tags = make_dataset().tags
    expected = Counter(t.lower() for t in tags[tags["movie_id"] == 1]["tag"])
    found = await movie_tags(movie_app.db, 1)
    assert dict(found) == dict(expected)
    assert [n for _, n in found] == sorted(expected.values(), reverse=True)
    assert await movie_tags(movie_app.db, 1, limit=1) == found[:1]
    assert await movie_tags(movie_app.db, UNRATED_MOVIE_ID) == []


async def test_movie_enrichment_or_none(movie_app: MovieApp) -> None:
    await movie_app.ready()
    enrichment = await movie_enrichment(movie_app.db, SPACE_IDS[0])
    assert enrichment is not None and enrichment.engine
    assert await movie_enrichment(movie_app.db, 987654321) is None


async def test_count_and_ranks_apply_the_filters(movie_app: MovieApp) -> None:
    await movie_app.ready()
    romance_2005_on = sorted(m.movie_id for m in make_dataset().movies if "Romance" in m.genres and m.year >= 2005)
    conditions = movie_conditions(make_filters(genres=["Romance"], min_year=2005))
    assert await count_movies(movie_app.db, conditions) == len(romance_2005_on)
    assert await count_movies(movie_app.db, NO_FILTER) == len(make_dataset().movies)
    ranks = [0, 2, len(romance_2005_on) - 1]
    assert await movie_ids_at_ranks(movie_app.db, conditions, ranks) == [romance_2005_on[r] for r in ranks]
    # A rank past the end has no movie: it is skipped, not an error.
    assert await movie_ids_at_ranks(movie_app.db, conditions, [len(romance_2005_on)]) == []
    # More ranks than one statement takes, in the order asked for.
    many = [2, len(romance_2005_on), 0] * 90
    assert await movie_ids_at_ranks(movie_app.db, conditions, many) == [romance_2005_on[2], romance_2005_on[0]] * 90


async def test_enriched_only_counts_and_ranks_only_enriched_movies(synthetic_db: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "half-enriched.db"
    shutil.copy(synthetic_db, db_path)
    conn = sqlite.connect_sync(db_path)
    with conn:
        conn.executemany("DELETE FROM enrichments WHERE movie_id = ?", [(i,) for i in ROMANCE_IDS])
    conn.close()
    db = await sqlite.connect_async(db_path, read_only=True)
    try:
        enriched = sorted({m.movie_id for m in make_dataset().movies} - set(ROMANCE_IDS))
        assert await count_movies(db, NO_FILTER, enriched_only=True) == len(enriched)
        assert await count_movies(db, NO_FILTER) == len(enriched) + len(ROMANCE_IDS)
        all_ranks = list(range(len(enriched)))
        assert await movie_ids_at_ranks(db, NO_FILTER, all_ranks, enriched_only=True) == enriched
        # With a filter as well, the two conditions combine.
        romance = movie_conditions(make_filters(genres=["Romance"]))
        assert await count_movies(db, romance, enriched_only=True) == 0
    finally:
        await db.close()


# Filters whose first genre drives the query from its index range, with and without further conditions.
SOURCE_FILTERS = [
    {"genres": ["Sci-Fi"]},
    {"genres": ["Romance"], "min_year": 2005},
    {"genres": ["Sci-Fi", "Action"]},
    {"genres": ["Comedy"], "exclude_genres": ["Romance"], "min_rating": 3.0},
    {"genres": ["Drama"], "sentiments": ["positive", "mixed"], "max_runtime": 200},
    {"genres": ["Documentary"]},
    {"min_year": 1995},
]


@pytest.mark.parametrize("wanted", SOURCE_FILTERS, ids=lambda f: ",".join(f))
async def test_a_genre_driven_source_counts_ranks_and_pages_like_the_movies_table(
    synthetic_db: Path, tmp_path: Path, wanted: dict[str, object]
) -> None:
    db_path = tmp_path / "half-enriched.db"
    shutil.copy(synthetic_db, db_path)
    conn = sqlite.connect_sync(db_path)
    with conn:  # some movies of every genre unenriched, so enriched_only and the enriched page have work to do
        conn.execute("DELETE FROM enrichments WHERE movie_id % 3 = 0")
    conn.close()
    db = await sqlite.connect_async(db_path, read_only=True)
    try:
        filters = make_filters(**wanted)
        source, conditions = movie_source(filters), movie_conditions(filters)
        for enriched_only in (False, True):
            total = await count_movies(db, conditions, enriched_only=enriched_only)
            assert await count_movies(db, source, enriched_only=enriched_only) == total
            ranks = list(range(total + 1))  # every rank, and one past the end
            expected = await movie_ids_at_ranks(db, conditions, ranks, enriched_only=enriched_only)
            assert await movie_ids_at_ranks(db, source, ranks, enriched_only=enriched_only) == expected
            assert expected == sorted(expected) and len(expected) == total
        for order in ENRICHED_ORDER_SQL:
            page = {"min_effectiveness": None, "order_by": order, "limit": 100, "offset": 0}
            rows, total = await enriched_movies_page(db, conditions, **page)
            assert total == await count_movies(db, conditions, enriched_only=True) and len(rows) == total
            driven, driven_total = await enriched_movies_page(db, source, **page)
            assert (driven_total, [tuple(r) for r in driven]) == (total, [tuple(r) for r in rows])
    finally:
        await db.close()


async def test_enriched_pages_add_up_to_the_total(movie_app: MovieApp) -> None:
    await movie_app.ready()
    whole, total = await enriched_movies_page(
        movie_app.db, NO_FILTER, min_effectiveness=None, order_by="title", limit=100, offset=0
    )
    assert total == len(whole) == len(make_dataset().movies)
    paged = []
    for offset in range(0, total, 4):
        rows, page_total = await enriched_movies_page(
            movie_app.db, NO_FILTER, min_effectiveness=None, order_by="title", limit=4, offset=offset
        )
        assert page_total == total
        paged += [r["movie_id"] for r in rows]
    assert paged == [r["movie_id"] for r in whole]
    assert [r["title"].lower() for r in whole] == sorted(r["title"].lower() for r in whole)


async def test_enriched_page_filters_and_orders(movie_app: MovieApp) -> None:
    await movie_app.ready()
    everything, _ = await enriched_movies_page(
        movie_app.db, NO_FILTER, min_effectiveness=None, order_by="effectiveness", limit=100, offset=0
    )
    scores = [r["effectiveness_score"] for r in everything]
    known = [s for s in scores if s is not None]
    assert known == sorted(known, reverse=True) and scores[: len(known)] == known  # unknown scores last
    cut = sorted(known)[len(known) // 2]
    rows, total = await enriched_movies_page(
        movie_app.db, NO_FILTER, min_effectiveness=cut, order_by="effectiveness", limit=100, offset=0
    )
    assert total == len(rows) == sum(s >= cut for s in known) and all(r["effectiveness_score"] >= cut for r in rows)
    sci_fi = movie_conditions(make_filters(genres=["Sci-Fi"]))
    space, _ = await enriched_movies_page(
        movie_app.db, sci_fi, min_effectiveness=None, order_by="year", limit=100, offset=0
    )
    assert sorted(r["movie_id"] for r in space) == SPACE_IDS
    assert [r["year"] for r in space] == sorted((r["year"] for r in space), reverse=True)


@pytest.mark.parametrize("order_by", list(ENRICHED_ORDER_SQL))
async def test_every_enriched_order_runs(movie_app: MovieApp, order_by: EnrichedOrder) -> None:
    await movie_app.ready()
    rows, total = await enriched_movies_page(
        movie_app.db, NO_FILTER, min_effectiveness=None, order_by=order_by, limit=100, offset=0
    )
    assert len({r["movie_id"] for r in rows}) == total == len(make_dataset().movies)


async def test_overviews_of_known_movies_only(movie_app: MovieApp) -> None:
    await movie_app.ready()
    source = {m.movie_id: m.overview for m in make_dataset().movies}
    ids = [SPACE_IDS[2], ROMANCE_IDS[0], UNRATED_MOVIE_ID, 987654321]
    found = await overviews(movie_app.db, ids)
    assert found == {i: source[i] for i in ids if i in source}
    assert found[UNRATED_MOVIE_ID] is None
    assert await overviews(movie_app.db, []) == {}
