"""`movie-mcp profile import|list|show|export|delete` on the synthetic catalogue, and a rebuild that keeps them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.search.embedder import Embedder
from server.cli import main

RATINGS = """Const,Your Rating,Date Rated,Title,Title Type,Year
tt1000001,10,2024-01-01,The Star Voyage,movie,1990
tt1000002,9,2024-01-02,Star Voyage 2,movie,1991
tt0000000,8,2024-01-03,Star Voyage 3,movie,1992
tt9999998,2,2024-01-04,Amélie's Summer,movie,2000
tt9999999,7,2024-01-05,Unheard Of,movie,1999
tt1000001,6,2023-01-01,The Star Voyage,movie,1990
"""


@pytest.fixture
def env(tmp_path: Path, synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOVIE_MCP_PROFILES", str(tmp_path / "profiles.db"))
    (tmp_path / "imdb.csv").write_text(RATINGS, encoding="utf-8")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "profile", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_reports_matches_writes_unmatched_rows_and_is_idempotent(
    env: Path, synthetic_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, synthetic_db, "import", str(env / "imdb.csv"), "--name", "kim")
    report = json.loads(out)
    assert code == 0 and report["format"] == "imdb"
    assert (report["rows"], report["matched"], report["unmatched"], report["duplicates"]) == (6, 5, 1, 1)
    assert report["matched_by"] == {"imdb id": 3, "title+year": 2} and report["added"] == 4
    assert "5 matched" in err and "1 unmatched" in err
    unmatched = Path(report["unmatched_file"]).read_text(encoding="utf-8")
    assert "Unheard Of" in unmatched and "no movie titled" in unmatched
    _, out, _ = _run(capsys, synthetic_db, "import", str(env / "imdb.csv"), "--name", "KIM")
    again = json.loads(out)
    assert (again["profile"], again["added"], again["updated"]) == ("kim", 0, 0)  # the same file changes nothing


def test_newer_ratings_win_and_watched_never_erases_stars(
    env: Path, synthetic_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, synthetic_db, "import", str(env / "imdb.csv"), "--name", "kim")
    (env / "newer.csv").write_text("title,year,rating,date\nThe Star Voyage,1990,2,2025-01-01\n", encoding="utf-8")
    (env / "older.csv").write_text("title,year,rating,date\nStar Voyage 2,1991,1,2020-01-01\n", encoding="utf-8")
    (env / "watched.csv").write_text(
        "Date,Name,Year,Letterboxd URI\n2025-02-01,Star Voyage 3,1992,u\n", encoding="utf-8"
    )
    for name in ("newer.csv", "older.csv", "watched.csv"):
        assert _run(capsys, synthetic_db, "import", str(env / name), "--name", "kim")[0] == 0
    _, out, _ = _run(capsys, synthetic_db, "show", "kim")
    stars = {r["movie_id"]: r["rating"] for r in json.loads(out)["newest"]}
    assert stars == {1: 2.0, 2: 4.5, 3: 4.0, 101: 1.0}


def test_list_show_export_and_delete(env: Path, synthetic_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, synthetic_db, "import", str(env / "imdb.csv"), "--name", "kim")
    _, out, _ = _run(capsys, synthetic_db, "list")
    assert [(p["name"], p["rated"], p["watched"]) for p in json.loads(out)["profiles"]] == [("kim", 4, 0)]
    _, exported, _ = _run(capsys, synthetic_db, "export", "kim")
    assert exported.splitlines()[0] == "title,year,rating,date,imdb_id,movie_id" and len(exported.splitlines()) == 5
    (env / "exported.csv").write_text(exported, encoding="utf-8")
    _, out, _ = _run(capsys, synthetic_db, "import", str(env / "exported.csv"), "--name", "copy")
    assert json.loads(out)["matched_by"] == {"movielens id": 4}  # an export re-imports exactly
    code, out, _ = _run(capsys, synthetic_db, "delete", "kim")
    assert code == 0 and json.loads(out) == {"profile": "kim", "deleted_ratings": 4}
    code, _, err = _run(capsys, synthetic_db, "show", "kim")
    assert code == 1 and "no profile named 'kim' (profiles: copy)" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "FILE", "--name", "../evil"], "invalid profile name"),
        (["import", "missing.csv", "--name", "ok"], "no file at"),
        (["show", "x;DROP"], "invalid profile name"),
    ],
)
def test_bad_names_and_files_are_clear_errors(
    env: Path, synthetic_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [str(env / "imdb.csv") if a == "FILE" else str(env / a) if a.endswith(".csv") else a for a in argv]
    code, _, err = _run(capsys, synthetic_db, *argv)
    assert code == 1 and message in err
    assert not (env / "evil").exists() and not (env.parent / "evil").exists()


def test_a_rebuild_keeps_the_profile_and_reports_movies_that_left_the_catalogue(
    tmp_path: Path, synthetic_db: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.data.build import build_from_dataset
    from core.models.als import AlsParams
    from core.models.biased_mf import BiasedMFParams
    from tests.synthetic import make_dataset

    db = tmp_path / "db" / "movies.db"
    db.parent.mkdir()
    shutil.copy(synthetic_db, db)  # profiles.db goes beside it, as for db/movies.db
    (tmp_path / "imdb.csv").write_text(RATINGS, encoding="utf-8")
    _run(capsys, db, "import", str(tmp_path / "imdb.csv"), "--name", "kim")
    before = main(["--db", str(db), "call", "predict_rating", '{"user_id": "kim", "movie_id": 5}'])
    predicted = json.loads(capsys.readouterr().out)["predicted_rating"]
    dataset = make_dataset()
    dataset.movies = [m for m in dataset.movies if m.movie_id != 2]  # a movie the new source lacks
    dataset.ratings = dataset.ratings[dataset.ratings["movie_id"] != 2]
    build_from_dataset(
        db, dataset, embedder=embedder, als_params=AlsParams(factors=8, regularization=1.0, alpha=1.0, iterations=30),
        predictor_params=BiasedMFParams(factors=4, reg_factors=0.1, epochs=20),
    )  # fmt: skip
    assert (db.parent / "profiles.db").exists()
    _, out, _ = _run(capsys, db, "show", "kim")
    shown = json.loads(out)
    assert shown["rated"] == 4 and shown["missing_from_catalogue"] == [
        {"movie_id": 2, "title": "Star Voyage 2", "year": 1991}
    ]
    assert before == 0 and main(["--db", str(db), "call", "predict_rating", '{"user_id": "kim", "movie_id": 5}']) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["ratings_used"] == 3 and abs(after["predicted_rating"] - predicted) < 1.0
