"""The offline parser reading chat-style words: negation scope, word forms and typos, numbers, money, ranges."""

from __future__ import annotations

from typing import Any

import pytest

from core.search.parsing.mending import WordMender
from core.search.parsing.negation import rewrite_negations
from core.search.parsing.numbers import spell_digits, words_value
from core.search.query_parser import parse_query

M = 1_000_000
NOT_NEGATIVE = ["positive", "neutral", "mixed"]


def _set(query: str) -> dict[str, Any]:
    return parse_query(query).filters.model_dump(exclude_defaults=True)


# ------------------------------------------------------------------------------- negation


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # contractions negate what follows them: a genre is excluded, never required
        ("westerns that aren't animated", {"genres": ["Western"], "exclude_genres": ["Animation"]}),
        ("a comedy that isnt animated", {"genres": ["Comedy"], "exclude_genres": ["Animation"]}),
        ("fantasy w/o any animation", {"genres": ["Fantasy"], "exclude_genres": ["Animation"]}),
        ("anything but westerns", {"exclude_genres": ["Western"]}),
        ("war films other than documentaries", {"genres": ["War"], "exclude_genres": ["Documentary"]}),
        # a label list negated becomes the other labels
        ("animated films that aren't for kids", {"genres": ["Animation"], "target_audiences": ["teens", "adults"]}),
        ("a historical drama that isn't too sad", {"genres": ["Drama", "History"], "sentiments": NOT_NEGATIVE}),
        ("a western that doesn't have a sad ending", {"genres": ["Western"], "sentiments": NOT_NEGATIVE}),
        ("musicals that didn't flop", {"genres": ["Musical"], "revenue_tiers": ["medium", "high", "blockbuster"]}),
        # the negation reaches across fillers ...
        ("I don't want anything animated", {"exclude_genres": ["Animation"]}),
        ("not into westerns", {"exclude_genres": ["Western"]}),
        # ... carries over "or" / "nor" after it applied ...
        ("thrillers that aren't dark or depressing", {"genres": ["Thriller"], "sentiments": NOT_NEGATIVE}),
        ("neither westerns nor musicals", {"exclude_genres": ["Musical", "Western"]}),
        # ... and stops at punctuation, "and", "but" or a stop word: what follows is wanted again
        ("no horror, a thriller", {"exclude_genres": ["Horror"], "genres": ["Thriller"]}),
        ("not sad but a war movie", {"sentiments": NOT_NEGATIVE, "genres": ["War"]}),
        ("no musicals just westerns", {"exclude_genres": ["Musical"], "genres": ["Western"]}),
        ("no horror and comedies", {"exclude_genres": ["Horror"], "genres": ["Comedy"]}),
    ],
)
def test_negation_applies_to_its_target_only(query: str, expected: dict[str, Any]) -> None:
    assert _set(query) == expected


@pytest.mark.parametrize(
    ("query", "unknown"),
    [
        ("a western that isn't too long", "isn't too long"),  # no filter says "not long": reported, not guessed
        ("comedies that aren't gory", "aren't gory"),
        ("horror, but not", "not"),
    ],
)
def test_a_negation_without_a_filter_target_is_reported(query: str, unknown: str) -> None:
    parsed = parse_query(query)
    assert unknown in parsed.unknown_terms
    assert parsed.filters.min_runtime is None and not parsed.filters.exclude_genres


def test_or_after_a_wanted_phrase_does_not_negate() -> None:
    # "not dark" rules out negative; "happy or bittersweet" is wanted, not negated by the "or"
    assert _set("not dark, happy or bittersweet") == {"sentiments": ["positive", "mixed"]}
    assert _set("westerns or musicals") == {"genres": ["Musical", "Western"]}


def test_rewrite_negations() -> None:
    assert rewrite_negations("fantasy w/o animation") == "fantasy without animation"
    assert rewrite_negations("Anything but horror") == "not horror"
    assert rewrite_negations("a butler w/out gloves") == "a butler w/out gloves"  # only the phrases listed


# ---------------------------------------------------------------------- word forms and typos


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("movies that flopped", {"revenue_tiers": ["low"]}),
        ("westerns that bombed", {"genres": ["Western"], "revenue_tiers": ["low"]}),
        ("light-hearted westerns", {"genres": ["Western"], "sentiments": ["positive"]}),
        ("light hearted westerns", {"genres": ["Western"], "sentiments": ["positive"]}),
        ("documentarys", {"genres": ["Documentary"]}),
        ("animes", {"genres": ["Animation"]}),
        ("a suspenseful western", {"genres": ["Thriller", "Western"]}),
        ("comdies", {"genres": ["Comedy"]}),
        ("thriler", {"genres": ["Thriller"]}),
        ("westrens", {"genres": ["Western"]}),  # two letters swapped is one edit
        ("horor", {"genres": ["Horror"]}),
        ("thrilker", {"genres": ["Thriller"]}),  # a substituted letter, in a long word
    ],
)
def test_word_forms_and_light_typos_reach_the_vocabulary(query: str, expected: dict[str, Any]) -> None:
    parsed = parse_query(query)
    assert parsed.filters.model_dump(exclude_defaults=True) == expected
    assert parsed.unknown_terms == []


