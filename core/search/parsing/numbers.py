"""Numbers written in words → digits, only where a unit or a numeric range makes them numbers.

"ninety minutes" → "90 minutes", "twenty-five million" → "25 million", "two and a half hours" →
"2.5 hours", "a hundred minutes" → "100 minutes", "half a billion" / "a quarter of a billion" →
"0.5 billion" / "0.25 billion", "between ninety and 120 minutes" → "between 90 and 120 minutes".
A number word with no unit after it ("the one about", "two brothers") is left alone: it is plot text.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_WORD = "(?:" + "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True)) + ")"
# "one hundred and twenty", "a hundred", "twenty-five", "ninety"
_NUMBER_WORDS = (
    rf"(?:(?:{_WORD}|a)[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?{_WORD}(?:[\s-]+{_WORD})?)?"
    rf"|{_WORD}(?:[\s-]+{_WORD})?)"
)
_UNIT_AFTER = (
    r"(?:\s*-?\s*(?:hours?|hrs?|h|minutes?|mins?|stars?|million|millions|billion|billions|thousand|mil|mm|bn|k"
    r"|bucks|dollars|years?[\s-]+olds?|out\s+of)(?![\w']))"
)
_HALF = r"(?P<half>\s+and\s+a\s+half)?"
_NUMERAL = r"(?:\d+(?:\.\d+)?)"
# A number word before a unit, or before "and/to/or <number> <unit>" (the first end of a range).
_SPELLED = re.compile(
    rf"(?<![\w'-])(?P<n>{_NUMBER_WORDS}){_HALF}(?=(?P<unit>{_UNIT_AFTER})"
    rf"|\s*(?:and|to|or|-)\s*(?:{_NUMERAL}|{_NUMBER_WORDS}){_UNIT_AFTER})",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"(?<![\w'-])(?:an?\s+)?(?P<f>half|quarter)\s+(?:of\s+)?(?:an?\s+)?(?P<u>million|billion|mil|bn)(?![\w'])",
    re.IGNORECASE,
)
_FRACTIONS = {"half": "0.5", "quarter": "0.25"}


def words_value(phrase: str) -> int:
    """The value of a phrase matched by `_NUMBER_WORDS` ("one hundred and twenty" → 120)."""
    total = 0
    for word in re.split(r"[\s-]+", phrase.lower()):
        if word == "hundred":
            total = max(total, 1) * 100
        elif word in _UNITS:
            total += _UNITS[word]
        elif word in _TENS:
            total += _TENS[word]
    return total


def _spelled(match: re.Match[str]) -> str:
    value: float = words_value(match.group("n"))
    if match.group("half"):
        value += 0.5
    return f"{value:g}"


def spell_digits(text: str) -> str:
    """`text` with numbers in words turned into digits where they count something (module docstring)."""
    text = _FRACTION.sub(lambda m: f"{_FRACTIONS[m.group('f').lower()]} {m.group('u')}", text)
    return _SPELLED.sub(_spelled, text)
