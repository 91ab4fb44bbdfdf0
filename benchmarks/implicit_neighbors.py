"""The neighbour lists of `core.models.neighbors.item_neighbors` with `implicit`'s compiled top-k as the candidate pass.

`item_neighbors` forms every co-rated pair's shrunk Pearson-baseline similarity in dense blocks and
keeps each movie's top K (cost ∝ Σ_u n_u²). This variant lets `implicit`'s `all_pairs_knn` (C++,
a heap per row) pick each movie's `candidates · K` most cosine-similar movies over the residual
columns, then computes the exact shrunk Pearson-baseline similarity of only those pairs and keeps
the top K positive ones. The similarity values are the same formula; only the candidate set can
differ (cosine over all raters vs Pearson over co-raters). Used by `benchmarks.rating_libraries`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import CosineRecommender, ItemItemRecommender

from core.models.neighbors import SimilarityBudget, _similarity_items, cap_corated_pairs

_PAIR_CHUNK_ENTRIES = 4_000_000  # (pair, co-rater) lookups per chunk: bounds the temporary arrays


def implicit_item_neighbors(
    residuals: sp.csr_matrix,
    max_neighbors: int,
    shrinkage: float,
    budget: SimilarityBudget | None = None,
    candidates: float = 2.0,
    num_threads: int = 1,
    cosine: bool = False,
) -> sp.csr_matrix:
    """items×items CSR like `item_neighbors`, with the candidate pairs from `implicit` (module docstring)."""
    budget = budget or SimilarityBudget()
    n_items = residuals.shape[1]
    active = _similarity_items(np.bincount(residuals.indices, minlength=n_items), budget.max_items)
    residuals = cap_corated_pairs(residuals, budget.max_corated_pairs, budget.seed)
    if len(active) < 2 or max_neighbors <= 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    z = residuals[:, active].tocsr()
    z.sort_indices()
    k = min(max_neighbors, len(active) - 1)
    # Raw dot products Σ z_ui z_uj favour well co-rated pairs, as the shrinkage does; cosine does not.
    kind = CosineRecommender if cosine else ItemItemRecommender
    model = kind(K=int(np.ceil(k * candidates)) + 1, num_threads=num_threads)  # +1: the item itself
    model.fit(z, show_progress=False)
    cand = model.similarity.tocoo()
    off_diagonal = cand.row != cand.col
    left, right = cand.row[off_diagonal].astype(np.int64), cand.col[off_diagonal].astype(np.int64)
    sims = pair_similarities(z.T.tocsr(), left, right, shrinkage)
    rows, cols, values = _top_k_positive(left, right, sims, k)
    out = sp.csr_matrix(
        (values.astype(np.float32), (active[rows], active[cols])), shape=(n_items, n_items), dtype=np.float32
    )
    out.sort_indices()
    return out


def pair_similarities(by_item: sp.csr_matrix, left: np.ndarray, right: np.ndarray, shrinkage: float) -> np.ndarray:
    """Exact shrunk Pearson-baseline similarity of each (left, right) item pair.

    `by_item` is items×users residuals with sorted indices. Each pair walks the raters of whichever
    item has fewer and looks them up in the other's list, so the cost is Σ_pairs min(n_i, n_j).
    """
    counts = np.diff(by_item.indptr)
    swap = counts[left] > counts[right]
    small, large = np.where(swap, right, left), np.where(swap, left, right)
    n_users = by_item.shape[1]
    keys = np.repeat(np.arange(by_item.shape[0], dtype=np.int64), counts) * n_users + by_item.indices
    out = np.zeros(len(left))
    lengths = counts[small].astype(np.int64)
    bounds = np.searchsorted(np.cumsum(lengths), np.arange(_PAIR_CHUNK_ENTRIES, lengths.sum(), _PAIR_CHUNK_ENTRIES))
    for chunk in np.split(np.arange(len(left)), bounds):
        if len(chunk):
            out[chunk] = _chunk_similarities(by_item, keys, small[chunk], large[chunk], shrinkage)
    return out


def _chunk_similarities(
    by_item: sp.csr_matrix, keys: np.ndarray, small: np.ndarray, large: np.ndarray, shrinkage: float
) -> np.ndarray:
    """`pair_similarities` for one chunk of pairs (already oriented: `small` has the fewer raters)."""
    starts, lengths = by_item.indptr[small], np.diff(by_item.indptr)[small]
    owner = np.repeat(np.arange(len(small)), lengths)
    positions = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
    users, zi = by_item.indices[positions], by_item.data[positions].astype(np.float64)
    wanted = large[owner] * by_item.shape[1] + users
    slot = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[slot] == wanted
    owner, zi, zj = owner[hit], zi[hit], by_item.data[slot[hit]].astype(np.float64)
    n = np.bincount(owner, minlength=len(small)).astype(np.float64)
    products = np.bincount(owner, zi * zj, minlength=len(small))
    denominator = np.sqrt(
        np.bincount(owner, zi * zi, minlength=len(small)) * np.bincount(owner, zj * zj, minlength=len(small))
    )
    sims = np.divide(products, denominator, out=np.zeros(len(small)), where=denominator > 0)
    support = np.maximum(n - 1.0, 0.0)
    return sims * support / (support + shrinkage)


def _top_k_positive(
    rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, its k largest positive similarities (ties: the order `lexsort` gives)."""
    positive = sims > 0
    rows, cols, sims = rows[positive], cols[positive], sims[positive]
    order = np.lexsort((-sims, rows))
    sorted_rows = rows[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_rows, sorted_rows)
    keep = order[rank < k]
    return rows[keep], cols[keep], sims[keep]
