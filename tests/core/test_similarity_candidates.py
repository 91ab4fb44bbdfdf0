"""The served similarity pass (`implicit` candidates, exact values) against the hand-written dense pass.

On a small random rating matrix: the exact pair similarities equal the dense pass's values, with
candidate lists long enough to hold every movie the neighbour lists are the same, and short ones
keep at most K positive neighbours whose values are still the exact ones.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.models.neighbors import baseline_biases, item_neighbors
from core.models.similarity_candidates import candidate_top_k, pair_similarities


@pytest.fixture(scope="module")
def residuals() -> sp.csr_matrix:
    """60 users × 40 movies, ~30% rated, half-star ratings with a per-movie offset (so similarities vary)."""
    rng = np.random.default_rng(3)
    mask = rng.random((60, 40)) < 0.3
    stars = np.clip(np.round((3.0 + rng.normal(0, 1, (60, 40)) + rng.normal(0, 0.5, 40)) * 2) / 2, 0.5, 5.0)
    matrix = sp.csr_matrix(np.where(mask, stars, 0.0))
    matrix.sort_indices()
    return baseline_biases(matrix).residuals(matrix)


def test_pair_similarities_equal_the_hand_written_pass(residuals: sp.csr_matrix) -> None:
    ours = item_neighbors(residuals, 39, 5.0, exact=True).tocoo()
    by_item = residuals.tocsc().T.tocsr()
    by_item.sort_indices()
    sims = pair_similarities(by_item, ours.row.astype(np.int64), ours.col.astype(np.int64), 5.0)
    assert ours.nnz > 100
    np.testing.assert_allclose(sims, ours.data, rtol=1e-5, atol=1e-6)


def _as_matrix(triples: tuple[np.ndarray, ...], shape: tuple[int, int]) -> np.ndarray:
    rows, cols, values = triples
    return sp.csr_matrix((values, (rows, cols)), shape=shape).toarray()


def test_with_every_movie_a_candidate_the_lists_are_the_same(residuals: sp.csr_matrix) -> None:
    dense = item_neighbors(residuals, 10, 5.0, exact=True).toarray()
    served = _as_matrix(candidate_top_k(residuals, 10, 5.0, candidates=10.0), (40, 40))
    assert np.count_nonzero(dense) > 200
    np.testing.assert_allclose(served, dense, rtol=1e-5, atol=1e-7)


def test_short_candidate_lists_keep_at_most_k_exact_positive_neighbours(residuals: sp.csr_matrix) -> None:
    served = item_neighbors(residuals, 5, 5.0).toarray()
    every = item_neighbors(residuals, 39, 5.0, exact=True).toarray()  # every positive similarity
    assert np.all(np.count_nonzero(served, axis=1) <= 5)
    assert np.all(np.diag(served) == 0)
    kept = served > 0
    assert kept.sum() > 100
    np.testing.assert_allclose(served[kept], every[kept], rtol=1e-5)
