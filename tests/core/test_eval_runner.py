"""`movie-mcp eval`: section selection, skipping, the text tables and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InvalidInputError
from core.evaluation import SECTIONS, runner
from server.cli import main


def test_parse_sections() -> None:
    assert runner.parse_sections(None) == list(SECTIONS)
    assert runner.parse_sections("all") == list(SECTIONS)
    assert runner.parse_sections("coldstart, topn,topn") == ["coldstart", "topn"]
    with pytest.raises(InvalidInputError, match="sections are"):
        runner.parse_sections("topn,bogus")


def test_format_table_aligns_numbers_right_and_text_left() -> None:
    text = runner.format_table([{"model": "a", "ndcg": 0.5, "n": 3}, {"model": "longer", "ndcg": None, "n": 1200}])
    lines = text.splitlines()
    assert lines[0].split() == ["model", "ndcg", "n"]
    assert lines[2].startswith("a       ") and lines[2].endswith("0.5000      3")
    assert lines[3].endswith("—  1,200")


def test_a_missing_section_module_is_skipped_with_a_message(
    synthetic_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(runner.SECTIONS, "ghost", "core.evaluation.no_such_section")
    seen: list[tuple[str, str | None]] = []
    report = runner.run_eval(synthetic_db, ["ghost"], quick=True, on_section=lambda r, n, why: seen.append((n, why)))
    assert report.results == [] and "does not exist yet" in report.skipped["ghost"]
    assert seen == [("ghost", report.skipped["ghost"])]
    assert report.ratings > 0 and "skipped ghost" in runner.format_report(report)


def test_cli_eval_prints_tables_and_writes_json(
    synthetic_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "eval.json"
    code = main(["--db", str(synthetic_db), "eval", "--sections", "topn,coldstart", "--quick", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "== topn" in printed and "== coldstart" in printed and "== targets ==" in printed
    assert "ease-als-ensemble (default)" in printed
    data = json.loads(out.read_text())
    assert set(data["sections"]) == {"topn", "coldstart"} and data["quick"] is True
    assert data["machine"]["cores"] >= 1 and data["ratings"] > 0
    assert all(t["status"] in ("met", "NOT met") for t in data["targets"])


def test_cli_eval_without_a_database_says_how_to_build_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "missing.db"), "eval", "--out", str(tmp_path / "e.json")]) == 2
    assert "movie-mcp build" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "missing.db"), "eval", "--sections", "nope"]) == 2
