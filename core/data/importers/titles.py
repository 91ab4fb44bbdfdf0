"""MovieLens/IMDb title parsing and the title key used to join sources that share no id.

MovieLens writes "Matrix, The (1999)" and IMDb (ggplot2movies) writes "Matrix, The"; TMDB writes
"The Matrix". Display titles put the article in front; join keys go through the same steps on
every side so the spelling conventions cancel out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Articles that MovieLens and IMDb move behind a comma ("Enfer, L'", "Vitelloni, I", "Divo, Il").
# Matched case-sensitively at the very end, so "Paris, Texas" or "I, Robot" are left alone.
ARTICLES: tuple[str, ...] = (
    "The", "A", "An",
    "Les", "La", "Le", "L'", "L’", "Il", "I", "Gli", "Lo",
    "Das", "Der", "Die", "Den", "Det", "Ein", "Eine",
    "El", "Los", "Las", "Un", "Una", "Une", "O", "Os", "Da",
)  # fmt: skip

_ARTICLE_ALT = "|".join(re.escape(a) for a in sorted(ARTICLES, key=len, reverse=True))
_TRAILING_ARTICLE = re.compile(rf"^(?P<rest>.+?),\s*(?P<article>{_ARTICLE_ALT})$")
# "(1999)", and the ranges MovieLens uses for series: "(2007-)", "(1975-1979)".
_TRAILING_YEAR = re.compile(r"\s*\((?P<year>\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$")
_TRAILING_PAREN = re.compile(r"\s*\((?P<inner>[^()]*)\)\s*$")
_AKA_PREFIX = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
# Only English articles are dropped from keys: moving already aligns the foreign ones, and dropping
# "die"/"el"/"i" would merge unrelated titles ("Die Hard" / "Hard").
_LEADING_ARTICLE_KEY = re.compile(r"^(?:the|a|an)\s+")
_APOSTROPHES = re.compile(r"['’`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class ParsedTitle:
    """A MovieLens title split into its parts."""

    title: str  # primary title, article in front, no year: "The Matrix"
    year: int | None
    akas: tuple[str, ...] = ()  # alternative titles from trailing parentheses, article in front


def move_article(title: str) -> str:
    """Put a trailing article back in front: "Matrix, The" -> "The Matrix", "Enfer, L'" -> "L'Enfer"."""
    title = title.strip()
    match = _TRAILING_ARTICLE.match(title)
    if not match:
        return title
    article, rest = match["article"], match["rest"].strip()
    if not rest:
        return title
    # Elided articles attach without a space ("L'Enfer").
    return f"{article}{rest}" if article.endswith(("'", "’")) else f"{article} {rest}"


def parse_movielens_title(raw: str, *, with_year: bool = True) -> ParsedTitle:
    """Split a MovieLens title into display title, year and alternative titles.

    "Matrix, The (1999)" -> ("The Matrix", 1999); "Seven (a.k.a. Se7en) (1995)" -> ("Seven", 1995,
    akas ("Se7en",)). `with_year=False` is for sources whose titles were already stripped of the
    year (a trailing "(1941)" is then an alternative title, not a year).
    """
    text = " ".join(raw.split())  # also removes trailing and doubled whitespace
    year: int | None = None
    if with_year:
        match = _TRAILING_YEAR.search(text)
        if match:
            year = int(match["year"])
            text = text[: match.start()].rstrip()
    akas: list[str] = []
    # Peel trailing "(...)" groups from the right while something is left in front of them;
    # a title that is only a parenthesis stays as it is.
    while True:
        match = _TRAILING_PAREN.search(text)
        if not match or match.start() == 0 or not text[: match.start()].strip():
            break
        inner = _AKA_PREFIX.sub("", match["inner"].strip()).strip()
        if inner:
            akas.append(move_article(inner))
        text = text[: match.start()].rstrip()
    akas.reverse()  # keep the order they were written in
    return ParsedTitle(title=move_article(text), year=year, akas=tuple(akas))


def normalize_title(title: str) -> str:
    """A join key for a title: article-neutral, accent-free, lowercase, punctuation-free.

    "Matrix, The", "The Matrix" and "the matrix!" all give "matrix"; "Léon" gives "leon";
    "Dumb & Dumber" gives "dumb and dumber".
    """
    text = move_article(title)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = _APOSTROPHES.sub("", text)  # "Schindler's" -> "schindlers", not "schindler s"
    text = _NON_ALNUM.sub(" ", text).strip()
    stripped = _LEADING_ARTICLE_KEY.sub("", text)
    return stripped or text  # a title that is only an article keeps it


def title_year_key(title: str, year: int | None) -> str:
    """The normalised title with the year, as used to join sources: "matrix|1999"."""
    return f"{normalize_title(title)}|{year if year is not None else ''}"
