"""People's own ratings (profiles), in a SQLite file of their own, and the catalogue facts that matching reads.

The profiles file lives beside the movie database, not in it: a build replaces the database file whole,
and a person's ratings must survive that. Each rating keeps the title, year and IMDb id it was matched
from, so a movie that later disappears from the catalogue can be named. Every function here is sync
(the CLI calls them directly; services run them in a worker thread) and every write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.data import sqlite

PROFILES_DDL = """
CREATE TABLE IF NOT EXISTS profiles (
    name        TEXT PRIMARY KEY COLLATE NOCASE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    source      TEXT NOT NULL                  -- the format of the last import ("letterboxd", ...)
);
CREATE TABLE IF NOT EXISTS profile_ratings (
    profile   TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    movie_id  INTEGER NOT NULL,                -- MovieLens id in the catalogue it was matched against
    rating    REAL CHECK (rating IS NULL OR rating BETWEEN 0.5 AND 5.0),   -- NULL: watched, no stars
    rated_at  INTEGER NOT NULL,                -- unix seconds; the newest rating of a movie wins
    title     TEXT NOT NULL,
    year      INTEGER,
    imdb_id   TEXT,
    PRIMARY KEY (profile, movie_id)
);
"""


@dataclass(frozen=True)
class ProfileRating:
    """One movie in a profile: stars (None when only watched), when, and what it was matched as."""

    movie_id: int
    rating: float | None
    rated_at: int
    title: str
    year: int | None
    imdb_id: str | None = None


def connect(path: Path, *, create: bool = False) -> sqlite.Connection:
    """A connection to the profiles file; `create` makes the file and its tables when missing."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite.connect_sync(path)
        conn.executescript(PROFILES_DDL)
        return conn
    return sqlite.connect_sync(path, read_only=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def save_ratings(path: Path, name: str, source: str, ratings: Iterable[ProfileRating]) -> tuple[int, int]:
    """Add or update a profile's ratings in one transaction; per movie, the newer rating wins.

    Returns (movies added, movies updated). The same rating again, an older rating of a movie already in
    the profile, or a watched-only row for a movie it already rates, changes nothing.
    """
    added = updated = 0
    with closing(connect(path, create=True)) as conn, conn:
        now = _now()
        conn.execute(
            "INSERT INTO profiles (name, created_at, updated_at, source) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET updated_at = excluded.updated_at, source = excluded.source",
            (name, now, now, source),
        )
        for r in ratings:
            old = conn.execute(
                "SELECT rated_at, rating FROM profile_ratings WHERE profile = ? AND movie_id = ?", (name, r.movie_id)
            ).fetchone()
            # An older rating changes nothing, and "watched" (no stars) never erases stars already given.
            if old is not None and (old[0] > r.rated_at or (r.rating is None and old[1] is not None)):
                continue
            if old is not None and (old[0], old[1]) == (r.rated_at, r.rating):
                continue  # the same rating again: a re-import changes nothing
            conn.execute(
                "INSERT OR REPLACE INTO profile_ratings (profile, movie_id, rating, rated_at, title, year, imdb_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, r.movie_id, r.rating, r.rated_at, r.title, r.year, r.imdb_id),
            )
            added, updated = (added + 1, updated) if old is None else (added, updated + 1)
    return added, updated


def profile_names(path: Path) -> list[dict[str, object]]:
    """Every profile with its counts (rated, watched only) and dates, by name; [] without a profiles file."""
    if not path.exists():
        return []
    with closing(connect(path)) as conn:
        rows = conn.execute(
            "SELECT p.name, p.source, p.created_at, p.updated_at,"
            " count(r.rating) AS rated, count(r.movie_id) - count(r.rating) AS watched"
            " FROM profiles p LEFT JOIN profile_ratings r ON r.profile = p.name"
            " GROUP BY p.name ORDER BY p.name COLLATE NOCASE"
        ).fetchall()
    return [dict(r) for r in rows]


def find_profile(path: Path, name: str) -> str | None:
    """The stored spelling of a profile name (names are case-insensitive); None when there is none."""
    if not path.exists():
        return None
    with closing(connect(path)) as conn:
        row = conn.execute("SELECT name FROM profiles WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def profile_ratings(path: Path, name: str) -> list[ProfileRating]:
    """A profile's movies, newest first (then by movie id)."""
    with closing(connect(path)) as conn:
        rows = conn.execute(
            "SELECT movie_id, rating, rated_at, title, year, imdb_id FROM profile_ratings WHERE profile = ?"
            " ORDER BY rated_at DESC, movie_id",
            (name,),
        ).fetchall()
    return [ProfileRating(*tuple(r)) for r in rows]


def delete_profile(path: Path, name: str) -> int:
    """Delete a profile and its ratings in one transaction; returns how many ratings went with it."""
    with closing(connect(path, create=True)) as conn, conn:
        count = conn.execute("SELECT count(*) FROM profile_ratings WHERE profile = ?", (name,)).fetchone()[0]
        conn.execute("DELETE FROM profile_ratings WHERE profile = ?", (name,))
        conn.execute("DELETE FROM profiles WHERE name = ?", (name,))
    return int(count)


# --- the catalogue side (the movie database) -----------------------------------------------------


def catalogue_movies(db: sqlite.Connection) -> list[sqlite.Row]:
    """Every movie with the ids and titles matching reads: movie_id, imdb_id, tmdb_id, title, year, aka_norm."""
    return db.execute(
        "SELECT m.movie_id, m.imdb_id, m.tmdb_id, m.title, m.year, t.aka_norm"
        " FROM movies m LEFT JOIN movie_titles t ON t.rowid = m.movie_id"
    ).fetchall()


def catalogue_ids(db: sqlite.Connection, movie_ids: list[int]) -> set[int]:
    """Which of these movie ids the catalogue holds."""
    if not movie_ids:
        return set()
    found: set[int] = set()
    for start in range(0, len(movie_ids), 500):  # SQLite's bound-parameter limit
        chunk = movie_ids[start : start + 500]
        rows = db.execute(f"SELECT movie_id FROM movies WHERE movie_id IN ({','.join('?' * len(chunk))})", chunk)
        found.update(int(r[0]) for r in rows)
    return found
