"""Item-neighbourhood rating models over baseline residuals (the building blocks of `blend`).

Three pieces, all on a users×movies CSR of stars and dense indices (no ids):

- `baseline_biases`: μ, b_u, b_i by alternating damped means, the regularised "user + item biases"
  model (the same estimate as the Surprise library's BaselineOnly with ALS: reg_u 15, reg_i 10,
  10 sweeps). Its residuals z_ui = r_ui − μ − b_u − b_i are what the neighbourhood models work on.
- `item_neighbors`: each movie's K most similar movies by the shrunk Pearson-baseline correlation

      s_ij = Σ z_ui z_uj / √(Σ z_ui² · Σ z_uj²) · (n_ij − 1) / (n_ij − 1 + shrinkage)

  with every sum over the n_ij users who rated both (Koren 2010, "Factor in the neighbors"). Only
  positive similarities are kept; they serve the k-NN predictor, the learned model and the evidence.
  The pairs considered are each movie's 2K largest residual dot products, found by `implicit`'s
  compiled top-k (`core.models.similarity_candidates`, issue 13); `exact=True` forms every
  co-rated pair in dense blocks instead (the hand-written pass, kept as the reference).
- `NeighborhoodModel`: Koren's (2008) global neighbourhood model,

      r̂_ui = μ + b_u + b_i + |R(i;u)|^-½ Σ_{j ∈ R(i;u)} (w_ij z_uj + c_ij)

  where R(i;u) are the user's rated movies among i's K neighbours, z_uj the fixed baseline residuals
  and w_ij, c_ij learned weights. The model is linear in (b_u, b_i, w, c), so instead of SGD it is
  solved exactly as one sparse ridge regression with LSQR: deterministic and a few seconds on 100k
  ratings.

Costs: the similarity pass touches every co-rated pair (Σ_u n_u² ≈ 50M on ml-latest-small, a few
seconds; in compiled code, then exact values for the candidate pairs only: 30-50% less time than the
dense blocks on 1M-3M ratings); prediction gathers at most K neighbours per target movie, so it is
microseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from core.models.similarity_candidates import candidate_top_k

log = logging.getLogger(__name__)

# Cells (rows × rated items) of one block of the similarity pass: a handful of dense float64 arrays
# of this size are alive at once, so peak memory stays ≈ 100 MB whatever the catalogue size.
_SIMILARITY_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class BaselineParams:
    """Damping of the bias estimates: b_i = Σ(r − μ − b_u)/(n_i + reg_item), b_u likewise, `epochs` sweeps."""

    reg_user: float = 15.0
    reg_item: float = 10.0
    epochs: int = 10


@dataclass(frozen=True)
class Baseline:
    """μ + b_u + b_i over dense indices."""

    global_mean: float
    user_bias: np.ndarray
    item_bias: np.ndarray

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """μ + b_u + b_i for index arrays; an index of -1 (unknown) contributes no bias."""
        out = np.full(len(users), self.global_mean)
        known_u, known_i = users >= 0, items >= 0
        out[known_u] += self.user_bias[users[known_u]]
        out[known_i] += self.item_bias[items[known_i]]
        return out

    def residuals(self, ratings: sp.csr_matrix) -> sp.csr_matrix:
        """z = r − μ − b_u − b_i on the pattern of `ratings` (explicit zeros kept, so the pattern stays)."""
        rows = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))
        data = ratings.data - self.global_mean - self.user_bias[rows] - self.item_bias[ratings.indices]
        return sp.csr_matrix((data, ratings.indices.copy(), ratings.indptr.copy()), shape=ratings.shape)


def baseline_biases(ratings: sp.csr_matrix, params: BaselineParams = BaselineParams()) -> Baseline:
    """Fit the regularised user and item biases by alternating damped means (see the module docstring)."""
    n_users, n_items = ratings.shape
    rows = np.repeat(np.arange(n_users), np.diff(ratings.indptr))
    cols = ratings.indices
    values = ratings.data.astype(np.float64)
    mu = float(values.mean())
    user_counts = np.bincount(rows, minlength=n_users)
    item_counts = np.bincount(cols, minlength=n_items)
    bu = np.zeros(n_users)
    bi = np.zeros(n_items)
    for _ in range(params.epochs):
        bu = np.bincount(rows, values - mu - bi[cols], minlength=n_users) / (params.reg_user + user_counts)
        bi = np.bincount(cols, values - mu - bu[rows], minlength=n_items) / (params.reg_item + item_counts)
    return Baseline(mu, bu, bi)


@dataclass(frozen=True)
class SimilarityBudget:
    """Caps that bound the similarity pass on large data (neither binds on ml-latest-small).

    - max_items: only the most-rated movies (ties: lower index) get neighbour lists and serve as
      neighbours; the dense blocks cost max_items² cells in all. Movies past the cut-off have no
      neighbours, so the neighbourhood components fall back to the baseline for them and the blend
      leans on the biased MF.
    - max_corated_pairs: Σ_u min(n_u, c)² co-rated pairs at most: users with more than c ratings
      count a random c of them (seeded) in the co-rating sums. The sparse products cost ∝ these pairs;
      heavy raters, whose Σ n_u² would dominate, say little about any one pair.
    """

    max_items: int = 20_000
    max_corated_pairs: int = 200_000_000
    seed: int = 0


def cap_corated_pairs(ratings: sp.csr_matrix, max_pairs: int, seed: int = 0) -> sp.csr_matrix:
    """`ratings` with each user's row cut to a random c entries, the largest c with Σ min(n_u, c)² ≤ max_pairs."""
    counts = np.diff(ratings.indptr)
    if int(np.sum(counts.astype(np.int64) ** 2)) <= max_pairs:
        return ratings
    low, high = 1, int(counts.max())  # binary search for the largest cap within the budget
    while low < high:
        mid = (low + high + 1) // 2
        if int(np.sum(np.minimum(counts, mid).astype(np.int64) ** 2)) <= max_pairs:
            low = mid
        else:
            high = mid - 1
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(ratings.shape[0]), counts)
    order = np.lexsort((rng.random(len(rows)), rows))  # random order within each user's row
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows)) - np.repeat(ratings.indptr[:-1], counts)
    keep = rank < low
    log.info("similarity pass: users' ratings capped at %d (Σ min(n_u, c)² ≤ %d)", low, max_pairs)
    out = sp.csr_matrix((ratings.data[keep], (rows[keep], ratings.indices[keep])), shape=ratings.shape)
    out.sort_indices()
    return out


