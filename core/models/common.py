"""Building blocks every model shares: id ↔ index maps (`IdIndex`), the users×movies rating matrix and
the lookups over it (`RatingLookups`), evidence ranking for explanations, and `.npz` blob packing (no
pickle).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Evidence",
    "ExplainsPicks",
    "IdIndex",
    "RatingLookups",
    "build_rating_matrix",
    "csr_from_arrays",
    "csr_to_arrays",
    "pack_npz",
    "ranked_positions",
    "unpack_npz",
]


@dataclass(frozen=True, eq=False)
class IdIndex:
    """Bijection between external integer ids and dense indices 0..n-1.

    `ids` is sorted and unique, so the index of an id is its position in `ids` and lookups are a
    binary search (vectorised for arrays).
    """

    ids: np.ndarray

    @classmethod
    def from_ids(cls, ids: np.ndarray) -> IdIndex:
        """Build an index over the distinct values of `ids` (any order, duplicates allowed)."""
        arr = np.asarray(ids)
        # Ids read from CSV/SQLite may arrive as floats; refuse anything that is not a whole number.
        if (
            arr.size
            and not np.issubdtype(arr.dtype, np.integer)
            and not (np.all(np.isfinite(arr)) and np.all(np.equal(np.mod(arr, 1), 0)))
        ):
            raise ValueError("ids must be integers")
        return cls(np.unique(arr.astype(np.int64)))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __contains__(self, item_id: object) -> bool:
        return self.index_of(item_id) is not None  # type: ignore[arg-type]

    def index_of(self, item_id: int) -> int | None:
        """Index of `item_id`, or None when it is not in the index."""
        try:
            key = int(item_id)
        except (TypeError, ValueError):
            return None
        pos = int(np.searchsorted(self.ids, key))
        if pos < len(self.ids) and int(self.ids[pos]) == key:
            return pos
        return None

    def indices_of(self, ids: np.ndarray) -> np.ndarray:
        """Vectorised `index_of`: an int64 array with -1 where an id is unknown."""
        arr = np.asarray(ids, dtype=np.int64).ravel()
        if len(self.ids) == 0:
            return np.full(arr.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, arr)
        clipped = np.minimum(pos, len(self.ids) - 1)
        return np.where(self.ids[clipped] == arr, clipped, -1).astype(np.int64)

    def id_at(self, index: int) -> int:
        """External id stored at `index`."""
        return int(self.ids[index])

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays to put into an npz under `prefix`; read back with `from_arrays`."""
        return {f"{prefix}_ids": self.ids}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> IdIndex:
        """Inverse of `to_arrays`."""
        return cls(np.asarray(arrays[f"{prefix}_ids"], dtype=np.int64))


def build_rating_matrix(
    user_ids: np.ndarray, movie_ids: np.ndarray, ratings: np.ndarray
) -> tuple[IdIndex, IdIndex, sp.csr_matrix]:
    """Validate rating triples and build (user index, movie index, users×movies CSR of ratings).

    A repeated (user, movie) pair keeps its last rating, as a re-rating replaces the old one; summing
    duplicates (scipy's default) would produce ratings above 5 stars.
    """
    users = np.asarray(user_ids).ravel()
    movies = np.asarray(movie_ids).ravel()
    values = np.asarray(ratings, dtype=np.float64).ravel()
    if not (len(users) == len(movies) == len(values)):
        raise ValueError("user_ids, movie_ids and ratings must have the same length")
    if len(values) == 0:
        raise ValueError("cannot train on zero ratings")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("ratings must be finite and positive")

    user_index = IdIndex.from_ids(users)
    movie_index = IdIndex.from_ids(movies)
    rows = user_index.indices_of(users)
    cols = movie_index.indices_of(movies)

    # Keep the last occurrence of each pair: unique over the reversed key finds last positions.
    key = rows * len(movie_index) + cols
    _, first_in_reversed = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - first_in_reversed
    matrix = sp.csr_matrix(
        (values[keep].astype(np.float32), (rows[keep], cols[keep])),
        shape=(len(user_index), len(movie_index)),
    )
    matrix.sort_indices()
    return user_index, movie_index, matrix


