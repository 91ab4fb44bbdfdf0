"""Shared queries: summaries come back with each movie's genres in the source's order."""

from __future__ import annotations

from core.data import store
from core.runtime import MovieApp
from tests.synthetic import make_dataset


async def test_summaries_keep_genre_order_titles_and_skip_unknown_ids(movie_app: MovieApp) -> None:
    await movie_app.ready()
    source = {m.movie_id: m for m in make_dataset().movies}
    # "Sci-Fi, Action": not alphabetical, so a query that lost the order would show.
    ids = list(source)[:12]
    found = await store.summaries(movie_app.db, [*ids, 987654321])
    assert set(found) == set(ids)
    for movie_id in ids:
        assert found[movie_id].genres == source[movie_id].genres
        assert found[movie_id].title == source[movie_id].title
    assert await store.summaries(movie_app.db, []) == {}


async def test_remembered_summaries_equal_fresh_ones_and_callers_cannot_spoil_them(movie_app: MovieApp) -> None:
    await movie_app.ready()
    ids = [m.movie_id for m in make_dataset().movies][:20]
    first = await store.summaries(movie_app.db, ids[:10])
    both = await store.summaries(movie_app.db, ids)  # half remembered, half read now
    store.remembered_summaries.forget(movie_app.db)
    fresh = await store.summaries(movie_app.db, ids)
    assert {i: s.model_dump() for i, s in both.items()} == {i: s.model_dump() for i, s in fresh.items()}
    assert [both[i].model_dump_json() for i in ids[:10]] == [first[i].model_dump_json() for i in ids[:10]]
    first[ids[0]].genres.append("Spoiled")
    first[ids[0]].title = "Spoiled"
    again = await store.summaries(movie_app.db, ids[:1])
    assert again[ids[0]].model_dump() == fresh[ids[0]].model_dump()
