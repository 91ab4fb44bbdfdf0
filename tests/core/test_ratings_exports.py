"""Reading and matching the hand-made export fixtures (tests/fixtures/profiles) against a small catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.data.importers.ratings_exports import decode, detect_format, read_export
from core.errors import InvalidInputError
from core.profiles.matching import CatalogueIndex
from core.profiles.names import validate_name
from core.profiles.service import match_all

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"


@pytest.fixture(scope="module")
def index() -> CatalogueIndex:
    with (FIXTURES / "catalogue.csv").open(encoding="utf-8") as f:
        rows = [
            {**r, "movie_id": int(r["movie_id"]), "year": int(r["year"]), "tmdb_id": int(r["tmdb_id"])}
            for r in csv.DictReader(f)
        ]
    return CatalogueIndex.from_rows(rows)


# file, format, rows, matched, unmatched, duplicates, movies kept
EXPECTED = [
    ("imdb_ratings.csv", "imdb", 24, 20, 4, 1, 19),
    ("letterboxd_ratings.csv", "letterboxd", 30, 27, 3, 1, 26),
    ("letterboxd_watched.csv", "letterboxd", 5, 4, 1, 0, 4),
    ("trakt_ratings.json", "trakt", 10, 8, 2, 1, 7),
    ("movielens_ratings.csv", "movielens", 11, 9, 2, 1, 8),
    ("plain.csv", "csv", 11, 8, 3, 0, 8),
]


@pytest.mark.parametrize(("name", "fmt", "rows", "matched", "unmatched", "duplicates", "kept"), EXPECTED)
def test_fixture_counts(
    index: CatalogueIndex, name: str, fmt: str, rows: int, matched: int, unmatched: int, duplicates: int, kept: int
) -> None:
    parsed = read_export((FIXTURES / name).read_bytes())
    assert parsed.format == fmt
    hits, missed, newest = match_all(index, parsed.rows)
    assert (len(parsed.rows), len(hits), len(missed), len(hits) - len(newest), len(newest)) == (
        rows, matched, unmatched, duplicates, kept,
    )  # fmt: skip


def _by_movie(index: CatalogueIndex, name: str) -> dict[int, float | None]:
    _, _, newest = match_all(index, read_export((FIXTURES / name).read_bytes()).rows)
    return {mid: m.row.stars for mid, m in newest.items()}


def test_ten_point_scales_are_halved_and_the_newest_rating_wins(index: CatalogueIndex) -> None:
    imdb = _by_movie(index, "imdb_ratings.csv")
    assert imdb[1] == 5.0 and imdb[356] == 3.0  # 10 -> 5, 6 -> 3
    assert imdb[2571] == 5.0  # the 2023 row (10) beats the 2021 one (9)
    trakt = _by_movie(index, "trakt_ratings.json")
    assert trakt[2571] == 5.0 and trakt[1721] == 1.5  # the 2019 Matrix rating (6) is older than the 10


def test_titles_match_through_articles_accents_akas_and_a_year_off(index: CatalogueIndex) -> None:
    plain = _by_movie(index, "plain.csv")
    assert {2571, 4973, 47, 260, 2959, 1721, 1214, 1200} == set(plain)  # Matrix, amelie, Seven a.k.a., ...
    letterboxd = _by_movie(index, "letterboxd_ratings.csv")
    assert letterboxd[4973] == 3.5  # "Amélie" in Windows-1252
    assert letterboxd[2424] == 1.0  # "You’ve Got Mail" with a curly apostrophe
    assert letterboxd[5881] == 3.5  # Solaris 2002, not 1972
    assert letterboxd[1411] == 3.0  # Hamlet 1997: only the 1996 one is a year off
    assert letterboxd[2571] == 4.5  # the 2022 rating, not the 2020 "Matrix, The"


def test_unmatched_rows_say_why(index: CatalogueIndex) -> None:
    _, missed, _ = match_all(index, read_export((FIXTURES / "imdb_ratings.csv").read_bytes()).rows)
    reasons = {m.row.title: m.how for m in missed}
    assert reasons["Breaking Bad"] == "not a movie (tvSeries)"
    assert "no movie titled 'Some Obscure Film' (2011)" in reasons["Some Obscure Film"]
    assert "only from" in reasons["Hamlet"]  # 1998 is two years from every Hamlet: no guess
    assert "outside 1–10" in reasons["Dirty Dancing"]
    _, missed, _ = match_all(index, read_export((FIXTURES / "plain.csv").read_bytes()).rows)
    reasons = {m.row.title: m.how for m in missed}
    assert reasons["Hamlet"].startswith("3 movies are titled")
    assert "not a number" in reasons["Pulp Fiction"]


def test_watched_rows_have_no_stars(index: CatalogueIndex) -> None:
    assert set(_by_movie(index, "letterboxd_watched.csv").values()) == {None}


def test_encodings_and_detection() -> None:
    assert decode("Amélie".encode("cp1252")) == ("Amélie", "cp1252")
    assert decode("\ufeffAmélie".encode()) == ("Amélie", "utf-8-sig")
    assert detect_format("userId,movieId,rating,timestamp\n") == "movielens"
    with pytest.raises(InvalidInputError, match="cannot tell the format"):
        detect_format("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInputError, match="holds 2 users"):
        read_export(b"userId,movieId,rating,timestamp\n1,1,4,0\n2,1,4,0\n")


@pytest.mark.parametrize("bad", ["", "1", "12", "../etc", "a/b", "x'; DROP TABLE profiles;--", "a..b", "x" * 41, " ab"])
def test_profile_names_are_validated(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid profile name"):
        validate_name(bad)


def test_valid_profile_names() -> None:
    assert validate_name("alice") == "alice" and validate_name("Bob_2.x-y") == "Bob_2.x-y"
