"""Plot search's lexical retriever: the query's content words, OR-ed, ranked by BM25 over each
movie's document (title, year, genres, tags, overview, tagline), filters inside the same statement."""

from __future__ import annotations

import re

from core.data.store import documents
from core.runtime import MovieApp
from core.search.filters import Conditions

# Words that carry no plot: matching them would rank documents by how much English they contain.
STOPWORDS = frozenset(
    """a an the and or but if then than so as of at by for with without about against between into through
    during before after above below to from up down in out on off over under again further once here there
    when where why how all any both each few more most other some such no nor not only own same too very
    can will just don should now is are was were be been being have has had having do does did doing i me my
    we our you your he him his she her it its they them their what which who whom this that these those am
    would could also get gets got getting go goes going gone one ones movie movies film films flick thing
    stuff guy guys like really kind sort whole way end ends ending up there's it's he's she's they're
    that's who's whats hes shes theyre thats dont cant wont isnt arent""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def content_words(text: str) -> list[str]:
    """The query's words that can say something about a film, lower-cased, in order, once each."""
    words = [w.lower() for w in _WORD.findall(text)]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


def match_expression(text: str) -> str | None:
    """An FTS5 expression that matches a document holding any content word (None when there is none).

    Words are quoted, so FTS5 syntax in the query ("NOT", "*", ":") is searched as text.
    """
    words = content_words(text)
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


async def bm25_search(app: MovieApp, text: str, k: int, conditions: Conditions) -> list[tuple[int, float]]:
    """(movie_id, bm25 score) of the k best documents for the query's words within `movies m` conditions."""
    match = match_expression(text)
    if match is None:
        return []
    return await documents.bm25_search(app.db, match, k, conditions)
