"""Matching export rows to catalogue movies: by id through the links, else by exact normalised title and year.

Never a fuzzy guess: a title matches only when its normalised form (articles, accents, punctuation and
case neutralised by `normalize_title`) equals a catalogue title or a.k.a. title, in the same year or,
failing that, one year off; when two movies fit, the row is reported as ambiguous instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.data.importers.ratings_exports import ExportRow
from core.data.importers.titles import normalize_title, parse_movielens_title


@dataclass(frozen=True)
class CatalogueMovie:
    movie_id: int
    title: str
    year: int | None
    imdb_id: str | None


@dataclass(frozen=True)
class Match:
    """A row's outcome: the movie it matched (None when it did not) and how, or why not."""

    row: ExportRow
    movie: CatalogueMovie | None
    how: str  # "imdb id", "title+year", … for a match; the reason otherwise


@dataclass
class CatalogueIndex:
    """The catalogue's ids and title keys, built once per import."""

    by_movie_id: dict[int, CatalogueMovie] = field(default_factory=dict)
    by_imdb: dict[str, CatalogueMovie] = field(default_factory=dict)
    by_tmdb: dict[int, CatalogueMovie] = field(default_factory=dict)
    by_title: dict[str, list[CatalogueMovie]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> CatalogueIndex:
        """From `store.profiles.catalogue_movies` rows (or dicts): movie_id, imdb_id, tmdb_id, title, year, aka_norm."""
        index = cls()
        for r in rows:
            movie = CatalogueMovie(int(r["movie_id"]), r["title"], r["year"], r["imdb_id"])
            index.by_movie_id[movie.movie_id] = movie
            if movie.imdb_id:
                index.by_imdb[movie.imdb_id] = movie
            if r["tmdb_id"] is not None:
                index.by_tmdb[int(r["tmdb_id"])] = movie
            akas = [a for a in (r["aka_norm"] or "").split(" ; ") if a]
            for key in {normalize_title(movie.title), *(normalize_title(a) for a in akas)}:
                index.by_title[key].append(movie)
        return index


def match_row(index: CatalogueIndex, row: ExportRow) -> Match:
    """The one catalogue movie a row names, or the reason there is none."""
    if row.problem:
        return Match(row, None, row.problem)
    if row.kind and row.kind.casefold() not in {"movie", "tvmovie", "video"}:
        return Match(row, None, f"not a movie ({row.kind})")
    if row.movielens_id is not None:
        movie = index.by_movie_id.get(row.movielens_id)
        return Match(
            row, movie, "movielens id" if movie else f"MovieLens id {row.movielens_id} is not in the catalogue"
        )
    if row.imdb_id and row.imdb_id in index.by_imdb:
        return Match(row, index.by_imdb[row.imdb_id], "imdb id")
    if row.tmdb_id is not None and row.tmdb_id in index.by_tmdb:
        return Match(row, index.by_tmdb[row.tmdb_id], "tmdb id")
    if not row.title:
        return Match(row, None, "no title and no id the catalogue knows")
    return _match_title(index, row)


def _match_title(index: CatalogueIndex, row: ExportRow) -> Match:
    parsed = parse_movielens_title(row.title, with_year=row.year is None)
    year = row.year if row.year is not None else parsed.year
    keys = dict.fromkeys(normalize_title(t) for t in (row.title, parsed.title, *parsed.akas))
    found = list({m.movie_id: m for k in keys for m in index.by_title.get(k, [])}.values())
    label = f"{row.title!r}" + (f" ({year})" if year else "")
    if not found:
        return Match(row, None, f"no movie titled {label} in the catalogue")
    if year is None:
        if len(found) == 1:
            return Match(row, found[0], "title (no year given)")
        return Match(row, None, f"{len(found)} movies are titled {label}; add the year")
    for how, fits in (
        ("title+year", lambda m: m.year == year),
        ("title+year±1", lambda m: m.year is not None and abs(m.year - year) == 1),
    ):
        chosen = [m for m in found if fits(m)]
        if len(chosen) == 1:
            return Match(row, chosen[0], how)
        if len(chosen) > 1:
            return Match(row, None, f"{len(chosen)} movies match {label}; add the IMDb id")
    years = ", ".join(str(m.year) for m in found[:3])
    return Match(row, None, f"{label}: the catalogue has this title only from {years}")
