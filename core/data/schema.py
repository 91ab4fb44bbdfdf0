"""The database layout. One file holds the catalogue, ratings, enrichments, vectors and model blobs,
so a build swaps all of them at once by renaming a single file."""

from __future__ import annotations

from core.llm.cache import CACHE_DDL

SCHEMA_VERSION = 3  # 3: movie_extras and the movie_documents plot-search index
EMBEDDING_DIM = 384  # all-MiniLM-L6-v2

# Plot search's lexical side: one document per movie (rowid = movie_id), BM25 over stemmed words.
# `keywords` holds year, genres and tags; `plot` the overview and tagline.
DOCUMENTS_DDL = """
CREATE VIRTUAL TABLE movie_documents USING fts5(
    title,
    keywords,
    plot,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# Fills movie_documents from the other tables; the build and the migration from schema 2 share it.
DOCUMENTS_FILL = """
INSERT INTO movie_documents (rowid, title, keywords, plot)
SELECT m.movie_id,
       m.title,
       trim(coalesce(m.year, '') || ' '
            || coalesce((SELECT group_concat(g.name, ' ') FROM movie_genres mg JOIN genres g USING (genre_id)
                         WHERE mg.movie_id = m.movie_id), '') || ' '
            || coalesce((SELECT group_concat(tag, ' ; ') FROM (SELECT DISTINCT lower(t.tag) AS tag FROM tags t
                         WHERE t.movie_id = m.movie_id)), '')),
       trim(coalesce(m.overview, '') || ' ' || coalesce(x.tagline, ''))
FROM movies m LEFT JOIN movie_extras x USING (movie_id)
"""

DDL = (
    """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE movies (
    movie_id     INTEGER PRIMARY KEY,          -- MovieLens id: the key ratings use
    imdb_id      TEXT,                         -- "tt0137523"
    tmdb_id      INTEGER,
    title        TEXT NOT NULL,                -- display title, "The Matrix"
    year         INTEGER,
    overview     TEXT,
    budget       INTEGER,                      -- dollars, NULL when unknown
    revenue      INTEGER,
    runtime      REAL,                         -- minutes
    release_date TEXT,
    language     TEXT,
    mpaa         TEXT,
    rating_count INTEGER NOT NULL DEFAULT 0,   -- denormalised for ranking by popularity
    rating_mean  REAL
);
CREATE INDEX movies_tmdb ON movies(tmdb_id);
CREATE INDEX movies_year ON movies(year);
CREATE INDEX movies_popularity ON movies(rating_count DESC);

CREATE TABLE genres (
    genre_id INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE
);

