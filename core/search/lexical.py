"""Plot search's lexical retriever: the query's content words, typos mended onto the documents' words
(`core.search.spelling`), OR-ed, ranked by BM25 over each movie's document (title, year, genres, tags,
overview, tagline), filters inside the same statement."""

from __future__ import annotations

import re
from collections.abc import Sequence
from weakref import WeakKeyDictionary

import aiosqlite
import anyio.to_thread

from core.data.store import documents
from core.runtime import MovieApp
from core.search.embedder import model_words
from core.search.filters import Conditions
from core.search.spelling import Speller, document_frequencies

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
    return words_expression(content_words(text))


def words_expression(words: Sequence[str]) -> str | None:
    """`match_expression` of words already picked."""
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words))


async def bm25_search(app: MovieApp, text: str, k: int, conditions: Conditions) -> list[tuple[int, float]]:
    """(movie_id, bm25 score) of the k best documents for the query's words, typos mended, within
    `movies m` conditions."""
    match = words_expression(await mended_words(app, content_words(text)))
    if match is None:
        return []
    return await documents.bm25_search(app.db, match, k, conditions)


# The documents' vocabulary, read once per open database (a rebuilt database arrives on a new connection).
_spellers: WeakKeyDictionary[aiosqlite.Connection, Speller] = WeakKeyDictionary()


async def mended_words(app: MovieApp, words: list[str]) -> list[str]:
    """`words` with each typo the index does not hold mended onto the documents' nearest word; a word the
    index holds (as written or by its stem) is never changed."""
    speller = await _speller(app.db)
    unknown = speller.unknown(words)
    if not unknown:  # the common case: every word is written in some document, no database round trip
        return words
    mended = speller.correct(words, await documents.indexed_words(app.db, unknown))
    return [w for w in mended if w not in STOPWORDS]  # "moive" mends onto "movie", which says nothing


async def _speller(db: aiosqlite.Connection) -> Speller:
    if db not in _spellers:
        texts = await documents.document_texts(db)
        # Counting a catalogue's words takes a fraction of a second: off the event loop.
        _spellers[db] = await anyio.to_thread.run_sync(lambda: Speller(document_frequencies(texts), model_words()))
    return _spellers[db]
