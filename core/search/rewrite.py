"""Query rewrite for plot search: chat filler out, chat shorthand spelled out, self-corrections followed.

"that movie where a guy w/ scissors for hands..." is searched as "a guy with scissors for hands...":
the filler words match every document a little and the shorthand matches none. "a ring on a skeleton...
no wait, tiny people under the floor" is searched as "tiny people under the floor": what a person takes
back describes another film.
"""

from __future__ import annotations

import re

# Phrases that say "I am describing a film" and nothing about the film.
_FILLER = (
    r"(?:what(?:'s| is| was) )?(?:the|that|a|this) (?:movie|film|one|flick)"
    r"(?: (?:where|about|with|in which|when|that has|that had|from the \d0s))?",
    r"there(?:'s| is| was) (?:this|a) (?:movie|film|one)(?: (?:where|about|with))?",
    r"i (?:think|remember|recall|guess|believe)(?: that)?",
    r"(?:it|they) had",
    r"(?:can you|could you|pls|please) (?:find|help me find|name)",
    r"does anyone (?:know|remember)",
    r"what(?:'s| is| was) it called",
    r"(?:lol|idk|tbh|ngl|pls|plz|please|or something|something like that|kinda|sorta|like)",
)
_FILLER_RE = re.compile(r"\b(?:" + "|".join(_FILLER) + r")\b[,:]?", re.IGNORECASE)

# A person taking back what they just wrote: "no wait", "wait, no", "scratch that", "actually no", and a bare
# "no," right after an ellipsis ("a skeleton... no, the tiny people"); "no" elsewhere is plot ("no one").
_CORRECTION_RE = re.compile(
    r"(?:\bno,?\s+wait\b|\bwait,?\s+no\b|\bscratch that\b|\bactually,?\s+no\b"
    r"|(?:\.\.\.|…)\s*no(?=\s*[,.:;!-]))[\s,.:;!-]*",
    re.IGNORECASE,
)
MIN_CORRECTED_WORDS = 2  # a correction followed by less than this is not a new description

# Chat shorthand and the word it stands for.
_SHORTHAND = {
    "w/o": "without",
    "w/": "with",
    "thru": "through",
    "cuz": "because",
    "bc": "because",
    "gf": "girlfriend",
    "bf": "boyfriend",
    "lil": "little",
    "n": "and",
    "ur": "your",
    "u": "you",
    "yo": "year old",
    "yr": "year",
    "yrs": "years",
    "ppl": "people",
    "bday": "birthday",
    "ny": "new york",
    "nyc": "new york city",
    "ww2": "world war ii",
    "wwii": "world war ii",
    "ww1": "world war i",
    "wwi": "world war i",
}
_SHORTHAND_RE = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(_SHORTHAND, key=len, reverse=True)) + r")(?![\w/])",
    re.IGNORECASE,
)


def last_correction(text: str) -> str:
    """What follows the last self-correction in the text (the whole text when there is none, or when
    too little follows it to describe a film)."""
    ends = [m.end() for m in _CORRECTION_RE.finditer(text)]
    if not ends:
        return text
    after = text[ends[-1] :]
    return after if len(re.findall(r"\w+", after)) >= MIN_CORRECTED_WORDS else text


def rewrite_query(text: str) -> str:
    """The query after its last self-correction, without chat filler, shorthand spelled out; the original
    when nothing would be left."""
    spelled = _SHORTHAND_RE.sub(lambda m: _SHORTHAND[m.group(1).lower()], text)
    stripped = _FILLER_RE.sub(" ", last_correction(spelled))
    cleaned = re.sub(r"\s+", " ", re.sub(r"\s+([,.;!?])", r"\1", stripped)).strip(" ,.;:-")
    return cleaned if re.search(r"\w", cleaned) else text.strip()