CREATE TABLE movie_genres (
    movie_id INTEGER NOT NULL REFERENCES movies(movie_id),
    genre_id INTEGER NOT NULL REFERENCES genres(genre_id),
    position INTEGER NOT NULL,                 -- the source's order, first is the main genre
    PRIMARY KEY (movie_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX movie_genres_genre ON movie_genres(genre_id, movie_id);

CREATE TABLE users (
    user_id      INTEGER PRIMARY KEY,
    rating_count INTEGER NOT NULL,
    rating_mean  REAL NOT NULL
);

CREATE TABLE ratings (
    user_id   INTEGER NOT NULL REFERENCES users(user_id),
    movie_id  INTEGER NOT NULL REFERENCES movies(movie_id),
    rating    REAL NOT NULL CHECK (rating BETWEEN 0.5 AND 5.0),
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;
CREATE INDEX ratings_movie ON ratings(movie_id, rating);

CREATE TABLE tags (
    user_id   INTEGER NOT NULL,
    movie_id  INTEGER NOT NULL REFERENCES movies(movie_id),
    tag       TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);
CREATE INDEX tags_movie ON tags(movie_id);

CREATE TABLE enrichments (
    movie_id            INTEGER PRIMARY KEY REFERENCES movies(movie_id),
    sentiment           TEXT NOT NULL CHECK (sentiment IN ('positive','negative','neutral','mixed')),
    budget_tier         TEXT NOT NULL CHECK (budget_tier IN ('low','medium','high','ultra_high','unknown')),
    revenue_tier        TEXT NOT NULL
                        CHECK (revenue_tier IN ('low','medium','high','blockbuster','unknown')),
    effectiveness_score REAL CHECK (effectiveness_score BETWEEN 0 AND 10),
    target_audience     TEXT NOT NULL CHECK (target_audience IN ('kids','family','teens','adults')),
    engine              TEXT NOT NULL,         -- which engine produced the row
    model               TEXT,                  -- the LLM model, when an LLM was used
    reasoning           TEXT,                  -- the LLM's one-sentence reason, when an LLM was used
    input_hash          TEXT NOT NULL,         -- what the row was computed from; a change invalidates it
    enriched_at         TEXT NOT NULL
);
CREATE INDEX enrichments_sentiment ON enrichments(sentiment);
CREATE INDEX enrichments_effectiveness ON enrichments(effectiveness_score DESC);

-- Title search: forgiving of case, accents and punctuation; leading articles are dropped
-- before indexing (see core.data.normalize.normalize_title), so "matrix" finds "The Matrix".
CREATE VIRTUAL TABLE movie_titles USING fts5(
    title_norm,
    aka_norm,                                  -- alternative titles ("Se7en"), also searched
    tokenize = 'unicode61 remove_diacritics 2'
);

-- What the source says beyond the movies table: TMDB's tagline and franchise, when it has them.
CREATE TABLE movie_extras (
    movie_id   INTEGER PRIMARY KEY REFERENCES movies(movie_id),
    tagline    TEXT,
    collection TEXT                            -- "Toy Story Collection"
);
CREATE INDEX movie_extras_collection ON movie_extras(collection);
"""
    + DOCUMENTS_DDL
    + f"""
-- Embeddings of each movie's text, with the static filter columns the search applies inside
-- the KNN scan. Unknown numbers are stored as -1 (vec0 metadata columns cannot hold NULL).
CREATE VIRTUAL TABLE movie_vectors USING vec0(
    movie_id  INTEGER PRIMARY KEY,
    embedding FLOAT[{EMBEDDING_DIM}] distance_metric=cosine,
    year      INTEGER,
    runtime   FLOAT,
    budget    FLOAT,
    revenue   FLOAT
);

-- Each sentence of a multi-sentence overview, embedded on its own (core.search.passages); plot search
-- blends a movie's best passage with its overview vector. Built with the vectors, empty without overviews.
CREATE TABLE movie_passages (
    movie_id  INTEGER NOT NULL REFERENCES movies(movie_id),
    position  INTEGER NOT NULL,                -- sentence number in the overview, from 0
    text_hash TEXT NOT NULL,                   -- embedder.text_hash of the sentence: a rebuild reuses its vector
    embedding BLOB NOT NULL,                   -- float32[EMBEDDING_DIM], unit length
    PRIMARY KEY (movie_id, position)
) WITHOUT ROWID;

-- Which text each vector was computed from, so a rebuild embeds only new or changed text.
CREATE TABLE embedding_sources (
    movie_id  INTEGER PRIMARY KEY REFERENCES movies(movie_id),
    text_hash TEXT NOT NULL,
    model     TEXT NOT NULL
);

-- Trained models as npz blobs (no pickle), stored here so the database and its models swap together.
CREATE TABLE model_blobs (
    name       TEXT PRIMARY KEY,               -- "als", "predictor", "ease", "ensemble"
    data       BLOB NOT NULL,
    data_hash  TEXT NOT NULL,                  -- hash of the training data and parameters
    params     TEXT NOT NULL,                  -- JSON
    trained_at TEXT NOT NULL,
    seconds    REAL NOT NULL
);
"""
    + CACHE_DDL
)


# Two-stage vector search, written by the build only for catalogues above
# core.data.store.vectors.TWO_STAGE_MIN_VECTORS (below it these tables do not exist and the KNN is exact):
# sign bits of every vector (48 bytes) scanned for candidates with the same filter columns as
# movie_vectors, and the float vectors in a plain table to re-score the candidates by cosine (a vec0
# point lookup would read a whole chunk per id). chunk_size=32: vec0 picks each chunk's k nearest by
# repeated minimum search, O(chunk size × k), so small chunks keep the scan's cost nearly flat in k
# (60k vectors, CPU ms for k = 100 / 200 / 600: 7.6 / 14 / 52 with the default 1,024, 14 / 14 / 15 with 32).
TWO_STAGE_DDL = [
    f"""
CREATE VIRTUAL TABLE movie_vector_bits USING vec0(
    movie_id  INTEGER PRIMARY KEY,
    embedding BIT[{EMBEDDING_DIM}],
    year      INTEGER,
    runtime   FLOAT,
    budget    FLOAT,
    revenue   FLOAT,
    chunk_size = 32
)""",
    "CREATE TABLE movie_vector_floats (movie_id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)",
]


def migrations(version: int) -> list[str]:
    """Statements that bring a database of an older schema version up to date, in order."""
    steps: list[str] = []
    if version < 2:
        steps += ["ALTER TABLE enrichments ADD COLUMN reasoning TEXT", CACHE_DDL]
    if version < 3:
        # Taglines and franchises need a rebuild from the source; the index is filled from what is here.
        steps += [
            "CREATE TABLE movie_extras (movie_id INTEGER PRIMARY KEY REFERENCES movies(movie_id),"
            " tagline TEXT, collection TEXT)",
            "CREATE INDEX movie_extras_collection ON movie_extras(collection)",
            DOCUMENTS_DDL,
            DOCUMENTS_FILL,
        ]
    return steps