def _similarity_items(counts: np.ndarray, max_items: int) -> np.ndarray:
    """Sorted indices of the items that take part: rated by ≥ 2 users, the `max_items` most rated."""
    active = np.flatnonzero(counts >= 2)
    if len(active) > max_items:
        busiest = np.argsort(-counts[active], kind="stable")[:max_items]
        active = np.sort(active[busiest])
    return active


def item_neighbors(
    residuals: sp.csr_matrix,
    max_neighbors: int,
    shrinkage: float,
    budget: SimilarityBudget = SimilarityBudget(),
    exact: bool = False,
) -> sp.csr_matrix:
    """items×items CSR holding, per row, the `max_neighbors` most similar other items (positive only).

    `residuals` is the users×items CSR of baseline residuals; its stored pattern is the set of
    ratings (an explicit zero residual still counts as a rating). Items rated by fewer than two users
    have no positive similarity (the shrinkage factor is 0 at n_ij ≤ 1) and are skipped up front;
    `budget` bounds the cost on large data (see `SimilarityBudget`). The similarities are exact; the
    pairs considered are the candidates of `implicit`'s compiled top-k (`similarity_candidates`),
    or with `exact` every co-rated pair in dense blocks (the hand-written pass: the reference).
    """
    n_items = residuals.shape[1]
    active = _similarity_items(np.bincount(residuals.indices, minlength=n_items), budget.max_items)
    residuals = cap_corated_pairs(residuals, budget.max_corated_pairs, budget.seed)
    if len(active) < 2 or max_neighbors <= 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    z = residuals[:, active]
    k = min(max_neighbors, len(active) - 1)
    rows, cols, values = _dense_top_k(z, k, shrinkage) if exact else candidate_top_k(z, k, shrinkage)
    out = sp.csr_matrix(
        (values.astype(np.float32), (active[rows], active[cols])), shape=(n_items, n_items), dtype=np.float32
    )
    out.sort_indices()
    return out


def _dense_top_k(z: sp.csr_matrix, k: int, shrinkage: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, similarities) of every column's top-k positive neighbours over all co-rated pairs."""
    pattern = sp.csr_matrix((np.ones(len(z.data)), z.indices, z.indptr), shape=z.shape).tocsc()
    z2 = z.multiply(z).tocsc()
    z = z.tocsc()
    transposed = (z.T.tocsr(), pattern.T.tocsr(), z2.T.tocsr())
    block = max(1, _SIMILARITY_BLOCK_CELLS // z.shape[1])
    pieces = [
        _block_top_k(z, pattern, z2, transposed, start, block, k, shrinkage) for start in range(0, z.shape[1], block)
    ]
    return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))  # type: ignore[return-value]


