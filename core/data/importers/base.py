"""The common shape every importer produces; the build only ever sees this."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class MovieRecord:
    """One movie, keyed by its MovieLens id. Unknown values are None (never 0 or "")."""

    movie_id: int
    title: str  # display title, article in front and without the year: "The Matrix"
    year: int | None = None
    genres: list[str] = field(default_factory=list)  # canonical names, see core.data.genres
    imdb_id: str | None = None  # "tt0137523"
    tmdb_id: int | None = None
    overview: str | None = None
    budget: int | None = None  # US dollars; None when unknown (sources use 0 for unknown)
    revenue: int | None = None
    runtime: float | None = None  # minutes
    release_date: str | None = None  # ISO date
    language: str | None = None  # ISO 639-1 original language
    mpaa: str | None = None  # G, PG, PG-13, R, NC-17
    akas: list[str] = field(default_factory=list)  # alternative titles ("Se7en"), searchable by title
    tagline: str | None = None  # TMDB's one-line pitch; part of the plot-search document
    collection: str | None = None  # TMDB franchise ("Toy Story Collection"); sequels rank below the original


@dataclass
class Dataset:
    """Everything a source provides, already joined through its links table."""

    source: str  # "default", "movies-dataset" or "movielens"
    movies: list[MovieRecord]
    ratings: pd.DataFrame  # columns user_id:int, movie_id:int, rating:float, timestamp:int
    tags: pd.DataFrame  # columns user_id:int, movie_id:int, tag:str, timestamp:int
    notes: list[str] = field(default_factory=list)  # what the join matched, dropped or guessed
