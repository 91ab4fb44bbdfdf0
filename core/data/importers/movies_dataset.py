"""Kaggle "The Movies Dataset" layout (`--from movies-dataset`).

Files: movies_metadata.csv (TMDB rows), links.csv or links_small.csv, ratings.csv or
ratings_small.csv, optionally movies.csv (MovieLens titles/genres) and tags.csv.

Ratings use MovieLens ids and metadata uses TMDB ids, so the only join is through the links table:
MovieLens movieId -> tmdbId -> metadata `id` (falling back to imdbId -> metadata `imdb_id`). Joining
on the raw numbers would give MovieLens 550 ("Threesome") the TMDB 550 row ("Fight Club").
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.genres import canonical_genres
from core.data.importers.base import Dataset, MovieRecord
from core.data.importers.default import load_movielens_catalogue
from core.data.importers.movielens import (
    RATINGS_FILE_COLUMNS,
    clean_ratings,
    coverage_note,
    format_imdb_id,
    keep_first,
    none_if_na,
    optional_int,
    pick_file,
    read_csv_checked,
    read_links,
    read_movielens_movies,
    read_tags_if_present,
    require_directory,
)
from core.errors import NotReadyError

logger = logging.getLogger(__name__)

SOURCE = "movies-dataset"
LAYOUT = (
    "movies_metadata.csv, links.csv or links_small.csv, ratings.csv or ratings_small.csv "
    "(optionally movies.csv and tags.csv)"
)
# The full links.csv is a superset of links_small.csv, so it wins when both are present. ratings.csv
# (26M rows in the Kaggle download) wins over ratings_small.csv for the same reason: a user who kept
# the big file meant to use it; delete or move it to build from the 100k sample.
LINKS_FILES = ("links.csv", "links_small.csv")
RATINGS_FILES = ("ratings.csv", "ratings_small.csv")
METADATA_REQUIRED = ("id", "imdb_id", "title")
METADATA_OPTIONAL = (
    "overview",
    "genres",
    "budget",
    "revenue",
    "runtime",
    "release_date",
    "original_language",
)


def _parse_genres(text: str) -> list[str] | None:
    """Kaggle genres are Python literals: "[{'id': 18, 'name': 'Drama'}]". None when unreadable."""
    text = text.strip()
    if not text:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, list):
        return None
    names = [item.get("name", "") for item in value if isinstance(item, dict)]
    return canonical_genres([n for n in names if isinstance(n, str)])


def _parse_collection(text: str) -> str | None:
    """Kaggle's belongs_to_collection is a Python literal dict: "{'id': 10194, 'name': 'Toy Story Collection'}"."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    name = value.get("name") if isinstance(value, dict) else None
    return name.strip() or None if isinstance(name, str) else None


def _optional_text(raw: pd.DataFrame, column: str, keep: pd.Series) -> list[str | None]:
    """A free-text column that older copies of the file may lack (then all unknown, without a note)."""
    if column not in raw.columns:
        return [None] * int(keep.sum())
    return [v.strip() or None if isinstance(v, str) else None for v in raw.loc[keep, column]]


