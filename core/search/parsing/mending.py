"""Word forms and light typos mapped onto the parser's fixed vocabulary.

Only a word the parser would otherwise report as unknown is mended, so a known word is never
changed. Three tries, in order:
1. word forms: "flopped" → "flop", "animes" → "anime", "suspenseful" → "suspense",
   "documentarys" → "documentaries", "light-hearted" → "lighthearted";
2. two words that are one vocabulary word when joined ("light hearted", "heart warming");
3. a light typo: the vocabulary words within an optimal-string-alignment distance (a transposition
   counts as one edit) of 1 for words of 5+ letters and 2 for 8+ letters, sharing the first letter;
   the mend is made only when exactly one word is nearest ("thriler" → "thriller", "comdies" →
   "comedies"). Below 7 letters a substituted letter does not count as a typo (only a letter
   dropped, doubled or swapped: "horor", "scarry"), because short real words are often one
   substitution apart ("break" / "bleak"); words under 5 letters are never mended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

MIN_TYPO_LENGTH = 5
SUBSTITUTION_LENGTH = 7
TWO_EDITS_LENGTH = 8
# (suffix, replacement) pairs tried on an unknown word; an undoubled consonant is tried after "ed"/"ing".
_FORMS = (
    ("ys", "ies"),
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("ful", ""),
    ("ly", ""),
)


class WordMender:
    """Mends unknown words onto `vocabulary` (module docstring); `known` words are never targets of a typo."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if w.isalpha())
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            if len(word) >= MIN_TYPO_LENGTH - 1:
                self._by_initial.setdefault(word[0], []).append(word)

    def form(self, word: str) -> str | None:
        """The vocabulary word `word` is a form of, if any."""
        joined = word.replace("-", "")
        if joined != word and joined in self.vocabulary:
            return joined
        for suffix, replacement in _FORMS:
            if not joined.endswith(suffix) or len(joined) - len(suffix) < 3:
                continue
            stem = joined[: len(joined) - len(suffix)] + replacement
            if stem in self.vocabulary:
                return stem
            if suffix in ("ed", "ing") and len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in self.vocabulary:
                return stem[:-1]  # "flopped" → "flopp" → "flop"
        return None

    def join(self, first: str, second: str) -> str | None:
        """The vocabulary word two adjacent words make when written together ("light hearted")."""
        joined = first + second
        return joined if joined in self.vocabulary else None

    def typo(self, word: str) -> str | None:
        """The single nearest vocabulary word within the allowed distance, if there is exactly one."""
        if len(word) < MIN_TYPO_LENGTH or not word.isalpha():
            return None
        limit = 2 if len(word) >= TWO_EDITS_LENGTH else 1
        found = process.extract(
            word, self._by_initial.get(word[0], []), scorer=OSA.distance, score_cutoff=limit, limit=None
        )
        if not found:
            return None
        if len(word) < SUBSTITUTION_LENGTH:
            found = [f for f in found if Indel.distance(word, f[0]) <= 1 or sorted(word) == sorted(f[0])]
        if not found:
            return None
        best = min(distance for _, distance, _ in found)
        nearest = [candidate for candidate, distance, _ in found if distance == best]
        return nearest[0] if len(nearest) == 1 else None

    def mend(self, word: str) -> str | None:
        """A word form or typo correction of one word, else None."""
        return self.form(word) or self.typo(word)


def phrase_words(phrases: Iterable[str]) -> set[str]:
    """The single words of a list of phrases ("box office" → "box", "office")."""
    return {w for phrase in phrases for w in re.split(r"[\s-]+", phrase.lower()) if w}
