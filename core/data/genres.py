"""One genre vocabulary for every source.

MovieLens names are canonical. TMDB's names are mapped onto them where they mean the same thing
("Science Fiction" is MovieLens "Sci-Fi", "Family" is "Children", "Music" is "Musical"); TMDB-only
genres (History, TV Movie, Foreign) are kept as they are.
"""

from __future__ import annotations

CANONICAL_GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Foreign",
    "History",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "TV Movie",
    "Thriller",
    "War",
    "Western",
)

_ALIASES: dict[str, str] = {
    "science fiction": "Sci-Fi",
    "sci fi": "Sci-Fi",
    "scifi": "Sci-Fi",
    "family": "Children",
    "children's": "Children",
    "kids": "Children",
    "music": "Musical",
    "film noir": "Film-Noir",
    "noir": "Film-Noir",
    "tv movie": "TV Movie",
    "history": "History",
    "historical": "History",
}

_BY_LOWER = {g.lower(): g for g in CANONICAL_GENRES}
NO_GENRE_MARKERS = frozenset({"(no genres listed)", ""})


def canonical_genre(name: str) -> str | None:
    """Map a source genre name to the canonical vocabulary; None for "no genre" markers or unknowns."""
    key = name.strip().lower()
    if key in NO_GENRE_MARKERS:
        return None
    if key in _BY_LOWER:
        return _BY_LOWER[key]
    return _ALIASES.get(key.replace("-", " ")) or _ALIASES.get(key)


def canonical_genres(names: list[str]) -> list[str]:
    """Canonicalise a list, dropping unknowns and duplicates, keeping the source order."""
    seen: list[str] = []
    for name in names:
        genre = canonical_genre(name)
        if genre and genre not in seen:
            seen.append(genre)
    return seen
