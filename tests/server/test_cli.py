"""The `movie-mcp` command in-process: call, info and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main


def test_call_prints_the_tools_json_result(synthetic_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(synthetic_db), "call", "search_movies", '{"query": "star voyage", "limit": 2}']) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["results"][0]["movie_id"] == 1 and len(result["results"]) == 2


def test_call_reports_tool_errors_on_stderr(synthetic_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(synthetic_db), "call", "get_user_ratings", '{"user_id": 99999}']) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "user 99999 does not exist" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "no_such_tool"], "unknown tool"),
        (["call", "search_movies", "{not json"], "not valid JSON"),
        (["call", "search_movies", "[1, 2]"], "JSON object"),
    ],
)
def test_call_rejects_bad_command_lines(
    synthetic_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["--db", str(synthetic_db), *argv]) == 2
    assert message in capsys.readouterr().err


def test_call_without_a_database_says_how_to_build_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "missing.db"), "call", "search_movies", '{"query": "x"}']) == 1
    assert "movie-mcp build" in capsys.readouterr().err


def test_info_reports_counts_coverage_models_and_engines(
    synthetic_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(synthetic_db), "info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counts"]["movies"] == 25 and info["coverage"]["embedding"] == 25
    assert {m["name"] for m in info["models"]} == {"als", "predictor", "ease", "ensemble"}
    assert info["engines"]["enrichment"] == "offline-rules-v1" and "implicit" in info["versions"]


def test_env_var_selects_the_database(
    synthetic_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVIE_MCP_DB", str(synthetic_db))
    assert main(["info"]) == 0
    assert json.loads(capsys.readouterr().out)["database"]["path"] == str(synthetic_db)
