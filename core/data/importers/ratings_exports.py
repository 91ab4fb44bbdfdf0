"""Reading a person's ratings export: IMDb, Letterboxd, Trakt, MovieLens or a hand-written CSV.

Each reader turns the file into `ExportRow`s on the 0.5–5 star scale (IMDb and Trakt rate 1–10 and are
halved, explicitly), keeping whatever ids the file carries for matching. Layouts, from the services'
own export documentation:

- IMDb "Your ratings" CSV: `Const` (tt-id), `Your Rating` (1–10), `Date Rated`, `Title`, `Year`, `Title Type`, …
- Letterboxd `ratings.csv`: `Date`, `Name`, `Year`, `Letterboxd URI`, `Rating` (0.5–5); `watched.csv` has no
  `Rating` (seen, no stars); `diary.csv` adds `Watched Date`.
- Trakt `ratings-movies.json`: `[{"rated_at", "rating" (1–10), "type": "movie", "movie": {"title", "year",
  "ids": {"imdb", "tmdb", …}}}]`.
- MovieLens `ratings.csv`: `userId,movieId,rating,timestamp` for one user.
- Plain CSV: `title,year,rating` (0.5–5; `date` optional).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from core.errors import InvalidInputError

ExportFormat = Literal["imdb", "letterboxd", "trakt", "movielens", "csv"]
FORMATS: tuple[str, ...] = ("imdb", "letterboxd", "trakt", "movielens", "csv")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # exports are UTF-8; hand-edited ones come back from Excel
_IMDB_ID = re.compile(r"^tt(\d{1,9})$")


@dataclass(frozen=True)
class ExportRow:
    """One row of an export, before matching: what it says about one movie."""

    line: int  # 1-based line (or list position for JSON), for the report
    title: str
    year: int | None
    stars: float | None  # 0.5–5; None: watched without a rating
    rated_at: int  # unix seconds (0 when the file has no date)
    imdb_id: str | None = None  # "tt0133093"
    tmdb_id: int | None = None
    movielens_id: int | None = None
    problem: str | None = None  # a row that cannot be used, and why (it is reported, not dropped)
    kind: str | None = None  # the source's title type when it says ("movie", "tvSeries")


@dataclass
class ParsedExport:
    format: str
    encoding: str
    rows: list[ExportRow] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without a BOM) first, then the Windows code page Excel writes."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInputError("the file is not text (tried UTF-8 and Windows-1252)")  # latin-1 never fails


def detect_format(text: str) -> str:
    """The export format, from the JSON shape or the CSV header; an error names the headers it expected."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "trakt"
    header = {h.strip().casefold() for h in next(csv.reader(io.StringIO(stripped)), [])}
    if {"const", "your rating"} <= header:
        return "imdb"
    if {"name", "year", "letterboxd uri"} <= header:
        return "letterboxd"
    if {"userid", "movieid", "rating"} <= header:
        return "movielens"
    if {"title", "rating"} <= header:
        return "csv"
    raise InvalidInputError(
        "cannot tell the format from the header; expected an IMDb ratings export (Const, Your Rating),"
        " a Letterboxd ratings.csv/watched.csv (Date, Name, Year, Letterboxd URI), a Trakt ratings JSON,"
        " a MovieLens ratings.csv (userId, movieId, rating, timestamp) or a CSV with title,year,rating;"
        " or pass --format"
    )


def read_export(data: bytes, fmt: str = "auto") -> ParsedExport:
    """Decode, detect (with `fmt="auto"`) and parse an export into rows."""
    text, encoding = decode(data)
    chosen = detect_format(text) if fmt == "auto" else fmt
    if chosen not in READERS:
        raise InvalidInputError(f"unknown format {fmt!r}; use auto or one of {', '.join(FORMATS)}")
    return ParsedExport(chosen, encoding, READERS[chosen](text))


# --- field parsing ---------------------------------------------------------------------------------


def _year(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text[:4]) if re.fullmatch(r"\d{4}(\.0)?|\d{4}-\d{2}-\d{2}", text) else None


