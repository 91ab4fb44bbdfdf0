"""What a built database holds, read over a plain (sync) connection.

Sync on purpose: `movie-mcp info` and the build's report read a database file outside any event loop.
"""

from __future__ import annotations

from core.data import sqlite


def _one(conn: sqlite.Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])


def meta(conn: sqlite.Connection) -> dict[str, str]:
    """The build's key/value metadata."""
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def table_counts(conn: sqlite.Connection) -> dict[str, int]:
    """Rows in movies, users, ratings and tags."""
    return {table: _one(conn, f"SELECT count(*) FROM {table}") for table in ("movies", "users", "ratings", "tags")}


def coverage(conn: sqlite.Connection) -> dict[str, int]:
    """How many movies carry each kind of information."""
    return {
        "movies": _one(conn, "SELECT count(*) FROM movies"),
        "overview": _one(conn, "SELECT count(*) FROM movies WHERE overview IS NOT NULL AND overview != ''"),
        "budget": _one(conn, "SELECT count(*) FROM movies WHERE budget IS NOT NULL"),
        "revenue": _one(conn, "SELECT count(*) FROM movies WHERE revenue IS NOT NULL"),
        "runtime": _one(conn, "SELECT count(*) FROM movies WHERE runtime IS NOT NULL"),
        "mpaa": _one(conn, "SELECT count(*) FROM movies WHERE mpaa IS NOT NULL"),
        "tmdb_id": _one(conn, "SELECT count(*) FROM movies WHERE tmdb_id IS NOT NULL"),
        "rated": _one(conn, "SELECT count(*) FROM movies WHERE rating_count > 0"),
        "embedding": _one(conn, "SELECT count(*) FROM embedding_sources"),
        "enrichment": _one(conn, "SELECT count(*) FROM enrichments"),
    }


def enrichment_engines(conn: sqlite.Connection) -> dict[str, int]:
    """Enriched movies per engine that enriched them."""
    return dict(conn.execute("SELECT engine, count(*) FROM enrichments GROUP BY engine").fetchall())


def model_blobs(conn: sqlite.Connection) -> list[sqlite.Row]:
    """Each stored model blob by name: name, trained_at, seconds, params (JSON) and size (bytes)."""
    return conn.execute(
        "SELECT name, trained_at, seconds, params, length(data) AS size FROM model_blobs ORDER BY name"
    ).fetchall()


def llm_cache_totals(conn: sqlite.Connection) -> tuple[int, int, int] | None:
    """(answers, prompt tokens, completion tokens) in the LLM cache; None when there is no cache table yet."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'llm_cache'").fetchone():
        return None
    row = conn.execute(
        "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM llm_cache"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