@pytest.mark.parametrize(
    "query",
    [
        "prison break movies",  # "break" is one substitution from "bleak", but a real short word
        "sappy movies",  # "happy" differs in the first letter
        "comedu",  # a substitution in a short word
        "zorblax",
    ],
)
def test_words_too_far_from_the_vocabulary_are_reported_not_guessed(query: str) -> None:
    parsed = parse_query(query)
    assert parsed.filters.is_empty()
    assert parsed.unknown_terms


def test_description_words_are_not_mended() -> None:
    parsed = parse_query("westerns about a prison breck")
    assert parsed.filters.model_dump(exclude_defaults=True) == {"genres": ["Western"]}
    assert parsed.remaining_text == "about a prison breck"


def test_mender_needs_a_single_nearest_word() -> None:
    mender = WordMender(["comedy", "comedies", "drama", "dramas", "bleak", "flop", "lighthearted"])
    assert mender.mend("comdies") == "comedies"
    assert mender.mend("flopped") == "flop"
    assert mender.join("light", "hearted") == "lighthearted"
    assert mender.mend("break") is None  # substitution in a short word
    assert mender.mend("drams") == "dramas"  # a dropped letter
    assert WordMender(["dramas", "dramat"]).typo("dramaz") is None  # two words equally near: no guess
    assert mender.typo("dram") is None  # under five letters


# --------------------------------------------------------------------------- numbers in words


def test_spell_digits_only_where_a_unit_follows() -> None:
    assert spell_digits("under ninety minutes") == "under 90 minutes"
    assert spell_digits("two and a half hours") == "2.5 hours"
    assert spell_digits("one hundred and twenty minutes") == "120 minutes"
    assert spell_digits("between ninety and 120 minutes") == "between 90 and 120 minutes"
    assert spell_digits("over half a billion") == "over 0.5 billion"
    assert spell_digits("a quarter of a billion") == "0.25 billion"
    assert spell_digits("the one about two brothers") == "the one about two brothers"
    assert words_value("twenty-five") == 25


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("westerns under ninety minutes", {"genres": ["Western"], "max_runtime": 90}),
        ("longer than two and a half hours", {"min_runtime": 150}),
        ("at least four stars", {"min_rating": 4.0}),
        ("a drama for my twelve year old", {"genres": ["Drama"], "target_audiences": ["kids", "family"]}),
        ("the one about two brothers", {}),
    ],
)
def test_numbers_in_words(query: str, expected: dict[str, Any]) -> None:
    assert _set(query) == expected


# ----------------------------------------------------------------------------- money phrases


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("films that made over half a billion", {"min_revenue": 500 * M}),
        ("movies that grossed more than a quarter of a billion", {"min_revenue": 250 * M}),
        ("made for under half a million", {"max_budget": 500_000}),
        ("a budget under $5M", {"max_budget": 5 * M}),
        ("a budget under 5 mil", {"max_budget": 5 * M}),
        ("movies that cost less than thirty million dollars", {"max_budget": 30 * M}),
        ("grossed over 2 billion dollars", {"min_revenue": 2000 * M}),
        ("budgeted at $40M or less", {"max_budget": 40 * M}),
    ],
)
def test_money_phrases(query: str, expected: dict[str, Any]) -> None:
    assert _set(query) == expected


# ------------------------------------------------------------------------------------ ranges


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("between 2 and 3 hours long", {"min_runtime": 120, "max_runtime": 180}),
        ("between 1 and 2 hours", {"min_runtime": 60, "max_runtime": 120}),
        ("90-120 minutes long", {"min_runtime": 90, "max_runtime": 120}),
        ("between ninety and 110 minutes", {"min_runtime": 90, "max_runtime": 110}),
        ("2.5 hours or longer", {"min_runtime": 150}),
        ("90 minutes or less", {"max_runtime": 90}),
        ("2+ hours long", {"min_runtime": 120}),
        ("grossed between 200 and 400 million", {"min_revenue": 200 * M, "max_revenue": 400 * M}),
        ("from between 1975 and 1985", {"min_year": 1975, "max_year": 1985}),
    ],
)
def test_ranges_and_open_bounds(query: str, expected: dict[str, Any]) -> None:
    assert _set(query) == expected
