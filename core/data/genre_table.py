"""Every movie's genres as one boolean matrix, for the list-level arithmetic of calibrated recommendations
(a few hundred candidates against thousands of rated movies, per request, without a query)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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

    def rows(self, movie_ids: Iterable[int]) -> np.ndarray:
        """The genre rows of `movie_ids`, in order (float 0/1; all zeros for an unknown movie)."""
        ids = np.fromiter(movie_ids, dtype=np.int64)
        out = np.zeros((len(ids), len(self.genres)), dtype=np.float64)
        if not len(self._ids) or not len(ids):
            return out
        at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        known = self._ids[at] == ids
        out[known] = self.matrix[at[known]]
        return out

    def shares(self, weights: Mapping[int, float]) -> np.ndarray:
        """Per genre, the weighted share of the movies that carry it (each movie counts with its weight)."""
        if not weights:
            return np.zeros(len(self.genres))
        w = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        total = w.sum()
        return (w @ self.rows(weights)) / total if total > 0 else np.zeros(len(self.genres))

    def __len__(self) -> int:
        return len(self._ids)
