"""Typo-tolerant lexical search: a query word the plot-search index does not hold is mended onto the
closest word the documents do hold ("robbot" → "robot", "possesed" → "possessed").

BM25 matches words exactly, so one typo'd word in a chat query matches nothing and its meaning is lost. The
vocabulary is the documents' words as written (lower-cased, accents dropped, as FTS5's unicode61 tokenizer
reads them) with the number of documents holding each: the index itself (fts5vocab) holds porter stems, and a
typo is closer to the word as written ("scisors" is one edit from "scissors", two from the stem "scissor"). A
word is never mended when the index holds it, as written or by its stem ("dreamed" when only "dream" and
"dreams" are written): `Speller.unknown` lists what the caller must check against the index itself. Nor is a
real English word the documents lack ("sweater", "maple", "token"): mending it onto a rare neighbour
("swelter", "male", "taken") would search another word. The list of real words is the whole words of the
embedding model's vocabulary (`embedder.model_words`). Only letters-only words of MIN_LENGTH or more are
mended, onto words with the same first letter within an optimal-string-alignment distance (a transposition is
one edit) of 1, or 2 from TWO_EDITS_LENGTH letters; the nearest wins, then the one in most documents, and no
mend is made when another word as near is nearly as common (a tie is a guess).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 4
TWO_EDITS_LENGTH = 8
# A rival as near as the best candidate and in at least this share of its documents makes the mend a guess.
TIE_SHARE = 0.5
_TOKEN = re.compile(r"[^\W\d_]+")  # unicode61 splits at anything not a letter or digit; digits are never mended


def fold(word: str) -> str:
    """The word lower-cased without accents, as the index's tokenizer stores it."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def document_frequencies(texts: Iterable[str]) -> Counter[str]:
    """word -> how many of the texts hold it (each text one document)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({fold(word) for word in _TOKEN.findall(text)})
    return counts


def allowed_edits(word: str) -> int:
    """How many edits a mend of `word` may make (0: never mended)."""
    if len(word) < MIN_LENGTH or not word.isalpha():
        return 0
    return 2 if len(word) >= TWO_EDITS_LENGTH else 1


class Speller:
    """Mends words onto a document vocabulary (module docstring). Built once per database."""

    def __init__(self, frequencies: Mapping[str, int], real_words: Iterable[str] = ()) -> None:
        self.frequencies = dict(frequencies)
        self.real_words = frozenset(real_words)  # words that are no typo, whether or not a document has them
        # (first letter, length) -> words: a mend looks only at words whose length is within its edits.
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        for word in self.frequencies:
            self._by_shape.setdefault((word[0], len(word)), []).append(word)

    def unknown(self, words: Iterable[str]) -> list[str]:
        """The words that could be mended: long enough and not written in any document. Whether the
        index holds them by their stem is for the caller to ask the index."""
        return [w for w in words if self._mendable(fold(w))]

    def nearest(self, word: str) -> str | None:
        """The document word `word` is a typo of, or None when there is none or it is a guess."""
        word = fold(word)
        if not self._mendable(word):
            return None
        limit = allowed_edits(word)
        pool = [
            c for n in range(len(word) - limit, len(word) + limit + 1) for c in self._by_shape.get((word[0], n), ())
        ]
        found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return None
        best = min(distance for _, distance, _ in found)
        nearest = sorted((c for c, d, _ in found if d == best), key=lambda c: (-self.frequencies[c], c))
        top = nearest[0]
        rivals = [c for c in nearest[1:] if not _same_word(top, c)]
        if rivals and self.frequencies[rivals[0]] >= TIE_SHARE * self.frequencies[top]:
            return None
        return top

    def _mendable(self, word: str) -> bool:
        return bool(allowed_edits(word)) and word not in self.frequencies and word not in self.real_words

    def correct(self, words: Iterable[str], indexed: Iterable[str] = ()) -> list[str]:
        """`words` with each mendable one replaced by its nearest document word; `indexed`: words the index
        holds by their stem, which are kept as they are."""
        keep = set(indexed)
        return [w if w in keep else (self.nearest(w) or w) for w in words]


def _same_word(a: str, b: str) -> bool:
    """Whether two candidates are forms of one word ("robot", "robots"), so that neither is a rival."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and len(long) - len(short) <= 2
