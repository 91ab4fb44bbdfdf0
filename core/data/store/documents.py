"""Queries for plot search: BM25 over `movie_documents`, franchises, rating counts by film and by release
year (the popularity prior), plot-text coverage."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from core.data.store import fetch_all, fetch_one, placeholders
from core.search.filters import Conditions, where

# bm25 column weights (title, keywords, plot): a title word is weak evidence
# in a plot description ("a heist inside dreams" is not "In Dreams").
COLUMN_WEIGHTS = (0.5, 1.0, 1.0)


async def bm25_search(
    db: aiosqlite.Connection,
    match: str,
    k: int,
    conditions: Conditions,
    weights: Sequence[float] | None = None,
) -> list[tuple[int, float]]:
    """(movie_id, bm25 score, higher is better) of the k best documents matching the FTS5 expression
    and passing `movies m` conditions, best first; `weights` per column, COLUMN_WEIGHTS by default.

    The conditions run in the same statement, so k rows come back whenever k matching movies pass them.
    """
    clause, params = where(conditions, prefix="AND")
    rows = await fetch_all(
        db,
        # CROSS JOIN keeps the full-text match as the outer loop; left to itself, the planner may scan
        # the movies and run the match once per movie (20x slower with a genre and year filter).
        "SELECT d.rowid, bm25(movie_documents, ?, ?, ?) AS score FROM movie_documents d"
        " CROSS JOIN movies m ON m.movie_id = d.rowid"
        f" WHERE movie_documents MATCH ?{clause} ORDER BY score, d.rowid LIMIT ?",
        [*(weights or COLUMN_WEIGHTS), match, *params, k],
    )
    return [(int(r[0]), -float(r[1])) for r in rows]  # FTS5's bm25 is negative, lower is better


async def document_texts(db: aiosqlite.Connection) -> list[str]:
    """Every movie's plot-search document as one text (title, keywords, plot), for its vocabulary."""
    rows = await fetch_all(
        db,
        "SELECT coalesce(title, '') || ' ' || coalesce(keywords, '') || ' ' || coalesce(plot, '') FROM movie_documents",
    )
    return [str(r[0]) for r in rows]


async def indexed_words(db: aiosqlite.Connection, words: Sequence[str]) -> set[str]:
    """Which of the (letters-only) words the index holds, read by its own tokenizer: a word counts when its
    stem is indexed. One statement for all of them."""
    letters = [w for w in dict.fromkeys(words) if w.isalpha()]  # nothing FTS5 could read as syntax
    if not letters:
        return set()
    rows = await fetch_all(
        db,
        "SELECT value FROM json_each(?) WHERE EXISTS"
        " (SELECT 1 FROM movie_documents WHERE movie_documents MATCH '\"' || value || '\"')",
        [json.dumps(letters)],
    )
    return {str(r[0]) for r in rows}


async def collections(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, str]:
    """movie_id -> franchise for the given movies that belong to one."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        db,
        "SELECT movie_id, collection FROM movie_extras"
        f" WHERE collection IS NOT NULL AND movie_id IN ({placeholders(len(ids))})",
        ids,
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def franchise_originals(
    db: aiosqlite.Connection, franchises: Sequence[str], conditions: Conditions
) -> dict[str, int]:
    """franchise -> its earliest released film among those passing `movies m` conditions."""
    names = list(dict.fromkeys(franchises))
    if not names:
        return {}
    clause, params = where(conditions, prefix="AND")
    rows = await fetch_all(
        db,
        "SELECT x.collection, m.movie_id FROM movie_extras x JOIN movies m USING (movie_id)"
        f" WHERE x.collection IN ({placeholders(len(names))}){clause}"
        " ORDER BY x.collection, coalesce(m.release_date, m.year || '-12-31', '9999'), m.movie_id",
        [*names, *params],
    )
    originals: dict[str, int] = {}
    for name, movie_id in rows:
        originals.setdefault(str(name), int(movie_id))
    return originals


async def counts_and_years(db: aiosqlite.Connection, movie_ids: Sequence[int]) -> dict[int, tuple[int, int | None]]:
    """movie_id -> (how many ratings it has, its release year), for the given known movies."""
    ids = list(dict.fromkeys(movie_ids))
    if not ids:
        return {}
    rows = await fetch_all(
        db, f"SELECT movie_id, rating_count, year FROM movies WHERE movie_id IN ({placeholders(len(ids))})", ids
    )
    return {int(r[0]): (int(r[1]), None if r[2] is None else int(r[2])) for r in rows}


async def ratings_by_year(db: aiosqlite.Connection) -> list[tuple[int | None, int, int]]:
    """(release year or None, movies, their ratings) per release year."""
    rows = await fetch_all(db, "SELECT year, count(*), coalesce(sum(rating_count), 0) FROM movies GROUP BY year")
    return [(None if r[0] is None else int(r[0]), int(r[1]), int(r[2])) for r in rows]


async def plot_coverage(db: aiosqlite.Connection) -> tuple[int, int]:
    """(movies, movies with plot text: an overview)."""
    row = await fetch_one(
        db, "SELECT count(*), count(CASE WHEN overview IS NOT NULL AND trim(overview) != '' THEN 1 END) FROM movies"
    )
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)