def _timestamp(value: Any) -> int:
    """Unix seconds from an ISO date/time or a number; 0 when absent or unreadable."""
    text = str(value or "").strip()
    if not text:
        return 0
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def _stars(value: Any, scale: int) -> tuple[float | None, str | None]:
    """(stars on 0.5–5, problem): a 10-point rating is halved; None for an empty value (watched)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None, None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None, f"rating {text!r} is not a number"
    low, high = (1.0, 10.0) if scale == 10 else (0.5, 5.0)
    if not low <= number <= high:
        return None, f"rating {text} is outside {low:g}–{high:g}"
    stars = number / 2 if scale == 10 else number
    return max(0.5, round(stars * 2) / 2), None


def _imdb(value: Any) -> str | None:
    match = _IMDB_ID.match(str(value or "").strip())
    return f"tt{int(match[1]):07d}" if match else None


def _int(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(float(text)) if re.fullmatch(r"\d+(\.0)?", text) else None


def _dict_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """CSV rows as {lowercased header: value}, with their line numbers (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    reader.fieldnames = [(h or "").strip().casefold() for h in reader.fieldnames or []]
    return [(reader.line_num, {k: (v or "") for k, v in row.items() if k}) for row in reader]


# --- the readers -----------------------------------------------------------------------------------


def read_imdb(text: str) -> list[ExportRow]:
    out = []
    for line, row in _dict_rows(text):
        stars, problem = _stars(row.get("your rating"), 10)
        if stars is None and problem is None:
            problem = "no rating"
        out.append(
            ExportRow(
                line=line,
                title=row.get("title", "").strip(),
                year=_year(row.get("year")),
                stars=stars,
                rated_at=_timestamp(row.get("date rated")),
                imdb_id=_imdb(row.get("const")),
                problem=problem,
                kind=row.get("title type", "").strip() or None,
            )
        )
    return out


def read_letterboxd(text: str) -> list[ExportRow]:
    """ratings.csv, diary.csv or watched.csv (no Rating column, or an empty one: seen, no stars)."""
    out = []
    for line, row in _dict_rows(text):
        stars, problem = _stars(row.get("rating"), 5)
        when = row.get("watched date") or row.get("date")
        out.append(
            ExportRow(
                line, row.get("name", "").strip(), _year(row.get("year")), stars, _timestamp(when), problem=problem
            )
        )
    return out


def read_trakt(text: str) -> list[ExportRow]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"the Trakt file is not valid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise InvalidInputError("a Trakt ratings export is a JSON list of {rating, rated_at, movie} objects")
    out = []
    for position, item in enumerate(items, start=1):
        movie = item.get("movie") if isinstance(item, dict) else None
        if not isinstance(movie, dict):
            kind = item.get("type") if isinstance(item, dict) else None
            out.append(ExportRow(position, "", None, None, 0, problem="not a movie", kind=kind or "unknown"))
            continue
        ids = movie.get("ids") or {}
        stars, problem = _stars(item.get("rating"), 10)
        out.append(
            ExportRow(
                line=position,
                title=str(movie.get("title") or "").strip(),
                year=_year(movie.get("year")),
                stars=stars,
                rated_at=_timestamp(item.get("rated_at")),
                imdb_id=_imdb(ids.get("imdb")),
                tmdb_id=_int(ids.get("tmdb")),
                problem=problem or (None if stars is not None else "no rating"),
            )
        )
    return out


def read_movielens(text: str) -> list[ExportRow]:
    rows = _dict_rows(text)
    users = {row.get("userid", "").strip() for _, row in rows}
    if len(users) > 1:
        raise InvalidInputError(
            f"the MovieLens file holds {len(users)} users; a profile is one person: keep one userId's rows"
        )
    out = []
    for line, row in rows:
        stars, problem = _stars(row.get("rating"), 5)
        movie_id = _int(row.get("movieid"))
        out.append(
            ExportRow(
                line, "", None, stars, _timestamp(row.get("timestamp")), movielens_id=movie_id,
                problem=problem or (None if movie_id else "movieId is not a number"),
            )
        )  # fmt: skip
    return out


def read_plain_csv(text: str) -> list[ExportRow]:
    out = []
    for line, row in _dict_rows(text):
        stars, problem = _stars(row.get("rating"), 5)
        out.append(
            ExportRow(
                line, row.get("title", "").strip(), _year(row.get("year")), stars, _timestamp(row.get("date")),
                imdb_id=_imdb(row.get("imdb_id")), movielens_id=_int(row.get("movie_id")), problem=problem,
            )
        )  # fmt: skip
    return out


READERS: dict[str, Callable[[str], list[ExportRow]]] = {
    "imdb": read_imdb,
    "letterboxd": read_letterboxd,
    "trakt": read_trakt,
    "movielens": read_movielens,
    "csv": read_plain_csv,
}
