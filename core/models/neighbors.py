"""Item-neighbourhood rating models over baseline residuals (the building blocks of `blend`).

Three pieces, all on a users×movies CSR of stars and dense indices (no ids):

- `baseline_biases`: μ, b_u, b_i by alternating damped means, the regularised "user + item biases"
  model (the same estimate as the Surprise library's BaselineOnly with ALS: reg_u 15, reg_i 10,
  10 sweeps). Its residuals z_ui = r_ui − μ − b_u − b_i are what the neighbourhood models work on.
- `item_neighbors`: each movie's K most similar movies by the shrunk Pearson-baseline correlation

      s_ij = Σ z_ui z_uj / √(Σ z_ui² · Σ z_uj²) · (n_ij − 1) / (n_ij − 1 + shrinkage)

  with every sum over the n_ij users who rated both (Koren 2010, "Factor in the neighbors"). Only
  positive similarities are kept; they serve the k-NN predictor, the learned model and the evidence.
- `NeighborhoodModel`: Koren's (2008) global neighbourhood model,

      r̂_ui = μ + b_u + b_i + |R(i;u)|^-½ Σ_{j ∈ R(i;u)} (w_ij z_uj + c_ij)

  where R(i;u) are the user's rated movies among i's K neighbours, z_uj the fixed baseline residuals
  and w_ij, c_ij learned weights. The model is linear in (b_u, b_i, w, c), so instead of SGD it is
  solved exactly as one sparse ridge regression with LSQR: deterministic and a few seconds on 100k
  ratings.

Costs: the similarity pass touches every co-rated pair (Σ_u n_u² ≈ 50M on ml-latest-small, a few
seconds); prediction gathers at most K neighbours per target movie, so it is microseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

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


def item_neighbors(residuals: sp.csr_matrix, max_neighbors: int, shrinkage: float) -> sp.csr_matrix:
    """items×items CSR holding, per row, the `max_neighbors` most similar other items (positive only).

    `residuals` is the users×items CSR of baseline residuals; its stored pattern is the set of
    ratings (an explicit zero residual still counts as a rating). Items rated by fewer than two users
    have no positive similarity (the shrinkage factor is 0 at n_ij ≤ 1) and are skipped up front.
    """
    n_items = residuals.shape[1]
    counts = np.bincount(residuals.indices, minlength=n_items)
    active = np.flatnonzero(counts >= 2)
    if len(active) < 2 or max_neighbors <= 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    pattern = sp.csr_matrix((np.ones(len(residuals.data)), residuals.indices, residuals.indptr), shape=residuals.shape)
    z = residuals[:, active].tocsc()
    b = pattern[:, active].tocsc()
    z2 = z.multiply(z).tocsc()
    z_t, b_t, z2_t = z.T.tocsr(), b.T.tocsr(), z2.T.tocsr()
    k = min(max_neighbors, len(active) - 1)
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    vals_out: list[np.ndarray] = []
    block = max(1, _SIMILARITY_BLOCK_CELLS // len(active))
    for start in range(0, len(active), block):
        stop = min(start + block, len(active))
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
        rows_out.append(np.broadcast_to(np.arange(start, stop)[:, None], top.shape)[keep])
        cols_out.append(top[keep])
        vals_out.append(values[keep])
    rows = active[np.concatenate(rows_out)]
    cols = active[np.concatenate(cols_out)]
    out = sp.csr_matrix(
        (np.concatenate(vals_out).astype(np.float32), (rows, cols)), shape=(n_items, n_items), dtype=np.float32
    )
    out.sort_indices()
    return out


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
    """

    max_neighbors: int = 100
    shrinkage: float = 100.0
    reg_weights: float = 3.0
    reg_bias: float = 1.0
    max_iterations: int = 500

    def __post_init__(self) -> None:
        if self.max_neighbors < 1 or self.max_iterations < 1:
            raise ValueError("max_neighbors and max_iterations must be at least 1")
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
        """Solve the ridge regression over every training rating (rows) and every parameter (columns)."""
        n_users, n_items = residuals.shape
        n_pairs = neighbors.nnz
        pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        row_offset = 0
        for u in range(n_users):
            lo, hi = residuals.indptr[u], residuals.indptr[u + 1]
            rated = residuals.indices[lo:hi]
            hits = neighbor_hits(neighbors, rated, rated)
            pieces.append((hits.row + row_offset, hits.pair, residuals.data[lo:hi][hits.rated]))
            row_offset += hi - lo
        n = residuals.nnz
        q = np.concatenate([p[0] for p in pieces])
        pair = np.concatenate([p[1] for p in pieces])
        z = np.concatenate([p[2] for p in pieces])
        norm = 1.0 / np.sqrt(np.maximum(np.bincount(q, minlength=n), 1))
        users = np.repeat(np.arange(n_users), np.diff(residuals.indptr))
        # One damping for all columns: scaling the weight columns by √(reg_bias/reg_weights) turns it
        # into reg_weights on w and c (w = scale · solution).
        scale = np.sqrt(params.reg_bias / params.reg_weights)
        ones = np.ones(n)
        design = sp.hstack(
            [
                sp.csr_matrix((ones, (np.arange(n), users)), shape=(n, n_users)),
                sp.csr_matrix((ones, (np.arange(n), residuals.indices)), shape=(n, n_items)),
                sp.csr_matrix((z * norm[q] * scale, (q, pair)), shape=(n, n_pairs)),
                sp.csr_matrix((norm[q] * scale, (q, pair)), shape=(n, n_pairs)),
            ],
            format="csr",
        )
        rows_ratings = users
        target = residuals.data + baseline.user_bias[rows_ratings] + baseline.item_bias[residuals.indices]
        solution, _, iterations, *_ = lsqr(
            design, target, damp=np.sqrt(params.reg_bias), atol=1e-6, btol=1e-6, iter_lim=params.max_iterations
        )
        log.debug("neighbourhood model: %d parameters, LSQR converged in %d iterations", len(solution), iterations)
        bu = solution[:n_users]
        bi = solution[n_users : n_users + n_items]
        w = (solution[n_users + n_items : n_users + n_items + n_pairs] * scale).astype(np.float32)
        c = (solution[n_users + n_items + n_pairs :] * scale).astype(np.float32)
        return cls(baseline, bu, bi, neighbors, w, c)

    def interaction(self, hits: NeighborHits, residual: np.ndarray, n_rows: int) -> np.ndarray:
        """|R(i;u)|^-½ Σ (w_ij z_uj + c_ij) per target row, from a `neighbor_hits` join."""
        if len(hits.row) == 0:
            return np.zeros(n_rows)
        terms = self.w[hits.pair].astype(np.float64) * residual[hits.rated] + self.c[hits.pair]
        counts = np.bincount(hits.row, minlength=n_rows)
        return np.bincount(hits.row, terms, minlength=n_rows) / np.sqrt(np.maximum(counts, 1))
