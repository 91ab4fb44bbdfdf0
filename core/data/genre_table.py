"""Every movie's genres as one boolean matrix, for the list-level arithmetic of calibrated recommendations
(a few hundred candidates against thousands of rated movies, per request, without a query)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class GenreTable:
    """Rows: movies; columns: the genres the catalogue uses. A movie without genres has an all-False row."""

    def __init__(self, pairs: Iterable[tuple[int, str]]) -> None:
        by_movie: dict[int, list[str]] = {}
        for movie_id, genre in pairs:
            by_movie.setdefault(int(movie_id), []).append(genre)
        self.genres: tuple[str, ...] = tuple(sorted({g for names in by_movie.values() for g in names}))
        column = {g: j for j, g in enumerate(self.genres)}
        self._ids = np.array(sorted(by_movie), dtype=np.int64)  # row i is movie _ids[i]: looked up by bisection
        self.matrix = np.zeros((len(self._ids), len(self.genres)), dtype=bool)
        for i, movie_id in enumerate(self._ids.tolist()):
            self.matrix[i, [column[g] for g in by_movie[movie_id]]] = True

    def rows(self, movie_ids: Iterable[int] | np.ndarray) -> np.ndarray:
        """The genre rows of `movie_ids`, in order (float 0/1; all zeros for an unknown movie)."""
        ids = movie_ids if isinstance(movie_ids, np.ndarray) else np.fromiter(movie_ids, dtype=np.int64)
        if not len(self._ids) or not len(ids):
            return np.zeros((len(ids), len(self.genres)), dtype=np.float64)
        at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        return self.matrix[at].astype(np.float64) * (self._ids[at] == ids)[:, None]

    def shares(self, movie_ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Per genre, the weighted share of the movies that carry it (each movie counts with its weight)."""
        total = float(weights.sum())
        if not len(movie_ids) or total <= 0:
            return np.zeros(len(self.genres))
        return (weights @ self.rows(movie_ids)) / total

    def __len__(self) -> int:
        return len(self._ids)
