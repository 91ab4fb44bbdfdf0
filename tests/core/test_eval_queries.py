"""The "queries" and "semantic" eval sections: their committed sets, their metrics and their runs."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from core.data import sqlite
from core.evaluation import queries, semantic_search
from core.evaluation.base import EvalContext
from core.llm.config import LLMSettings
from core.search.query_parser import MovieFilters
from tests.synthetic import ROMANCE_IDS, SPACE_IDS

if TYPE_CHECKING:
    from core.search.embedder import Embedder
    from tests.llm_double import LLMDouble

NO_RATINGS = pd.DataFrame(columns=["user_id", "movie_id", "rating", "timestamp"])


# --------------------------------------------------------------------------------- queries


def test_committed_query_set_loads_and_validates() -> None:
    cases = queries.load_cases()  # every expected filter set goes through MovieFilters
    assert len(cases) >= 60
    texts = [c.query for c in cases]
    assert len(set(texts)) == len(texts)
    by_text = {c.query: c.expected for c in cases}
    assert by_text["action movies with high revenue and positive sentiment"] == MovieFilters(
        genres=["Action"], revenue_tiers=["high", "blockbuster"], sentiments=["positive"]
    )
    assert by_text["90s comedies for kids under 100 minutes"] == MovieFilters(
        genres=["Comedy"], min_year=1990, max_year=1999, target_audiences=["kids", "family"], max_runtime=100
    )
    # The set exercises every field group, not just genres.
    for group, fields in queries.FIELD_GROUPS.items():
        assert any(any(getattr(c.expected, f) not in (None, []) for f in fields) for c in cases), group


def test_committed_expectations_are_written_in_canonical_form() -> None:
    """Stored expectations equal their validated form, so the JSON reads as what is compared."""
    raw = json.loads(queries.DATA_PATH.read_text(encoding="utf-8"))["queries"]
    for item in raw:
        canonical = MovieFilters(**item["expected"]).model_dump(exclude_defaults=True)
        assert item["expected"] == canonical, item["query"]


def test_chat_splits_load_validate_and_do_not_overlap() -> None:
    splits = {name: queries.load_cases(path) for name, path in queries.SPLITS.items()}
    assert len(splits["test"]) >= 100 and len(splits["dev"]) >= 50
    texts = {name: {c.query for c in cases} for name, cases in splits.items()}
    assert not texts["test"] & texts["dev"] and not texts["test"] & texts["committed"]
    for name in ("dev", "test"):
        raw = json.loads(queries.SPLITS[name].read_text(encoding="utf-8"))["queries"]
        for item in raw:
            assert item["expected"] == MovieFilters(**item["expected"]).model_dump(exclude_defaults=True)
    # The test split holds the failures the parser was reported for.
    assert "family movies from the mid 90s that aren't animated" in texts["test"]
    assert "fantasy w/o any animation" in texts["test"]


def test_offline_parser_keeps_the_committed_set_exact() -> None:
    cases = queries.load_cases()
    row = queries.score(cases, queries._offline(cases))
    assert row["exact_match"] == queries.TARGET_COMMITTED_EXACT and row["inverted"] == 0


@pytest.mark.parametrize(
    ("expected", "produced", "inverted"),
    [
        (MovieFilters(exclude_genres=["Animation"]), MovieFilters(genres=["Animation"]), ["genres"]),
        (MovieFilters(genres=["Comedy"]), MovieFilters(exclude_genres=["Comedy"]), ["genres"]),
        (MovieFilters(genres=["Comedy"]), MovieFilters(genres=["Drama"]), []),  # wrong, not inverted
        (
            MovieFilters(target_audiences=["teens", "adults"]),
            MovieFilters(target_audiences=["kids", "family"]),
            ["audiences"],
        ),
        (MovieFilters(target_audiences=["teens"]), MovieFilters(target_audiences=["adults"]), []),
        (
            MovieFilters(sentiments=["positive", "neutral", "mixed"]),
            MovieFilters(sentiments=["negative"]),
            ["sentiments"],
        ),
        (MovieFilters(sentiments=["negative"]), None, []),  # left out, not inverted
        (MovieFilters(max_runtime=90), MovieFilters(min_runtime=90), ["runtime"]),
        (MovieFilters(min_revenue=5), MovieFilters(min_revenue=5, max_revenue=9), []),
    ],
)
def test_inversions_follow_the_documented_definition(
    expected: MovieFilters, produced: MovieFilters | None, inverted: list[str]
) -> None:
    assert queries.inversions(expected, produced) == inverted


def test_score_counts_exact_matches_and_involved_fields_only() -> None:
    cases = [
        queries.QueryCase("a", MovieFilters(genres=["Comedy"], min_year=1990, max_year=1999)),
        queries.QueryCase("b", MovieFilters(genres=["Horror"])),
        queries.QueryCase("c", MovieFilters(max_runtime=90)),
    ]
    produced = [
        MovieFilters(genres=["Comedy"], min_year=1990, max_year=1999),  # exact
        MovieFilters(genres=["Horror"], sentiments=["negative"]),  # an extra field
        None,  # parse error: nothing produced
    ]
    row = queries.score(cases, produced)
    assert row["queries"] == 3 and row["exact_match"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["inverted"] == 0
    assert row["genres"] == 1.0  # both queries with genres got them right
    assert row["years"] == 1.0
    assert row["sentiments"] == 0.0  # produced but not expected
    assert row["runtime"] == 0.0  # expected but not produced
    assert row["budget"] is None  # nobody asked, nobody set
    assert queries.differences(cases[2], None) == {"max_runtime": (90, None)}


def test_run_reports_every_split_and_an_unconfigured_llm() -> None:
    result = queries.run(EvalContext(db_path=Path("unused.db"), ratings=NO_RATINGS))
    *offline, llm = result.table
    assert [row["split"] for row in offline] == ["committed", "dev", "test"]
    assert all(row["engine"] == "offline-parser-v2" and isinstance(row["inverted"], int) for row in offline)
    assert [row["queries"] for row in offline] == [len(queries.load_cases(p)) for p in queries.SPLITS.values()]
    assert llm["status"] == "not configured" and llm["exact_match"] is None
    names = [t.target for t in result.targets]
    assert names == [
        "offline parser exact match, committed set",
        "offline parser exact match, test split",
        "offline parser inverted filters, all splits",
    ]
    assert result.targets[0].met  # the committed set stays exact


def test_run_asks_a_configured_llm_once_per_query(monkeypatch: pytest.MonkeyPatch, fake_llm: LLMDouble) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("MOVIE_MCP_LLM_MODEL", "fake-model")
    from_env = LLMSettings.from_env  # the environment configures the LLM; requests go to the in-process double
    monkeypatch.setattr(LLMSettings, "from_env", lambda: dataclasses.replace(from_env(), transport=fake_llm.transport))
    result = queries.run(EvalContext(db_path=Path("unused.db"), ratings=NO_RATINGS))
    llm = [row for row in result.table if row["engine"] == "llm:fake-model"]
    assert [row["split"] for row in llm] == ["committed", "dev", "test"]
    assert all(0.0 <= row["exact_match"] <= 1.0 for row in llm)
    assert len(fake_llm.requests) == sum(len(queries.load_cases(p)) for p in queries.SPLITS.values())


# -------------------------------------------------------------------------------- semantic


def test_committed_semantic_set_loads() -> None:
    cases = semantic_search.load_cases()
    assert len(cases) >= 30
    assert all(c.relevant and c.film for c in cases)
    assert len({c.query for c in cases}) == len(cases)
    # Descriptions paraphrase the plot; the film's title is never in its own query.
    for case in cases:
        title = case.film.split(" (")[0].lower()
        assert title not in case.query.lower(), case.film


def test_metrics_known_answers() -> None:
    case = semantic_search.SemanticCase("q", (1,))
    results = [
        semantic_search.CaseResult(case, (1, 2), 1),
        semantic_search.CaseResult(case, (2, 1), 2),
        semantic_search.CaseResult(case, (2, 3), None),
        semantic_search.CaseResult(case, (3, 4), None),
    ]
    assert semantic_search.metrics(results) == {"hit_rate": 0.5, "mrr": pytest.approx(0.375)}
    assert semantic_search.metrics([]) == {"hit_rate": None, "mrr": None}


def test_semantic_run_on_the_synthetic_database(synthetic_db: Path, embedder: Embedder) -> None:
    cases = [
        semantic_search.SemanticCase(
            "a pilot left alone on the red planet grows his own food", (SPACE_IDS[2],), "Mars"
        ),
        semantic_search.SemanticCase(
            "she organises weddings and falls in love with the bridegroom", (ROMANCE_IDS[2],), "Wedding"
        ),
        semantic_search.SemanticCase("a film that is not in the catalogue", (999_999,), "Missing"),
    ]
    result = semantic_search.run(EvalContext(db_path=synthetic_db, ratings=NO_RATINGS), cases, embedder)
    (row,) = result.table
    assert row["queries"] == 2  # the missing film is skipped, and said so
    assert row["hit_rate@10"] == 1.0 and 0.0 < row["mrr@10"] <= 1.0
    assert any("skipped 1" in note for note in result.notes)


def test_semantic_run_refuses_a_database_without_overviews(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    bare = tmp_path / "bare.db"
    shutil.copy(synthetic_db, bare)
    conn = sqlite.connect_sync(bare)
    with conn:
        conn.execute("UPDATE movies SET overview = NULL")
    conn.close()
    cases = [semantic_search.SemanticCase("a pilot stranded on Mars", (SPACE_IDS[2],), "Mars")]
    result = semantic_search.run(EvalContext(db_path=bare, ratings=NO_RATINGS), cases, embedder)
    (row,) = result.table
    assert row["status"] == "no overviews" and row["hit_rate@10"] is None
    assert any("not measured" in note for note in result.notes)
