from __future__ import annotations

import pytest

from core.data.normalize import fts_query, normalize_title, truncate


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Matrix", "matrix"),
        ("matrix", "matrix"),
        ("Amélie", "amelie"),
        ("Léon: The Professional", "leon the professional"),
        ("Se7en", "se7en"),
        ("The", "the"),  # a lone article is the whole title, so it stays
        ("Fast & Furious", "fast and furious"),
    ],
)
def test_normalize_title(title: str, expected: str) -> None:
    assert normalize_title(title) == expected


def test_fts_query_quotes_words_so_syntax_cannot_be_injected() -> None:
    assert fts_query('matrix" OR title:*') == '"matrix" "or" "title"*'
    assert fts_query("?!") is None


def test_truncate_cuts_at_a_word_and_marks_it() -> None:
    assert truncate("one two three four", 9) == "one two…"
    assert truncate("short", 10) == "short"
    assert truncate(None, 3) is None
