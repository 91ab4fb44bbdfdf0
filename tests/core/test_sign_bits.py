"""The in-memory sign-bit index: Hamming distances as sqlite-vec's bit scan ranks them (its use on a built
two-stage catalogue is tested in test_two_stage_search.py, on that module's database)."""

from __future__ import annotations

import numpy as np
import pytest

from core.search.sign_bits import SignBitIndex, sign_words


def test_sign_words_count_the_differing_signs() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1, 384)).astype(np.float32)
    b = a.copy()
    flipped = rng.choice(384, size=37, replace=False)
    b[0, flipped] *= -1
    assert sign_words(a).shape == (1, 6)
    assert int(np.bitwise_count(sign_words(a) ^ sign_words(b)).sum()) == 37


def test_nearest_returns_the_fewest_differing_bits() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((500, 384)).astype(np.float32)
    index = SignBitIndex.from_parts([(np.arange(100, 600), sign_words(vectors))])
    query = vectors[42] + 0.3 * rng.standard_normal(384).astype(np.float32)
    distance = ((vectors > 0) != (query > 0)).sum(axis=1)  # Hamming distance, counted without packing
    found = index.nearest(query, 20)
    assert len(found) == 20 and len(set(found.tolist())) == 20
    # Every movie returned is at least as near as every movie left out.
    assert distance[found - 100].max() <= np.delete(distance, found - 100).min()
    assert 142 in found
    assert sorted(index.nearest(query, 10_000).tolist()) == list(range(100, 600))
    assert index.nearest(query, 0).size == 0


def test_nearest_within_ranks_only_the_given_movies() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 384)).astype(np.float32)
    index = SignBitIndex.from_parts([(np.arange(1, 301), sign_words(vectors))])
    query = vectors[9] + 0.3 * rng.standard_normal(384).astype(np.float32)  # movie 10 is nearest overall
    within = np.arange(100, 301, 2)  # movie 10 is not among them
    distance = ((vectors > 0) != (query > 0)).sum(axis=1)
    found = index.nearest(query, 15, within=within)
    assert len(found) == 15 and set(found.tolist()) <= set(within.tolist())
    rest = np.setdiff1d(within, found)
    assert distance[found - 1].max() <= distance[rest - 1].min()
    assert sorted(index.nearest(query, 500, within=within).tolist()) == within.tolist()
    assert index.nearest(query, 5, within=np.array([], dtype=np.int64)).size == 0


def test_an_empty_index_finds_nothing() -> None:
    index = SignBitIndex.from_parts([])
    assert len(index) == 0 and index.nearest(np.ones(384, dtype=np.float32), 5).size == 0
    with pytest.raises(ValueError, match="ids"):
        SignBitIndex(np.arange(3), np.zeros((2, 6), dtype=np.uint64))
