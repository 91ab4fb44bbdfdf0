"""EASE (Steck, 2019): a closed-form item-item linear autoencoder for top-N recommendation.

    P = (XᵀX + λI)⁻¹,    B = I − P · diag(1 / diag(P))    (so diag(B) = 0),    scores = x · B

X is the users×movies matrix (binary: every rating is an interaction; or the stars themselves),
x a user's row. A new user folds in for free: their row times B, no solve. The contribution of a
rated movie j to the score of movie i is x_j · B[j, i], which is the evidence we show.

Memory: B is dense over the modelled movies, so only movies with at least `min_item_ratings` ratings
are modelled (movies rated once carry no co-occurrence signal worth 40% of the matrix): 6,003² for
ml-latest-small. Its weights are rounded to float16 precision, which halves the blob (72 MB) and moves
nDCG@10 by less than 0.0003; in memory it is float32 (144 MB), so scoring adds up the rated movies' rows
with no conversion (a user with 2,391 ratings: 3 ms).
A build caps the modelled movies by a memory budget (`core.config.ease_memory_budget`, 4 GB by default):
training holds about `TRAINING_BYTES_PER_ENTRY` bytes per entry of the n×n matrices, so 4 GB fits
n = 14,142 movies; above that only the most-rated n are modelled (ALS still ranks the rest).
An earlier version kept only each column's largest weights in a sparse matrix: 97 MB for 1/3 of the
weights, and 0.003 nDCG@10 lost.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.linalg.lapack as lapack
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from core.config import ease_memory_budget
from core.errors import ModelTooLargeError
from core.models.common import (
    Evidence,
    ExplainsPicks,
    IdIndex,
    LikedInput,
    RatingLookups,
    build_rating_matrix,
    pack_npz,
    ranked_positions,
    unpack_npz,
)

log = logging.getLogger(__name__)

_KIND = "ease"
FORMAT_VERSION = 2  # 1: column-pruned sparse B
# Stars given to a liked movie passed without a rating (the tools' cold-start path), as for ALS.
# The Cholesky inverse is the one dense O(n³) step. One BLAS thread: on a shared 2-core machine a second
# thread made it slower (12 s → 33 s for n = 4,800 under load), and the server never trains.
BLAS_THREADS = 1
# Bytes per entry of the n×n matrices alive at once while training: the float64 Gram (8), its float32
# working copy (4, inverted in place) and the two float32 triangles assembled into B (8).
TRAINING_BYTES_PER_ENTRY = 20
MIN_ITEMS = 2  # fewer modelled movies leave EASE nothing to learn: the build skips it instead


@dataclass(frozen=True)
class EaseParams:
    """Hyper-parameters of the EASE model behind the default recommender.

    Chosen on ml-latest-small by `movie-mcp eval`'s top-N search (`core.evaluation.topn.search`), on
    validation data carved out of the 80% training part only (4 user groups, 20% of each member's
    training ratings held out, models trained on the rest; nDCG@10 over all validated users), jointly
    with the blend (`EnsembleParams`), because this EASE serves inside the ensemble. Grid: binary X with
    λ ∈ {200, 400, 800}, star X with λ ∈ {2,500, 5,000, 10,000}, × the blend's grid.
    - binary=False, l2=5000: star X (a 5-star rating weighs 2.5× a 2-star one, in the fold-in and in the
      evidence x_j·B[j, i] too). In the ensemble it scored 0.2334 (λ = 2,500: 0.2328, 10,000: 0.2325;
      binary X at best 0.2316). Alone, λ = 2,500 would be best (0.2274 against 0.2264): the ensemble
      prefers a smoother EASE, since ALS supplies the finer detail. XᵀX of stars is ≈ 14× that of binary
      X, so the λ grids differ by that factor.
    - min_item_ratings=2: movies with fewer training ratings are not modelled (never recommended by EASE,
      never evidence; ALS still ranks them when a query leaves nothing else). That keeps 97% of the
      ratings and makes the Gram matrix 6,003² instead of 9,066² for ml-latest-small.
    """

    l2: float = 5000.0
    binary: bool = False
    min_item_ratings: int = 2

    def __post_init__(self) -> None:
        if self.l2 <= 0:
            raise ValueError("l2 must be > 0")
        if self.min_item_ratings < 1:
            raise ValueError("min_item_ratings must be >= 1")


# ------------------------------------------------------------------------------ the algebra


def modelled_items(matrix: sp.csr_matrix, min_item_ratings: int) -> np.ndarray:
    """Column indices of the movies with at least `min_item_ratings` ratings in `matrix`."""
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
    return np.flatnonzero(counts >= min_item_ratings)


def max_items_for(budget_bytes: int) -> int:
    """The most movies EASE can model while training within `budget_bytes`."""
    return int(np.sqrt(max(budget_bytes, 0) / TRAINING_BYTES_PER_ENTRY))


def cap_items(matrix: sp.csr_matrix, items: np.ndarray, max_items: int) -> np.ndarray:
    """The `max_items` most-rated of `items` (ties to the lower index), ascending; all of them if they fit."""
    if len(items) <= max_items:
        return items
    counts = np.bincount(matrix.indices, minlength=matrix.shape[1])[items]
    order = np.lexsort((items, -counts))  # most ratings first, then by index: deterministic
    return np.sort(items[order[:max_items]])


def budgeted_items(matrix: sp.csr_matrix, min_item_ratings: int, budget_bytes: int) -> tuple[np.ndarray, list[str]]:
    """The movies to model within `budget_bytes`, and a note when the budget capped them.

    Raises ModelTooLargeError when not even `MIN_ITEMS` movies fit."""
    items = modelled_items(matrix, min_item_ratings)
    cap = max_items_for(budget_bytes)
    if len(items) <= cap:
        return items, []
    gigabytes = budget_bytes / 1e9
    if cap < MIN_ITEMS:
        raise ModelTooLargeError(
            f"EASE skipped: {len(items):,} movies need {_gb(len(items))} to train, over the {gigabytes:g} GB"
            " budget (MOVIE_MCP_EASE_MEMORY_GB), which fits too few movies; ALS serves recommendations"
        )
    note = (
        f"EASE modelled the {cap:,} most-rated of {len(items):,} movies: all of them need {_gb(len(items))} to"
        f" train, over the {gigabytes:g} GB budget (MOVIE_MCP_EASE_MEMORY_GB); ALS still ranks the rest"
    )
    return cap_items(matrix, items, cap), [note]


def _gb(n_items: int) -> str:
    return f"{n_items**2 * TRAINING_BYTES_PER_ENTRY / 1e9:.3g} GB"


def interaction_matrix(ratings: sp.csr_matrix, binary: bool) -> sp.csr_matrix:
    """X for EASE: the star matrix itself, or 1 wherever a rating exists."""
    x = ratings.astype(np.float64)
    if binary:
        x.data[:] = 1.0
    return x


def gram(x: sp.csr_matrix, items: np.ndarray) -> np.ndarray:
    """XᵀX restricted to the columns `items`, dense float64 (exact counts; `ease_weights` casts)."""
    sub = x[:, items].tocsc()
    return np.asarray((sub.T @ sub).toarray(), dtype=np.float64)


def ease_weights(gram_matrix: np.ndarray, l2: float) -> np.ndarray:
    """B = I − P·diag(1/diag(P)), P = (G + λI)⁻¹, via Cholesky (half the work of a general inverse).

    Computed in float32: twice as fast as float64 and plenty, since λ ≥ 1 keeps G + λI well conditioned
    (B is stored in float32 anyway). Returns a new dense float32 matrix; `gram_matrix` is left unchanged.
    """
    n = gram_matrix.shape[0]
    if n == 0:
        return np.zeros((0, 0), dtype=np.float32)
    a = np.asarray(gram_matrix, dtype=np.float32).copy()
    a[np.diag_indices(n)] += np.float32(l2)
    # potrf/potri work in place on one triangle; the other triangle is filled in below.
    chol, info = lapack.spotrf(a, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"Gram matrix + λI is not positive definite (potrf info {info})")
    p, info = lapack.spotri(chol, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"could not invert the Gram matrix (potri info {info})")
    upper = np.triu(p)
    upper += np.triu(p, 1).T
    upper /= -np.diag(upper)[None, :]
    np.fill_diagonal(upper, 0.0)
    return upper


def round_to_float16(b: np.ndarray) -> np.ndarray:
    """B with every weight rounded to float16 precision, as float32 (the model's stored precision)."""
    return np.ascontiguousarray(np.asarray(b).astype(np.float16).astype(np.float32))


# ------------------------------------------------------------------------------ the model


class EaseRecommender(RatingLookups, ExplainsPicks):
    """Top-N recommendations, cold start and per-item evidence from one EASE weight matrix.

    `weights` is the dense float32 B over the modelled movies `items` (column indices of the movie
    index, ascending): weights[p, q] is B[items[p], items[q]]. Immutable after construction and safe to
    share between threads.
    """

    def __init__(
        self,
        params: EaseParams,
        user_index: IdIndex,
        movie_index: IdIndex,
        ratings: sp.csr_matrix,
        weights: np.ndarray,
        items: np.ndarray,
    ) -> None:
        n_items = len(movie_index)
        if ratings.shape != (len(user_index), n_items):
            raise ValueError("ratings shape does not match the id indices")
        items = np.asarray(items, dtype=np.int64)
        if weights.shape != (len(items), len(items)) or (items.size and (items.min() < 0 or items.max() >= n_items)):
            raise ValueError("weights or modelled movies do not match the movie index")
        super().__init__(user_index, movie_index, ratings)
        self.params = params
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._items = items
        self._modelled = np.zeros(n_items, dtype=bool)
        self._modelled[items] = True
        # Movie index -> row/column of `weights` (-1 for movies EASE does not model).
        self._position = np.full(n_items, -1, dtype=np.int64)
        self._position[items] = np.arange(len(items))
        self._item_counts = np.bincount(ratings.indices, minlength=n_items)
        self.training_notes: list[str] = []  # what a build reports about this training (a budget cap)

    # ----------------------------------------------------------------- training / serialisation

    @classmethod
    def train(
        cls,
        user_ids: np.ndarray,
        movie_ids: np.ndarray,
        ratings: np.ndarray,
        params: EaseParams = EaseParams(),
    ) -> EaseRecommender:
        """Fit on rating triples (parallel arrays of user id, movie id, stars)."""
        user_index, movie_index, matrix = build_rating_matrix(user_ids, movie_ids, ratings)
        return cls.from_matrix(user_index, movie_index, matrix, params)

    @classmethod
    def from_matrix(
        cls,
        user_index: IdIndex,
        movie_index: IdIndex,
        matrix: sp.csr_matrix,
        params: EaseParams,
        budget_bytes: int | None = None,
    ) -> EaseRecommender:
        """Fit on an already built users×movies star matrix (the evaluation reuses its matrices), over the
        movies that fit `budget_bytes` (default: `ease_memory_budget()`); ModelTooLargeError if too few do."""
        started = time.perf_counter()
        budget = ease_memory_budget() if budget_bytes is None else budget_bytes
        items, notes = budgeted_items(matrix, params.min_item_ratings, budget)
        with threadpool_limits(BLAS_THREADS, "blas"):
            b = ease_weights(gram(interaction_matrix(matrix, params.binary), items), params.l2)
        model = cls.from_dense_weights(user_index, movie_index, matrix, params, items, b)
        model.training_notes = notes
        log.info(
            "EASE trained on %d ratings (%d users × %d of %d movies) in %.1fs",
            matrix.nnz,
            matrix.shape[0],
            len(items),
            matrix.shape[1],
            time.perf_counter() - started,
        )
        return model

    @classmethod
    def from_dense_weights(
        cls,
        user_index: IdIndex,
        movie_index: IdIndex,
        matrix: sp.csr_matrix,
        params: EaseParams,
        items: np.ndarray,
        b: np.ndarray,
    ) -> EaseRecommender:
        """Wrap a dense B over the movie indices `items`, at the stored (float16) precision."""
        return cls(params, user_index, movie_index, matrix, round_to_float16(b), items)

    def to_bytes(self) -> bytes:
        """One npz blob (no pickle): B as float16 (exact: its weights are float16 values), the modelled
        movies, id maps, ratings and params."""
        return pack_npz(
            {
                "kind": np.array(_KIND),
                "format_version": np.array(FORMAT_VERSION),
                "params": np.array(json.dumps(asdict(self.params))),
                "items": self._items,
                "weights": self._weights.astype(np.float16),
                **self._lookup_arrays("ratings"),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> EaseRecommender:
        """Rebuild a model saved with `to_bytes`; raises ValueError on a foreign or corrupt blob."""
        arrays = unpack_npz(data, _KIND, FORMAT_VERSION, "EASE")
        params = EaseParams(**json.loads(str(arrays["params"])))
        user_index, movie_index, ratings = cls._lookups_from_arrays(arrays, "ratings")
        weights = np.asarray(arrays["weights"]).astype(np.float32)
        return cls(params, user_index, movie_index, ratings, weights, np.asarray(arrays["items"]))

    @property
    def nbytes(self) -> int:
        """Bytes held by the weights, the rating matrix and the id maps (what loading costs in memory)."""
        r = self._ratings
        return int(
            self._weights.nbytes
            + r.data.nbytes
            + r.indices.nbytes
            + r.indptr.nbytes
            + self._users.ids.nbytes
            + self._movies.ids.nbytes
            + self._items.nbytes
            + self._position.nbytes
            + self._modelled.nbytes
        )

    def dense_weights(self) -> np.ndarray:
        """B over the whole movie index as a dense float64 matrix (zero rows/columns for unmodelled movies);
        for analysis and tests: it is n_movies² floats."""
        out = np.zeros((self.n_items, self.n_items))
        out[np.ix_(self._items, self._items)] = self._weights
        return out

    @property
    def user_ids(self) -> np.ndarray:
        """Ids of the training users, ascending."""
        return self._users.ids

    @property
    def movie_index(self) -> IdIndex:
        """The movie id ↔ column index map shared by every score vector this model returns."""
        return self._movies

    @property
    def item_counts(self) -> np.ndarray:
        """Training ratings per movie (aligned with `movie_index`)."""
        return self._item_counts

    def is_modelled(self, movie_id: int) -> bool:
        """True when EASE ranks `movie_id` (it has at least `min_item_ratings` training ratings)."""
        idx = self._movies.index_of(movie_id)
        return idx is not None and bool(self._modelled[idx])

    @property
    def modelled_movie_ids(self) -> np.ndarray:
        """Movie ids EASE can recommend and use as evidence."""
        return self._movies.ids[self._modelled]

    # ----------------------------------------------------------------------- scoring

    def score_rows(self, rows: sp.csr_matrix) -> np.ndarray:
        """Dense scores (rows × movies) for users given as star rows over this model's movie index.

        Unmodelled movies score -inf so they are never ranked; rated movies are NOT masked here.
        """
        x = interaction_matrix(sp.csr_matrix(rows), self.params.binary)[:, self._items].astype(np.float32)
        scores = np.full((x.shape[0], self.n_items), -np.inf)
        scores[:, self._items] = x @ self._weights  # sparse rows × dense B: reads only the rated movies' rows
        return scores

    def rating_row(self, user_id: int) -> sp.csr_matrix | None:
        """The known user's 1×movies row of training stars; None for an unknown user."""
        return self._user_row(user_id)

    def user_scores(self, user_id: int) -> tuple[np.ndarray, sp.csr_matrix] | None:
        """(scores over every movie, the user's star row) for a known user; None for an unknown one."""
        row = self._user_row(user_id)
        return None if row is None else (self.score_rows(row)[0], row)

    def liked_scores(self, liked: LikedInput) -> tuple[np.ndarray, sp.csr_matrix]:
        """(scores over every movie, the folded-in star row) for a user given as liked movies."""
        row = self.liked_row(liked)
        return self.score_rows(row)[0], row

    def recommend_for_user(
        self, user_id: int, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-`n` (movie_id, score) for a known user, best first, never a rated movie; [] for an unknown user."""
        found = self.user_scores(user_id)
        if found is None:
            return []
        scores, row = found
        return self.top_n(scores, row, n, candidate_movie_ids)

    def recommend_from_liked(
        self, liked: LikedInput, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Cold start: top-`n` for a user described by liked movies ({movie_id: stars} or ids at 5 stars).

        The fold-in is the product of the liked row with B; liked movies are never returned; unknown
        ids are ignored, and with no known liked movie the result is [].
        """
        scores, row = self.liked_scores(liked)
        if row.nnz == 0:
            return []
        return self.top_n(scores, row, n, candidate_movie_ids)

    def top_n(
        self, scores: np.ndarray, row: sp.csr_matrix, n: int, candidate_movie_ids: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The best `n` finite scores among the candidates (all movies when None), excluding the row's movies."""
        if n <= 0:
            return []
        allowed = np.isfinite(scores)
        allowed[row.indices] = False
        if candidate_movie_ids is not None:
            mask = np.zeros_like(allowed)
            idx = self._movies.indices_of(np.asarray(candidate_movie_ids))
            mask[idx[idx >= 0]] = True
            allowed &= mask
        eligible = np.flatnonzero(allowed)
        if eligible.size == 0:
            return []
        k = min(n, eligible.size)
        part = eligible[np.argpartition(-scores[eligible], k - 1)[:k]] if k < eligible.size else eligible
        best = part[np.argsort(-scores[part], kind="stable")]
        return [(self._movies.id_at(int(i)), float(scores[i])) for i in best]

    # ----------------------------------------------------------------------- explaining

    def contributions(self, row: sp.csr_matrix, movie_id: int) -> list[tuple[int, float]]:
        """Every rated movie's contribution x_j·B[j, i] to movie i's score, largest first (zeros dropped)."""
        return self.contributions_many(row, [movie_id])[0]

    def contributions_many(
        self, row: sp.csr_matrix, movie_ids: Sequence[int], top: int | None = None
    ) -> list[Evidence]:
        """`contributions` for several movies at once (one lookup of B[rated, picks]); with `top`, only
        each movie's `top` largest positive contributions."""
        out: list[Evidence] = [[] for _ in movie_ids]
        idx = self._movies.indices_of(np.asarray(movie_ids, dtype=np.int64))
        known = np.flatnonzero(idx >= 0)
        if not known.size or row.nnz == 0 or (top is not None and top <= 0):
            return out
        x = interaction_matrix(row, self.params.binary)
        values = x.data[:, None] * self._entries(x.indices, idx[known])
        for column, k in enumerate(known):
            column_values = values[:, column]
            chosen = ranked_positions(column_values, top, positive_only=top is not None)
            out[k] = [(self._movies.id_at(int(x.indices[j])), float(column_values[j])) for j in chosen]
        return out

    def _entries(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """B[rows][:, cols] (movie indices) as a dense len(rows) × len(cols) array; 0 where unmodelled."""
        r, c = self._position[rows], self._position[cols]
        out = np.zeros((len(rows), len(cols)), dtype=np.float64)
        keep_r, keep_c = np.flatnonzero(r >= 0), np.flatnonzero(c >= 0)
        out[np.ix_(keep_r, keep_c)] = self._weights[np.ix_(r[keep_r], c[keep_c])]
        return out

    def explain_many_for_user(self, user_id: int, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """For each pick i, the known user's rated movies j with the largest x_j·B[j, i] > 0 (see `ExplainsPicks`)."""
        row = self._user_row(user_id)
        return [[] for _ in movie_ids] if row is None else self.contributions_many(row, movie_ids, top)

    def explain_many_from_liked(self, liked: LikedInput, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """`explain_many_for_user` for a cold-start user given as liked movies."""
        return self.contributions_many(self.liked_row(liked), movie_ids, top)