def _block_top_k(
    z: sp.csc_matrix,
    b: sp.csc_matrix,
    z2: sp.csc_matrix,
    transposed: tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix],
    start: int,
    block: int,
    k: int,
    shrinkage: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, similarities) of the top-k positive neighbours of active items start..start+block."""
    z_t, b_t, z2_t = transposed
    stop = min(start + block, z.shape[1])
    products = (z_t[start:stop] @ z).toarray()
    common = (b_t[start:stop] @ b).toarray()
    sq_left = (z2_t[start:stop] @ b).toarray()  # Σ z_ui² over users who also rated j
    sq_right = (b_t[start:stop] @ z2).toarray()  # Σ z_uj² over users who also rated i
    denominator = np.sqrt(sq_left * sq_right)
    sims = np.divide(products, denominator, out=np.zeros_like(products), where=denominator > 0)
    support = np.maximum(common - 1.0, 0.0)
    sims *= support / (support + shrinkage)
    sims[np.arange(stop - start), np.arange(start, stop)] = 0.0  # an item is not its own neighbour
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(sims, top, axis=1)
    keep = values > 0
    rows = np.broadcast_to(np.arange(start, stop)[:, None], top.shape)[keep]
    return rows, top[keep], values[keep]


def similarities_to(
    by_user: sp.csr_matrix, by_item: sp.csc_matrix, target: int, others: np.ndarray, shrinkage: float
) -> np.ndarray:
    """Exact shrunk Pearson-baseline similarity of item `target` to each item index in `others`.

    `by_user` / `by_item` hold the same residual matrix as CSR and CSC. Costs one pass over the
    ratings of the users who rated `target`, so it suits one prediction, not a whole catalogue.
    """
    others = np.asarray(others, dtype=np.int64)
    out = np.zeros(len(others))
    lo, hi = by_item.indptr[target], by_item.indptr[target + 1]
    raters, z_target = by_item.indices[lo:hi], by_item.data[lo:hi]
    if len(raters) == 0 or len(others) == 0:
        return out
    starts, stops = by_user.indptr[raters], by_user.indptr[raters + 1]
    lengths = stops - starts
    owner = np.repeat(np.arange(len(raters)), lengths)
    positions = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
    items, z_other = by_user.indices[positions], by_user.data[positions]
    order = np.argsort(others, kind="stable")
    sorted_others = others[order]
    slot = np.minimum(np.searchsorted(sorted_others, items), len(others) - 1)
    hit = sorted_others[slot] == items
    slot, zi, zj = order[slot[hit]], z_target[owner[hit]], z_other[hit]
    n = np.bincount(slot, minlength=len(others)).astype(np.float64)
    products = np.bincount(slot, zi * zj, minlength=len(others))
    sq_left = np.bincount(slot, zi * zi, minlength=len(others))
    sq_right = np.bincount(slot, zj * zj, minlength=len(others))
    denominator = np.sqrt(sq_left * sq_right)
    np.divide(products, denominator, out=out, where=denominator > 0)
    support = np.maximum(n - 1.0, 0.0)
    out *= support / (support + shrinkage)
    out[others == target] = 0.0
    return out


@dataclass(frozen=True)
class NeighborHits:
    """For target items T and a user's rated items J (sorted): the pairs (t, j) with j among t's neighbours.

    `row` indexes the targets, `pair` the position in the neighbour CSR (so into its data, `w`, `c`),
    `rated` the position in J.
    """

    row: np.ndarray
    pair: np.ndarray
    rated: np.ndarray


def neighbor_hits(neighbors: sp.csr_matrix, rated: np.ndarray, targets: np.ndarray) -> NeighborHits:
    """Join each target's neighbour list with the user's sorted rated item indices (see `NeighborHits`)."""
    starts = neighbors.indptr[targets]
    lengths = neighbors.indptr[targets + 1] - starts
    total = int(lengths.sum())
    if total == 0 or len(rated) == 0:
        empty = np.empty(0, dtype=np.int64)
        return NeighborHits(empty, empty, empty)
    row = np.repeat(np.arange(len(targets)), lengths)
    pair = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
    cols = neighbors.indices[pair]
    slot = np.minimum(np.searchsorted(rated, cols), len(rated) - 1)
    hit = rated[slot] == cols
    return NeighborHits(row[hit], pair[hit], slot[hit])


def knn_residual(
    sims: np.ndarray, residual: np.ndarray, row: np.ndarray, n_rows: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Item-kNN with baseline: per row, Σ s·z / Σ s over its k most similar hits; also returns Σ s.

    `sims`, `residual` and `row` are parallel arrays (one entry per hit); rows without hits get 0.
    """
    if len(row) == 0:
        return np.zeros(n_rows), np.zeros(n_rows)
    order = np.lexsort((-sims, row))  # by row, most similar first
    sorted_rows = row[order]
    first = np.searchsorted(sorted_rows, sorted_rows)  # start of each entry's row run
    keep = order[(np.arange(len(order)) - first) < k]
    weight = np.bincount(row[keep], sims[keep], minlength=n_rows)
    total = np.bincount(row[keep], sims[keep] * residual[keep], minlength=n_rows)
    return np.divide(total, weight, out=np.zeros(n_rows), where=weight > 0), weight


