"""Section "semantic": its six splits (committed, dev to dev4, test), one row per split, and --splits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from core.evaluation import semantic_search
from core.evaluation.base import EvalContext
from tests.synthetic import ROMANCE_IDS, SPACE_IDS

if TYPE_CHECKING:
    from core.search.embedder import Embedder

NO_RATINGS = pd.DataFrame(columns=["user_id", "movie_id", "rating", "timestamp"])


def test_semantic_splits_are_separate_and_untitled() -> None:
    splits = semantic_search.load_splits()
    assert set(splits) == {"committed", "dev", "dev2", "dev3", "dev4", "test"}
    assert (
        len(splits["test"]) >= 60
        and len(splits["dev"]) >= 30
        and len(splits["dev2"]) >= 40
        and len(splits["dev3"]) >= 60
        and len(splits["dev4"]) >= 60
    )
    queries = [c.query for cases in splits.values() for c in cases]
    assert len(set(queries)) == len(queries)  # no request is in two splits
    for case in splits["test"] + splits["dev"] + splits["dev2"] + splits["dev3"] + splits["dev4"]:
        assert case.relevant and case.film
        for film in case.film.split("; "):
            title = re.sub(r", (the|a|an)$", "", film.split(" (")[0].lower())
            assert not re.search(rf"\b{re.escape(title)}\b", case.query.lower()), case.film


def test_semantic_run_reports_every_split(
    synthetic_db: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    mars = semantic_search.SemanticCase(
        "a pilot left alone on the red planet grows his own food", (SPACE_IDS[2],), "Mars"
    )
    wedding = semantic_search.SemanticCase("she plans weddings and falls for the groom", (ROMANCE_IDS[2],), "Wedding")
    monkeypatch.setattr(semantic_search, "load_splits", lambda names=None: {"dev": [mars], "test": [wedding]})
    result = semantic_search.run(EvalContext(db_path=synthetic_db, ratings=NO_RATINGS), embedder=embedder)
    assert [row["split"] for row in result.table] == ["dev", "test"]
    assert all(row["queries"] == 1 for row in result.table)


def test_named_splits_leave_the_others_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    real = semantic_search.load_cases
    monkeypatch.setattr(semantic_search, "load_cases", lambda path: opened.append(path) or real(path))
    splits = semantic_search.load_splits(("committed", "dev2"))
    assert list(splits) == ["committed", "dev2"]
    assert semantic_search.SPLITS["test"] not in opened
    with pytest.raises(ValueError, match="unknown split"):
        semantic_search.load_splits(("committed", "tset"))
