"""`movie-mcp profile …`: import an export as a profile, list, show, delete and export profiles (sync)."""

from __future__ import annotations

import csv
import io
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.config import Settings
from core.data import sqlite
from core.data.importers.ratings_exports import ExportRow, read_export
from core.data.store import profiles as store
from core.errors import InvalidInputError, NotFoundError, NotReadyError
from core.profiles.matching import CatalogueIndex, Match, match_row
from core.profiles.names import validate_name

MAX_FILE_BYTES = 20_000_000  # a lifetime of ratings is well under 1 MB
UNMATCHED_FIELDS = ["title", "year", "rating", "imdb_id", "reason"]  # re-importable with --format csv


@dataclass
class ImportReport:
    profile: str
    format: str
    encoding: str
    rows: int
    matched: int
    unmatched: int
    duplicates: int  # matched rows superseded by a newer rating of the same movie in the file
    rated: int  # movies with stars among those saved
    watched: int  # movies seen without stars
    added: int
    updated: int
    matched_by: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # unmatched rows per reason kind
    unmatched_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def open_catalogue(settings: Settings) -> sqlite.Connection:
    if not settings.db_path.exists():
        raise NotReadyError(f"no database at {settings.db_path}; build it with `movie-mcp build` first")
    return sqlite.connect_sync(settings.db_path, read_only=True)


def catalogue_index(settings: Settings) -> CatalogueIndex:
    with closing(open_catalogue(settings)) as db:
        return CatalogueIndex.from_rows(store.catalogue_movies(db))


def _newest_per_movie(matches: list[Match]) -> dict[int, Match]:
    """The newest row of each matched movie (a later line wins a tie)."""
    best: dict[int, Match] = {}
    for m in matches:
        assert m.movie is not None
        old = best.get(m.movie.movie_id)
        if old is None or m.row.rated_at >= old.row.rated_at:
            best[m.movie.movie_id] = m
    return best


def match_all(index: CatalogueIndex, rows: list[ExportRow]) -> tuple[list[Match], list[Match], dict[int, Match]]:
    """(matched rows, unmatched rows, the newest matched row of each movie)."""
    matches = [match_row(index, row) for row in rows]
    hits = [m for m in matches if m.movie is not None]
    return hits, [m for m in matches if m.movie is None], _newest_per_movie(hits)


def _reason_kind(reason: str) -> str:
    """The report's bucket for a reason ("no movie titled 'X' (1999) …" → "no movie titled … in the catalogue")."""
    for kind in ("no movie titled", "movies are titled", "movies match", "only from", "not a movie", "outside"):
        if kind in reason:
            return kind
    return reason


def write_unmatched(path: Path, missed: list[Match]) -> None:
    """The rows that did not match, as a plain title,year,rating CSV (plus the reason) to fix and re-import."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, UNMATCHED_FIELDS)
    writer.writeheader()
    for m in missed:
        r = m.row
        writer.writerow({"title": r.title, "year": r.year or "", "rating": "" if r.stars is None else r.stars,
                         "imdb_id": r.imdb_id or "", "reason": m.how})  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def import_profile(
    settings: Settings,
    file: Path,
    name: str,
    fmt: str = "auto",
    unmatched_path: Path | None = None,
    index: CatalogueIndex | None = None,
) -> ImportReport:
    """Read an export, match it to the catalogue, and add it to profile `name` (created when new).

    `index` reuses a catalogue index across many imports (the evaluation imports hundreds)."""
    validate_name(name)
    if not file.is_file():
        raise NotFoundError(f"no file at {file}")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(f"{file} is larger than {MAX_FILE_BYTES // 1_000_000} MB; is it a ratings export?")
    parsed = read_export(file.read_bytes(), fmt)
    index = index or catalogue_index(settings)
    hits, missed, newest = match_all(index, parsed.rows)
    saved = [
        store.ProfileRating(mid, m.row.stars, m.row.rated_at, m.movie.title, m.movie.year, m.movie.imdb_id)
        for mid, m in newest.items()
        if m.movie is not None
    ]
    existing = store.find_profile(settings.profiles_path, name) or name
    added, updated = store.save_ratings(settings.profiles_path, existing, parsed.format, saved)
    report = ImportReport(
        profile=existing, format=parsed.format, encoding=parsed.encoding, rows=len(parsed.rows),
        matched=len(hits), unmatched=len(missed), duplicates=len(hits) - len(newest),
        rated=sum(r.rating is not None for r in saved), watched=sum(r.rating is None for r in saved),
        added=added, updated=updated,
    )  # fmt: skip
    for m in hits:
        report.matched_by[m.how] = report.matched_by.get(m.how, 0) + 1
    for m in missed:
        kind = _reason_kind(m.how)
        report.reasons[kind] = report.reasons.get(kind, 0) + 1
    if missed:
        target = unmatched_path or file.with_name(f"{file.stem}.unmatched.csv")
        write_unmatched(target, missed)
        report.unmatched_file = str(target)
    return report


def require_profile(settings: Settings, name: str) -> str:
    """The stored name of an existing profile; an error lists the profiles there are."""
    validate_name(name)
    found = store.find_profile(settings.profiles_path, name)
    if found is None:
        names = [str(p["name"]) for p in store.profile_names(settings.profiles_path)]
        known = f"profiles: {', '.join(names)}" if names else "there are no profiles yet"
        raise NotFoundError(
            f"no profile named {name!r} ({known}); create one with `movie-mcp profile import FILE --name NAME`"
        )
    return found


def show_profile(settings: Settings, name: str, limit: int = 20) -> dict[str, Any]:
    """A profile's counts, its newest ratings, and the movies no longer in the catalogue."""
    stored = require_profile(settings, name)
    ratings = store.profile_ratings(settings.profiles_path, stored)
    with closing(open_catalogue(settings)) as db:
        present = store.catalogue_ids(db, [r.movie_id for r in ratings])
    stars = [r.rating for r in ratings if r.rating is not None]
    return {
        "profile": stored,
        "rated": len(stars),
        "watched_only": len(ratings) - len(stars),
        "mean_rating": round(sum(stars) / len(stars), 3) if stars else None,
        "missing_from_catalogue": [
            {"movie_id": r.movie_id, "title": r.title, "year": r.year} for r in ratings if r.movie_id not in present
        ],
        "newest": [
            {"movie_id": r.movie_id, "title": r.title, "year": r.year, "rating": r.rating} for r in ratings[:limit]
        ],
    }


def delete_profile(settings: Settings, name: str) -> dict[str, Any]:
    stored = require_profile(settings, name)
    return {"profile": stored, "deleted_ratings": store.delete_profile(settings.profiles_path, stored)}


def export_profile(settings: Settings, name: str) -> str:
    """The profile as CSV (title,year,rating,date,imdb_id,movie_id): re-importable with `--format csv`."""
    stored = require_profile(settings, name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "year", "rating", "date", "imdb_id", "movie_id"])
    for r in store.profile_ratings(settings.profiles_path, stored):
        date = datetime.fromtimestamp(r.rated_at, UTC).date().isoformat() if r.rated_at else ""
        writer.writerow(
            [r.title, r.year or "", "" if r.rating is None else r.rating, date, r.imdb_id or "", r.movie_id]
        )
    return buffer.getvalue()