def _clean_metadata(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Validate movies_metadata.csv (read as text) into typed columns; drop and count malformed rows.

    The real Kaggle file has rows shifted by a stray newline (ids like "1997-08-20", budgets like
    "/ff9qCepilowshEtG2GYWwzt2bs4.jpg"); any row whose id, budget, revenue or runtime is not a
    number is dropped.
    """
    notes: list[str] = []
    for col in METADATA_OPTIONAL:
        if col not in raw.columns:
            raw[col] = ""
            notes.append(f"movies_metadata.csv has no {col} column: left unknown")
    used = [*METADATA_REQUIRED, *METADATA_OPTIONAL] + (["original_title"] if "original_title" in raw else [])
    text = raw[used].apply(lambda column: column.str.strip())

    def numeric(col: str) -> pd.Series:
        return pd.to_numeric(text[col].where(text[col] != ""), errors="coerce")

    tmdb_id = numeric("id")
    budget, revenue, runtime = numeric("budget"), numeric("revenue"), numeric("runtime")
    bad = tmdb_id.isna() | (tmdb_id % 1 != 0)
    for col, values in (("budget", budget), ("revenue", revenue), ("runtime", runtime)):
        bad |= values.isna() & (text[col] != "")
    genres = [_parse_genres(g) for g in text["genres"]]
    bad |= pd.Series([g is None for g in genres], index=text.index)
    if bad.any():
        notes.append(
            f"movies_metadata.csv: skipped {int(bad.sum()):,} malformed rows "
            "(non-numeric id, budget, revenue or runtime, or unreadable genres)"
        )
    keep = ~bad
    release = pd.to_datetime(text.loc[keep, "release_date"], format="%Y-%m-%d", errors="coerce")
    meta = pd.DataFrame(
        {
            "tmdb_id": tmdb_id[keep].astype("int64"),
            "imdb_id": [format_imdb_id(v) for v in text.loc[keep, "imdb_id"]],
            "title": text.loc[keep, "title"].replace("", None),
            "overview": text.loc[keep, "overview"].replace("", None),
            "genres": [g for g, k in zip(genres, keep, strict=True) if k],
            # 0 is Kaggle's "unknown"; negative values are noise.
            "budget": budget[keep].where(budget[keep] > 0).astype("Int64"),
            "revenue": revenue[keep].where(revenue[keep] > 0).astype("Int64"),
            "runtime": runtime[keep].where(runtime[keep] > 0),
            "release_date": release.dt.strftime("%Y-%m-%d"),
            "year": release.dt.year.astype("Int64"),
            "language": text.loc[keep, "original_language"].replace("", None),
            "tagline": _optional_text(raw, "tagline", keep),
            "collection": [_parse_collection(v or "") for v in _optional_text(raw, "belongs_to_collection", keep)],
        }
    )
    if "original_title" in text.columns:
        meta["title"] = meta["title"].fillna(text.loc[keep, "original_title"].replace("", None))
    meta = keep_first(meta, "tmdb_id", "movies_metadata.csv", "TMDB ids", notes)
    return meta.reset_index(drop=True), notes


def _join_links(links: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Attach one metadata row to each links row: by tmdbId, else by imdbId. Never by movieId."""
    notes: list[str] = []
    meta_cols = [c for c in meta.columns if c not in ("tmdb_id", "imdb_id")]
    by_tmdb = links.merge(meta.rename(columns={"imdb_id": "meta_imdb_id"}), on="tmdb_id", how="left", indicator=True)
    via_tmdb = by_tmdb["_merge"] == "both"
    by_tmdb = by_tmdb.drop(columns="_merge")

    # Fallback: links rows with no or an unknown tmdbId, matched on the IMDb id.
    unmatched = by_tmdb.loc[~via_tmdb, ["movie_id", "imdb_id", "tmdb_id"]]
    meta_by_imdb = meta.dropna(subset=["imdb_id"]).drop_duplicates("imdb_id", keep="first")
    by_imdb = unmatched.dropna(subset=["imdb_id"]).merge(
        meta_by_imdb.rename(columns={"tmdb_id": "meta_tmdb_id"}), on="imdb_id", how="inner"
    )
    by_imdb["tmdb_id"] = by_imdb["meta_tmdb_id"].astype("Int64")
    by_imdb = by_imdb.drop(columns="meta_tmdb_id")

    matched_tmdb = by_tmdb[via_tmdb].copy()
    # Prefer the metadata's own IMDb id; the links one is the fallback.
    matched_tmdb["imdb_id"] = matched_tmdb["meta_imdb_id"].fillna(matched_tmdb["imdb_id"])
    matched_tmdb = matched_tmdb.drop(columns="meta_imdb_id")
    rest = unmatched[~unmatched["movie_id"].isin(by_imdb["movie_id"])]
    for col in meta_cols:
        rest = rest.assign(**{col: None})
    joined = pd.concat(
        [matched_tmdb.assign(match="tmdb"), by_imdb.assign(match="imdb"), rest.assign(match="none")],
        ignore_index=True,
    )
    n_tmdb, n_imdb, n_none = len(matched_tmdb), len(by_imdb), len(rest)
    notes.append(
        f"links -> metadata: {n_tmdb:,} matched by tmdbId, {n_imdb:,} by imdbId, {n_none:,} without a metadata row"
    )
    used = pd.concat([matched_tmdb["tmdb_id"], by_imdb["tmdb_id"]]).dropna().astype("int64")
    shared = int(used.duplicated().sum())
    if shared:
        notes.append(f"links -> metadata: {shared:,} metadata rows are claimed by more than one movieId")
    orphans = int((~meta["tmdb_id"].isin(used)).sum())
    if orphans:
        notes.append(f"movies_metadata.csv: {orphans:,} rows have no links entry and are not used")
    return joined, notes


def load_movies_dataset(directory: Path) -> Dataset:
    """Load a Kaggle "The Movies Dataset" folder into a `Dataset`, joined through the links table.

    Movies are the links rows with a metadata row, plus rated links rows without one when a title
    can be found (movies.csv in the folder, else the embedded MovieLens catalogue); the rest are
    dropped and counted in the notes, with their ratings.
    """
    directory = require_directory(directory, SOURCE, LAYOUT)
    notes: list[str] = []
    files = _pick_files(directory)
    notes.append(f"movies-dataset: {files.metadata.name}, {files.links.name}, {files.ratings.name} from {directory}")
    joined, raw_ratings = _read_and_join(files, notes)
    joined = _keep_titled_movies(joined, raw_ratings, directory, notes)

    records = [_record(row) for row in joined.itertuples(index=False)]
    catalogue = pd.Index(joined["movie_id"].astype("int64"))
    ratings, rating_notes = clean_ratings(raw_ratings, catalogue, files.ratings.name)
    notes += rating_notes
    # The Kaggle download ships no tags.csv, so its absence gets no note.
    tags, tag_notes = read_tags_if_present(directory, catalogue, SOURCE, LAYOUT)
    notes += tag_notes

    notes.append(
        coverage_note(
            records,
            ("overview", "budget", "revenue", "runtime", "release_date"),
            "no MPAA ratings in this source",
        )
    )
    notes.insert(1, f"{len(records):,} movies in the catalogue")
    logger.info("loaded %s: %d movies, %d ratings", directory, len(records), len(ratings))
    return Dataset(source=SOURCE, movies=records, ratings=ratings, tags=tags, notes=notes)


@dataclass(frozen=True)
class _Files:
    """The three files a movies-dataset folder must have, as chosen among the accepted names."""

    metadata: Path
    links: Path
    ratings: Path


def _pick_files(directory: Path) -> _Files:
    return _Files(
        metadata=pick_file(directory, ["movies_metadata.csv"], SOURCE, LAYOUT),
        links=pick_file(directory, LINKS_FILES, SOURCE, LAYOUT),
        ratings=pick_file(directory, RATINGS_FILES, SOURCE, LAYOUT),
    )


def _read_and_join(files: _Files, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the three files, clean the metadata and join it to the links; (joined links, raw ratings).

    What was skipped or matched is appended to `notes`, in reading order.
    """
    raw_meta = read_csv_checked(
        files.metadata, METADATA_REQUIRED, SOURCE, LAYOUT, dtype=str, keep_default_na=False, low_memory=False
    )
    meta, meta_notes = _clean_metadata(raw_meta)
    notes += meta_notes
    links, link_notes = read_links(files.links, SOURCE, LAYOUT)
    notes += link_notes
    raw_ratings = read_csv_checked(files.ratings, RATINGS_FILE_COLUMNS, SOURCE, LAYOUT)
    joined, join_notes = _join_links(links, meta)
    notes += join_notes
    return joined, raw_ratings


def _keep_titled_movies(
    joined: pd.DataFrame, raw_ratings: pd.DataFrame, directory: Path, notes: list[str]
) -> pd.DataFrame:
    """The catalogue's rows: links rows with metadata, plus rated ones without it that a title can be found for.

    A links row without metadata is worth keeping only if someone rated it and a title exists.
    """
    rated = pd.Index(pd.to_numeric(raw_ratings["movieId"], errors="coerce").dropna().astype("int64").unique())
    bare = joined["match"] == "none"
    joined = joined[~bare | joined["movie_id"].isin(rated)].reset_index(drop=True)
    bare = joined["match"] == "none"
    joined["ml_genres"] = None
    if bare.any():
        joined, fill_notes = _fill_from_movielens(joined, bare, directory)
        notes += fill_notes
    untitled = joined["title"].isna()
    if untitled.any():
        notes.append(f"dropped {int(untitled.sum()):,} rated movies with no title anywhere (their ratings too)")
        joined = joined[~untitled]
    return joined


def _fill_from_movielens(joined: pd.DataFrame, bare: pd.Series, directory: Path) -> tuple[pd.DataFrame, list[str]]:
    """Title, year and genres for rated movies that have no metadata row.

    movies.csv in the folder is the user's own MovieLens catalogue and wins; the embedded
    MovieLens catalogue (same MovieLens ids) covers the ml-latest-small films otherwise.
    """
    notes: list[str] = []
    lookups: list[tuple[str, pd.DataFrame]] = []
    movies_path = directory / "movies.csv"
    if movies_path.is_file():
        movies, movie_notes = read_movielens_movies(movies_path, SOURCE, LAYOUT)
        notes += movie_notes
        lookups.append(("movies.csv", movies))
    try:
        lookups.append(("the embedded MovieLens catalogue", load_movielens_catalogue()))
    except NotReadyError as exc:  # the fallback is a nicety; without it only these few titles are lost
        notes.append(f"embedded MovieLens catalogue unavailable ({exc})")

    joined = joined.copy()
    for label, table in lookups:
        need = bare & joined["title"].isna()
        if not need.any():
            break
        found = joined.loc[need, ["movie_id"]].merge(table, on="movie_id", how="inner")
        if found.empty:
            continue
        by_id = found.set_index("movie_id")
        rows = joined.index[need & joined["movie_id"].isin(by_id.index)]
        ids = joined.loc[rows, "movie_id"]
        joined.loc[rows, "title"] = ids.map(by_id["title"]).to_numpy()
        joined.loc[rows, "year"] = ids.map(by_id["year"]).to_numpy()
        joined.loc[rows, "ml_genres"] = pd.Series(ids.map(by_id["genres"]).to_numpy(), index=rows)
        notes.append(f"{len(rows):,} rated movies without a metadata row were titled from {label}")
    return joined, notes


def _record(row: Any) -> MovieRecord:
    """One joined row (a namedtuple from itertuples) as a MovieRecord; pandas blanks become None."""
    genres = none_if_na(row.genres) or none_if_na(row.ml_genres) or []
    runtime = none_if_na(row.runtime)
    return MovieRecord(
        movie_id=int(row.movie_id),
        title=str(row.title),
        year=optional_int(row.year),
        genres=list(genres),
        imdb_id=none_if_na(row.imdb_id),
        tmdb_id=optional_int(row.tmdb_id),
        overview=none_if_na(row.overview),
        budget=optional_int(row.budget),
        revenue=optional_int(row.revenue),
        runtime=float(runtime) if runtime is not None else None,
        release_date=none_if_na(row.release_date),
        language=none_if_na(row.language),
        tagline=none_if_na(row.tagline),
        collection=none_if_na(row.collection),
    )