@dataclass(frozen=True)
class NeighborhoodParams:
    """Hyper-parameters of the neighbour lists and the global neighbourhood model.

    max_neighbors and reg_weights come from the nested search of `core.evaluation.rating.search`
    (validation splits of the 5 training folds of ml-latest-small; mean validation RMSE):
    - max_neighbors=100: K, neighbours kept per movie (also the k-NN candidates). K=50 0.8745,
      K=100 0.8734, K=200 0.8734 (at reg_weights 3); 100 won 3 folds of 5 and costs half of 200.
    - reg_weights=3.0: L2 weight on every w_ij and c_ij; best on all 5 folds (1.0: 0.8792, 10.0: 0.8789 at K=100).
    - shrinkage=100: pseudo-count pulling similarities of rarely co-rated pairs towards 0 (Surprise's
      default; not searched).
    - reg_bias=1.0: L2 weight on the model's own b_u, b_i (not searched).
    - max_iterations: LSQR iteration cap (it converges in ~150 on ml-latest-small).
    - max_similarity_items, max_corated_pairs: the similarity pass's bounds (`SimilarityBudget`).
    - max_model_terms: at most this many (rating, neighbour) terms in the ridge regression: when all
      ratings would give more, the regression rows are the ratings of a random subset of users
      (seeded) that fits, and the other users' b_u (and b_i of movies the subset never rated) are
      solved in closed form afterwards with w and c fixed, as a new user is folded in. Bounds the
      LSQR to ~2·max_model_terms non-zeros per iteration. ml-latest-small has 3.7M terms (not bound).
    """

    max_neighbors: int = 100
    shrinkage: float = 100.0
    reg_weights: float = 3.0
    reg_bias: float = 1.0
    max_iterations: int = 500
    max_similarity_items: int = SimilarityBudget.max_items
    max_corated_pairs: int = SimilarityBudget.max_corated_pairs
    max_model_terms: int = 5_000_000

    def similarity_budget(self) -> SimilarityBudget:
        return SimilarityBudget(self.max_similarity_items, self.max_corated_pairs)

    def __post_init__(self) -> None:
        if min(self.max_neighbors, self.max_iterations, self.max_similarity_items, self.max_model_terms) < 1:
            raise ValueError("max_neighbors, max_iterations, max_similarity_items and max_model_terms must be >= 1")
        if self.shrinkage < 0 or self.reg_weights <= 0 or self.reg_bias <= 0:
            raise ValueError("shrinkage must be >= 0 and the regularisation weights > 0")


