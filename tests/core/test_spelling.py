"""Typo mending for plot search's lexical side, on a tiny in-memory FTS5 table built like movie_documents."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite
import pytest

from core.data import sqlite
from core.data.schema import DOCUMENTS_DDL
from core.data.store import documents
from core.search.embedder import model_words
from core.search.spelling import Speller, allowed_edits, document_frequencies, fold

DOCS = [
    ("The Robot", "1999 Sci-Fi", "A robot dreams of scissors and a lonely robot falls in love."),
    ("Steel Hearts", "2001 Sci-Fi", "Robots rebel against their makers in a possessed city."),
    ("The Dreamer", "1985 Drama", "A dreamer keeps dreaming of the sea."),
    ("Fast Boats", "2005 Action", "A speedboat race through the harbour."),
    ("Night Train", "1990 Thriller", "A robbery aboard the night train."),
    ("Café Noir", "1950 Crime", "A détective in a café."),
    ("Twins", "1988 Comedy", "A hotel and a hostel."),
    ("Twins Again", "1989 Comedy", "A hotel and a hostel again."),
]


@pytest.fixture
async def db() -> AsyncIterator[aiosqlite.Connection]:
    conn = await sqlite.connect_async(":memory:")
    await conn.executescript(DOCUMENTS_DDL)
    await conn.executemany("INSERT INTO movie_documents (title, keywords, plot) VALUES (?, ?, ?)", DOCS)
    yield conn
    await conn.close()


async def _speller(db: aiosqlite.Connection) -> Speller:
    return Speller(document_frequencies(await documents.document_texts(db)))


async def test_a_typo_maps_to_the_document_word(db: aiosqlite.Connection) -> None:
    speller = await _speller(db)
    assert speller.nearest("robbot") == "robot"  # a doubled letter
    assert speller.nearest("rboot") == "robot"
    assert speller.nearest("orbot") is None  # a different first letter is not tried
    assert speller.nearest("scisors") == "scissors"  # the word as written, not the stem "scissor"
    assert speller.nearest("posessed") == "possessed"  # 8 letters: two edits allowed
    assert speller.nearest("lonley") == "lonely"  # a transposition is one edit


async def test_the_most_common_document_word_wins(db: aiosqlite.Connection) -> None:
    speller = await _speller(db)
    # "robots" (1 document) and "robot" (1) are forms of one word; "robbery" is two edits away.
    assert speller.nearest("robotz") in {"robot", "robots"}
    assert Speller({"sailor": 9, "tailor": 1}).nearest("sailr") == "sailor"


async def test_a_close_tie_between_two_words_is_not_mended(db: aiosqlite.Connection) -> None:
    speller = await _speller(db)
    # "hotel" and "hostel" are in the same two documents, both one edit from "hostl".
    assert speller.nearest("hostl") == "hostel"  # "hotel" is two edits from it
    assert speller.nearest("hotsel") is None  # one edit from both: a guess
    assert Speller({"hotel": 10, "hostel": 2}).nearest("hotsel") == "hotel"  # one far more common: no guess


async def test_short_words_and_non_letters_are_untouched(db: aiosqlite.Connection) -> None:
    speller = await _speller(db)
    assert speller.nearest("teh") is None and allowed_edits("teh") == 0
    assert speller.nearest("rob0t") is None
    assert speller.correct(["teh", "robbot", "1999"]) == ["teh", "robot", "1999"]


async def test_a_word_in_the_index_is_never_changed(db: aiosqlite.Connection) -> None:
    speller = await _speller(db)
    words = ["robot", "dreamed", "racing", "robbot", "cafe", "Café", "detective", "rebels"]
    # Written in a document (accents aside): never a candidate for mending.
    assert speller.unknown(words) == ["dreamed", "racing", "robbot", "rebels"]
    # Not written, but held by their stems ("dream", "race", "rebel"): the index keeps them, although
    # "dreamed" is one edit from the written "dreamer".
    indexed = await documents.indexed_words(db, speller.unknown(words))
    assert indexed == {"dreamed", "racing", "rebels"}
    assert speller.nearest("dreamed") == "dreamer"  # what would happen without asking the index
    assert speller.correct(words, indexed) == [
        "robot",
        "dreamed",
        "racing",
        "robot",
        "cafe",
        "Café",
        "detective",
        "rebels",
    ]


async def test_the_vocabulary_reads_words_as_the_index_tokenizer_does() -> None:
    counts = document_frequencies(["Café d'Amélie, café!", "the CAFE 1999"])
    assert counts["cafe"] == 2 and counts["amelie"] == 1 and counts["d"] == 1
    assert "1999" not in counts
    assert fold("Détective") == "detective"


def test_a_real_word_the_documents_lack_is_not_mended() -> None:
    real = model_words()
    assert {"sweater", "maple", "token"} <= real and not {"freind", "robbot", "possesed"} & real
    speller = Speller({"swelter": 3, "male": 40, "friend": 50}, real)
    assert speller.nearest("sweater") is None and speller.nearest("maple") is None
    assert speller.unknown(["sweater", "freind"]) == ["freind"]
    assert speller.nearest("freind") == "friend"
