"""The words that negate and the words a negation reaches across, so "not" finds what it negates.

A negation waits for the next phrase a rule recognises and applies to it ("aren't animated" →
exclude Animation, "isn't too sad" → every sentiment but negative). It reaches across the fillers
below ("don't want anything scary", "not into musicals", "doesn't have a sad ending") and carries
over "or"/"nor" to the next phrase ("not dark or depressing", "neither animated nor romantic").
Anything else (a stop word such as "just", punctuation, an unknown word) ends it; a negation that
reached nothing is reported as an unknown term, never dropped and never turned into a wanted filter.
"""

from __future__ import annotations

import re

NEGATORS = frozenset(
    {
        "not", "no", "nothing", "without", "except", "excluding", "exclude", "non", "never", "minus", "neither",
        "nor", "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "don't", "dont",
        "doesn't", "doesnt", "didn't", "didnt", "won't", "wont", "shouldn't", "can't", "cant", "hate", "avoid",
        "skip",
    }
)  # fmt: skip
# Words between a negation and its target that keep it waiting.
FILLERS = frozenset(
    {
        "a", "an", "any", "the", "too", "very", "so", "really", "overly", "super", "that", "all", "at", "be",
        "into", "want", "wanna", "need", "like", "have", "has", "having", "include", "including", "anything",
        "something", "stuff", "with", "it", "is", "are", "was", "were", "even", "particularly", "remotely",
        "in", "of", "for", "more", "movies", "movie", "films", "film", "ones", "one", "please", "pls",
    }
)  # fmt: skip
# Words that carry a negation that has just applied over to the next phrase.
CHAIN = frozenset({"or", "nor"})
# The same negations as a regex alternation, for rules that match a negated phrase whole.
NEGATION_ALT = (
    r"(?:but\s+)?(?:not|no|nothing|without|except|excluding|exclude|non|never|minus|neither"
    r"|(?:is|are|was|were|do|does|did)n'?t)"
)
# Phrases that mean a negation but are not written as one; rewritten to "not" before reading.
_NEGATION_PHRASES = re.compile(
    r"(?<![\w'])(?:(?:anything|everything|any\s+genre)\s+(?:but|except|other\s+than)|other\s+than)(?![\w'])"
    r"|(?<![\w/])w/o(?![\w/])",
    re.IGNORECASE,
)


def rewrite_negations(text: str) -> str:
    """ "w/o X" → "without X", "anything but X" / "other than X" → "not X"."""
    return _NEGATION_PHRASES.sub(lambda m: "without" if m.group().lower() == "w/o" else "not", text)