@dataclass(frozen=True)
class NeighborhoodModel:
    """The learned global neighbourhood model (module docstring); `w`/`c` align with `neighbors.data`."""

    baseline: Baseline  # fixed: defines the residuals z_uj the weights multiply
    user_bias: np.ndarray  # the model's own, learned jointly with w and c
    item_bias: np.ndarray
    neighbors: sp.csr_matrix
    w: np.ndarray
    c: np.ndarray

    @classmethod
    def train(
        cls, residuals: sp.csr_matrix, baseline: Baseline, neighbors: sp.csr_matrix, params: NeighborhoodParams
    ) -> NeighborhoodModel:
        """Solve the ridge regression over the training ratings (rows) and every parameter (columns);
        on large data over a user sample within `params.max_model_terms` (see `NeighborhoodParams`)."""
        n_users, n_items = residuals.shape
        n_pairs = neighbors.nnz
        users, hits = _regression_users(residuals, neighbors, params.max_model_terms)
        counts = np.diff(residuals.indptr)[users]
        offsets = np.cumsum(counts) - counts
        positions = np.concatenate([np.arange(residuals.indptr[u], residuals.indptr[u + 1]) for u in users])
        q = np.concatenate([h.row + off for h, off in zip(hits, offsets, strict=True)])
        pair = np.concatenate([h.pair for h in hits])
        z = np.concatenate(
            [
                residuals.data[residuals.indptr[u] : residuals.indptr[u + 1]][h.rated]
                for u, h in zip(users, hits, strict=True)
            ]
        )
        n = len(positions)
        norm = 1.0 / np.sqrt(np.maximum(np.bincount(q, minlength=n), 1))
        row_users, row_items = np.repeat(users, counts), residuals.indices[positions]
        # One damping for all columns: scaling the weight columns by √(reg_bias/reg_weights) turns it
        # into reg_weights on w and c (w = scale · solution).
        scale = np.sqrt(params.reg_bias / params.reg_weights)
        ones = np.ones(n)
        design = sp.hstack(
            [
                sp.csr_matrix((ones, (np.arange(n), row_users)), shape=(n, n_users)),
                sp.csr_matrix((ones, (np.arange(n), row_items)), shape=(n, n_items)),
                sp.csr_matrix((z * norm[q] * scale, (q, pair)), shape=(n, n_pairs)),
                sp.csr_matrix((norm[q] * scale, (q, pair)), shape=(n, n_pairs)),
            ],
            format="csr",
        )
        target = residuals.data[positions] + baseline.user_bias[row_users] + baseline.item_bias[row_items]
        solution, _, iterations, *_ = lsqr(
            design, target, damp=np.sqrt(params.reg_bias), atol=1e-6, btol=1e-6, iter_lim=params.max_iterations
        )
        log.debug("neighbourhood model: %d parameters, LSQR converged in %d iterations", len(solution), iterations)
        bu = solution[:n_users]
        bi = solution[n_users : n_users + n_items]
        w = (solution[n_users + n_items : n_users + n_items + n_pairs] * scale).astype(np.float32)
        c = (solution[n_users + n_items + n_pairs :] * scale).astype(np.float32)
        model = cls(baseline, bu, bi, neighbors, w, c)
        if len(users) < n_users:
            model._fold_in_unsampled(residuals, users, np.bincount(row_items, minlength=n_items) > 0, params)
        return model

    def _fold_in_unsampled(
        self, residuals: sp.csr_matrix, sampled: np.ndarray, seen_items: np.ndarray, params: NeighborhoodParams
    ) -> None:
        """Biases of what the regression sample left out, with w and c fixed: the baseline's b_i for
        movies it never saw, then each other user's b_u as the ridge solution (as a new user is folded in)."""
        self.item_bias[~seen_items] = self.baseline.item_bias[~seen_items]
        others = np.setdiff1d(np.arange(residuals.shape[0]), sampled)
        for u in others:
            lo, hi = residuals.indptr[u], residuals.indptr[u + 1]
            rated, z = residuals.indices[lo:hi], residuals.data[lo:hi]
            explained = self.item_bias[rated] + self.interaction(
                neighbor_hits(self.neighbors, rated, rated), z, hi - lo
            )
            stars_less_mean = z + self.baseline.user_bias[u] + self.baseline.item_bias[rated]
            self.user_bias[u] = np.sum(stars_less_mean - explained) / (hi - lo + params.reg_bias)
        log.info(
            "neighbourhood model: regression on %d of %d users, the rest folded in", len(sampled), residuals.shape[0]
        )

    def interaction(self, hits: NeighborHits, residual: np.ndarray, n_rows: int) -> np.ndarray:
        """|R(i;u)|^-½ Σ (w_ij z_uj + c_ij) per target row, from a `neighbor_hits` join."""
        if len(hits.row) == 0:
            return np.zeros(n_rows)
        terms = self.w[hits.pair].astype(np.float64) * residual[hits.rated] + self.c[hits.pair]
        counts = np.bincount(hits.row, minlength=n_rows)
        return np.bincount(hits.row, terms, minlength=n_rows) / np.sqrt(np.maximum(counts, 1))


def _regression_users(
    residuals: sp.csr_matrix, neighbors: sp.csr_matrix, max_terms: int, seed: int = 0
) -> tuple[np.ndarray, list[NeighborHits]]:
    """The users whose ratings are the regression's rows (sorted) and their neighbour hits.

    Every user while the hits fit `max_terms`; otherwise users in a seeded random order until the
    next would pass it (at least one).
    """
    n_users = residuals.shape[0]
    chosen: dict[int, NeighborHits] = {}
    total = 0
    for u in np.random.default_rng(seed).permutation(n_users):
        lo, hi = residuals.indptr[u], residuals.indptr[u + 1]
        rated = residuals.indices[lo:hi]
        hits = neighbor_hits(neighbors, rated, rated)
        if chosen and total + len(hits.row) > max_terms:
            break
        chosen[int(u)] = hits
        total += len(hits.row)
    users = np.array(sorted(chosen), dtype=np.int64)
    return users, [chosen[int(u)] for u in users]
