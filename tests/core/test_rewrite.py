"""The plot-search query rewrite: chat filler out, shorthand spelled out, never an empty query."""

from __future__ import annotations

import pytest

from core.search.lexical import content_words, match_expression
from core.search.rewrite import rewrite_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("that movie where a family of superheroes hides their powers", "a family of superheroes hides their powers"),
        ("the one about a rat who cooks in Paris", "a rat who cooks in Paris"),
        ("I think it had a girl in a bathhouse lol", "a girl in a bathhouse"),
        ("what's the movie with the guy stuck in an airport?", "the guy stuck in an airport?"),
        ("a man w/ scissors for hands n a lil town", "a man with scissors for hands and a little town"),
        ("pianist hides thru ww2 cuz hes jewish", "pianist hides through world war ii because hes jewish"),
        ("a hitman in NY takes in a girl", "a hitman in new york takes in a girl"),
        ("cops in nyc", "cops in new york city"),
        ("a heist inside dreams", "a heist inside dreams"),
    ],
)
def test_rewrite(query: str, expected: str) -> None:
    assert rewrite_query(query) == expected


def test_rewrite_keeps_a_query_that_is_all_filler() -> None:
    assert rewrite_query("  the one  ") == "the one"


def test_rewrite_leaves_words_that_merely_contain_shorthand() -> None:
    assert rewrite_query("a gunfight in a town") == "a gunfight in a town"


def test_content_words_drop_stopwords_and_repeats() -> None:
    assert content_words("The guy and the GUY's dog, a dog in 1950") == ["guy's", "dog", "1950"]


def test_match_expression_quotes_words_so_fts_syntax_is_text() -> None:
    assert match_expression('robots NOT "love" title:xy*') == '"robots" OR "love" OR "title" OR "xy"'
    assert match_expression("the a of") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "a ring on a skeleton... no wait, the one where tiny people live under the floor",
            "tiny people live under the floor",
        ),
        ("a dog that talks, wait, no, a cat that talks", "a cat that talks"),
        ("a spy in paris… no. a spy in rome", "a spy in rome"),
        ("scratch that, a man who lives on the moon", "a man who lives on the moon"),
        # the last correction wins
        ("a ring... no wait, toys that come alive... no, tiny people who borrow stuff", "tiny people who borrow stuff"),
    ],
)
def test_a_self_correction_keeps_what_follows_it(query: str, expected: str) -> None:
    assert rewrite_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "a girl... no one believes her about the ghost",  # "no one" is plot, not a correction
        "a world with no color where no one feels pain",
        "robots in space... no wait",  # nothing follows: the whole query stays
    ],
)
def test_no_that_is_plot_is_kept(query: str) -> None:
    assert rewrite_query(query) == query