def pack_npz(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Serialise arrays into one uncompressed npz blob (factors do not compress, so don't pay for it)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack_npz(data: bytes, kind: str, format_version: int, label: str) -> dict[str, np.ndarray]:
    """Load an npz blob written by `pack_npz` without pickle and check its `kind` and `format_version` tags.

    `label` names the model in the error for a format version other than `format_version`.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"not a valid {kind} model blob: {exc}") from exc
    found = str(arrays.get("kind", ""))
    if found != kind:
        raise ValueError(f"expected a {kind} model blob, got {found or 'an untagged blob'}")
    version = int(arrays["format_version"])
    if version != format_version:
        raise ValueError(f"unsupported {label} blob format {version}")
    return arrays


def csr_to_arrays(matrix: sp.csr_matrix, prefix: str) -> dict[str, np.ndarray]:
    """Arrays to put into an npz under `prefix`; read back with `csr_from_arrays`."""
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.array(matrix.shape, dtype=np.int64),
    }


def csr_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> sp.csr_matrix:
    """Inverse of `csr_to_arrays`."""
    shape = tuple(int(x) for x in arrays[f"{prefix}_shape"])
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape
    )


def ranked_positions(values: np.ndarray, top: int | None = None, *, positive_only: bool = True) -> np.ndarray:
    """Positions of `values` that are > 0 (or ≠ 0 with `positive_only=False`), largest value first, ties
    by lower position (deterministic evidence lists); at most `top` of them when given (none when ≤ 0)."""
    if top is not None and top <= 0:
        return np.empty(0, dtype=np.int64)
    chosen = np.flatnonzero(values > 0 if positive_only else values != 0)
    order = chosen[np.lexsort((chosen, -values[chosen]))]
    return order if top is None else order[:top]


DEFAULT_LIKED_RATING = 5.0  # stars assumed for a cold-start "liked" movie given without a rating
LikedInput = Mapping[int, float] | Iterable[int]


Evidence = list[tuple[int, float]]  # (rated movie id, its contribution to a pick's score), largest first


class ExplainsPicks:
    """Single-pick explanations, defined once through the batched ones each recommender implements
    (the tools explain all their picks in one call; analysis and tests ask about one)."""

    def explain_many_for_user(self, user_id: int, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        raise NotImplementedError

    def explain_many_from_liked(self, liked: LikedInput, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        raise NotImplementedError

    def explain_for_user(self, user_id: int, movie_id: int, top: int = 3) -> Evidence:
        """The known user's rated movies that push `movie_id`'s score up most: (movie_id, contribution),
        positive only, largest first, at most `top`; [] for an unknown user or movie."""
        return self.explain_many_for_user(user_id, [movie_id], top)[0]

    def explain_from_liked(self, liked: LikedInput, movie_id: int, top: int = 3) -> Evidence:
        """Like `explain_for_user` for a cold-start user given as liked movies."""
        return self.explain_many_from_liked(liked, [movie_id], top)[0]


class RatingLookups:
    """What both models know about their training data: the user and movie `IdIndex` and the
    users×movies CSR of stars (`_ratings`), with the lookups over them.

    Subclasses validate shapes themselves (their messages name their own arrays) and then call
    `__init__`; like the models, an instance is immutable and safe to share between threads.
    """

    def __init__(self, user_index: IdIndex, movie_index: IdIndex, ratings: sp.csr_matrix) -> None:
        self._users = user_index
        self._movies = movie_index
        self._ratings = ratings

    def liked_row(self, liked: LikedInput) -> sp.csr_matrix:
        """The 1×movies star row of a cold-start user (unknown ids and non-positive stars dropped)."""
        pairs = (
            [(int(m), float(r)) for m, r in liked.items()]
            if isinstance(liked, Mapping)
            else [(int(m), DEFAULT_LIKED_RATING) for m in liked]
        )
        by_index: dict[int, float] = {}
        for movie_id, rating in pairs:
            idx = self._movies.index_of(movie_id)
            if idx is not None and np.isfinite(rating) and rating > 0:
                by_index[idx] = rating
        cols = np.fromiter(sorted(by_index), dtype=np.int32, count=len(by_index))
        vals = np.array([by_index[int(c)] for c in cols], dtype=np.float32)
        return sp.csr_matrix((vals, cols, np.array([0, len(cols)], dtype=np.int32)), shape=(1, len(self._movies)))

    @property
    def n_users(self) -> int:
        """Number of users in the training data."""
        return len(self._users)

    @property
    def n_items(self) -> int:
        """Number of movies in the training data."""
        return len(self._movies)

    def has_user(self, user_id: int) -> bool:
        """True when the user had ratings in the training data."""
        return self._users.index_of(user_id) is not None

    def has_movie(self, movie_id: int) -> bool:
        """True when the movie had ratings in the training data."""
        return self._movies.index_of(movie_id) is not None

    def user_rated_movie_ids(self, user_id: int) -> np.ndarray:
        """Movie ids the user rated in the training data (empty for an unknown user)."""
        row = self._user_row(user_id)
        if row is None:
            return np.empty(0, dtype=np.int64)
        return self._movies.ids[row.indices]

    def user_ratings(self, user_id: int) -> dict[int, float]:
        """The user's training ratings as {movie_id: stars} (empty for an unknown user)."""
        row = self._user_row(user_id)
        if row is None:
            return {}
        return {int(m): float(r) for m, r in zip(self._movies.ids[row.indices], row.data, strict=True)}

    def _rated_arrays(self, rated: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """{movie_id: stars} as parallel (movie ids, stars, movie indices with -1 for unknown ids)."""
        ids = np.fromiter((int(m) for m in rated), dtype=np.int64, count=len(rated))
        stars = np.fromiter((float(v) for v in rated.values()), dtype=np.float64, count=len(rated))
        return ids, stars, self._movies.indices_of(ids)

    def _similar_rated(
        self,
        user_id: int,
        movie_id: int,
        user_rated: Mapping[int, float] | None,
        top: int,
        similarity: Callable[[int, np.ndarray], np.ndarray],
        *,
        positive_only: bool,
    ) -> list[tuple[int, float, float]]:
        """The rating models' evidence for a prediction: (rated movie id, the user's stars, similarity to
        `movie_id`), most similar first, at most `top`. `similarity(target index, rated indices)` is the
        model's own measure; `user_rated` defaults to the user's training ratings; movies unknown to the
        model and `movie_id` itself are skipped; [] when `movie_id` is unknown."""
        target = self._movies.index_of(movie_id)
        if target is None or top <= 0:
            return []
        rated = self.user_ratings(user_id) if user_rated is None else user_rated
        if not rated:
            return []
        ids, stars, idx = self._rated_arrays(rated)
        keep = (idx >= 0) & (idx != target)
        ids, stars, idx = ids[keep], stars[keep], idx[keep]
        sims = similarity(target, idx)
        # Stable sort on (-similarity) keeps ties in input order, which keeps results reproducible.
        order = [j for j in np.argsort(-sims, kind="stable")[:top] if sims[j] > 0 or not positive_only]
        return [(int(ids[j]), float(stars[j]), float(sims[j])) for j in order]

    def _user_row(self, user_id: int) -> sp.csr_matrix | None:
        """The user's 1×movies row of training stars, or None for an unknown user."""
        uidx = self._users.index_of(user_id)
        return None if uidx is None else self._ratings[uidx]

    def _lookup_arrays(self, ratings_prefix: str) -> dict[str, np.ndarray]:
        """The id indices and the rating matrix as npz arrays; read back with `_lookups_from_arrays`."""
        return {
            **self._users.to_arrays("users"),
            **self._movies.to_arrays("movies"),
            **csr_to_arrays(self._ratings, ratings_prefix),
        }

    @staticmethod
    def _lookups_from_arrays(
        arrays: Mapping[str, np.ndarray], ratings_prefix: str
    ) -> tuple[IdIndex, IdIndex, sp.csr_matrix]:
        """Inverse of `_lookup_arrays`: (user index, movie index, rating matrix)."""
        return (
            IdIndex.from_arrays(arrays, "users"),
            IdIndex.from_arrays(arrays, "movies"),
            csr_from_arrays(arrays, ratings_prefix),
        )
