"""Text normalisation shared by the title index and title lookups."""

from __future__ import annotations

import re
import unicodedata

_LEADING_ARTICLES = ("the", "a", "an", "les", "la", "le", "l", "il", "das", "der", "die", "el", "los", "las")
_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """ "Amélie" → "Amelie": decompose and drop combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_title(title: str) -> str:
    """Lowercase, accent-free, punctuation-free, without a leading article.

    Both the index and the query go through this, so "the matrix", "Matrix" and "MATRIX!" meet.
    """
    text = strip_accents(title).lower().replace("&", " and ")
    text = _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()
    words = text.split(" ")
    if len(words) > 1 and words[0] in _LEADING_ARTICLES:
        words = words[1:]
    return " ".join(words)


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression: every normalised word must appear, the last one as a prefix.

    Words are quoted so user text can never inject FTS syntax. None when nothing searchable is left.
    """
    words = [w for w in normalize_title(text).split(" ") if w]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def truncate(text: str | None, limit: int) -> str | None:
    """Cut long text at a word boundary and mark the cut, so tool output stays bounded."""
    if text is None or len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"
