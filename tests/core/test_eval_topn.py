"""The top-N section: metric definitions on hand-computed cases, the split, and a quick run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.evaluation import topn
from core.evaluation.base import EvalContext


def two_block_ratings(n_users: int = 60, seed: int = 0) -> pd.DataFrame:
    """Odd users mostly rate movies 1-40, even users 41-80 (15 each), plus 3 random movies anywhere."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        block = np.arange(1, 41) if user % 2 else np.arange(41, 81)
        movies = set(rng.choice(block, size=15, replace=False).tolist()) | set(
            rng.choice(np.arange(1, 81), size=3, replace=False).tolist()
        )
        rows += [(user, int(m), float(rng.choice([2.0, 3.0, 4.0, 5.0])), 0) for m in sorted(movies)]
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


# --- metrics -----------------------------------------------------------------------------------


def test_user_metrics_by_hand() -> None:
    # Ranked [1, 2, 3, 4], relevant {2, 4, 9}, k = 4: hits at ranks 2 and 4.
    p, r, ndcg, ap = topn.user_metrics([1, 2, 3, 4], [2, 4, 9], k=4)
    assert p == pytest.approx(2 / 4)
    assert r == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)  # min(|relevant|, k) = 3 positions
    assert ndcg == pytest.approx(dcg / ideal)
    assert ap == pytest.approx((1 / 2 + 2 / 4) / 3)  # P@2 and P@4 at the hits, over min(|relevant|, k)


def test_user_metrics_perfect_and_empty_lists() -> None:
    assert topn.user_metrics([5, 6], [5, 6], k=2) == pytest.approx((1.0, 1.0, 1.0, 1.0))
    # More relevant movies than k: ideal DCG and AP use k positions, recall uses all of them.
    p, r, ndcg, ap = topn.user_metrics([1, 2], [1, 2, 3, 4], k=2)
    assert (p, r, ndcg, ap) == pytest.approx((1.0, 0.5, 1.0, 1.0))
    assert topn.user_metrics([], [1], k=3) == pytest.approx((0.0, 0.0, 0.0, 0.0))
    # A short list counts its missing slots as misses (P divides by k).
    assert topn.user_metrics([1], [1], k=2)[0] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        topn.user_metrics([1], [], k=1)


def test_ranking_metrics_average_the_users_with_relevant_movies() -> None:
    top = np.array([[1, 2, 3, 4], [7, -1, -1, -1], [1, 2, 3, 4]])
    relevant = [np.array([2, 4, 9]), np.array([7, -2]), np.array([], dtype=np.int64)]
    got = topn.ranking_metrics(top, relevant, k=4)
    first = topn.user_metrics([1, 2, 3, 4], [2, 4, 9], k=4)
    second = topn.user_metrics([7], [7, -2], k=4)
    assert got["users"] == 2  # the third user has nothing relevant and is skipped
    for key, i in (("p", 0), ("r", 1), ("ndcg", 2), ("map", 3)):
        assert got[key] == pytest.approx((first[i] + second[i]) / 2)


def test_top_k_skips_training_movies_and_pads() -> None:
    scores = np.array([[0.9, 0.8, 0.1, -np.inf], [0.1, 0.2, 0.3, 0.4]])
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 1]]))
    top = topn.top_k(scores, exclude, k=3)
    assert top.tolist() == [[1, 2, -1], [2, 1, 0]]


def test_holdout_split_is_per_user_deterministic_and_keeps_small_users_whole() -> None:
    ratings = two_block_ratings()
    small = pd.DataFrame([(999, 1, 4.0, 0), (999, 2, 3.0, 0)], columns=ratings.columns)
    ratings = pd.concat([ratings, small], ignore_index=True)
    train, test = topn.holdout_split(ratings, seed=7)
    again_train, again_test = topn.holdout_split(ratings, seed=7)
    assert train.equals(again_train) and test.equals(again_test)
    assert len(train) + len(test) == len(ratings)
    assert not set(zip(train.user_id, train.movie_id, strict=True)) & set(zip(test.user_id, test.movie_id, strict=True))
    assert 999 not in set(test.user_id)
    sizes = ratings.groupby("user_id").size()
    held = test.groupby("user_id").size()
    for user, n in sizes.items():
        if user != 999:
            assert held[user] == max(1, round(0.2 * n))
    other_train, _ = topn.holdout_split(ratings, seed=8)
    assert not other_train.equals(train)


def test_fold_relevance_marks_unknown_movies_as_never_recommendable() -> None:
    train = pd.DataFrame(
        [(1, 10, 5.0, 0), (1, 11, 3.0, 0), (2, 10, 4.0, 0)], columns=["user_id", "movie_id", "rating", "timestamp"]
    )
    held = pd.DataFrame([(1, 12, 5.0, 0), (2, 11, 2.0, 0)], columns=train.columns)
    fold = topn.Fold.build(train, held)
    assert fold.relevant_all[0].tolist() == [-2]  # movie 12 has no training rating
    assert fold.relevant_all[1].tolist() == [fold.movies.index_of(11)]
    assert fold.relevant_liked[1].tolist() == []  # 2 stars is not ≥ 4


# --- the section -------------------------------------------------------------------------------


def test_quick_run_reports_every_model_and_the_targets() -> None:
    result = topn.run(EvalContext(db_path=Path("unused.db"), ratings=two_block_ratings(), quick=True))
    names = [row["model"] for row in result.table]
    assert names == [
        "most-popular",
        "item-kNN (cosine)",
        "implicit ALS (defaults)",
        "ALS (grid-tuned)",
        "ALS (engine=als)",
        "EASE (λ by validation)",
        "EASE (λ=200)",
        topn.DEFAULT_MODEL,
    ]
    for row in result.table:
        for key in ("ndcg@10", "p@10", "r@10", "map@10", "ndcg@10 (≥4)", "coverage"):
            assert 0.0 <= float(row[key]) <= 1.0, (row["model"], key)  # type: ignore[arg-type]
        assert float(row["mean_pop"]) > 0  # type: ignore[arg-type]
    by_name = {row["model"]: row for row in result.table}
    # The two blocks are easy: every collaborative model beats most-popular by far.
    assert float(by_name[topn.DEFAULT_MODEL]["ndcg@10"]) > 1.5 * float(by_name["most-popular"]["ndcg@10"])  # type: ignore[arg-type]
    assert len(result.targets) == 2 and all(t.value is not None for t in result.targets)
    assert any(n.startswith("validation nDCG@10, EASE") for n in result.notes)
    assert result.name == "topn" and "holdout" in result.protocol


def test_vectorised_ndcg_equals_the_reference_metrics() -> None:
    ratings = two_block_ratings()
    train, test = topn.holdout_split(ratings, seed=3)
    fold = topn.Fold.build(train, test)
    scores = np.random.default_rng(0).normal(size=fold.matrix.shape)
    scores[:, :5] = -np.inf  # some movies never rankable
    expected = topn.ranking_metrics(topn.top_k(scores, fold.matrix), fold.relevant_all)["ndcg"]
    assert topn.ndcg(scores, fold) == pytest.approx(expected)
    assert topn.ndcg(fold.mask_rated(scores.copy()), fold, rated_masked=True) == pytest.approx(expected)


def test_validation_folds_validate_every_user_once_on_ratings_their_models_never_saw() -> None:
    train, _ = topn.holdout_split(two_block_ratings(), seed=3)
    grids = topn.SearchGrids(validation_groups=3)
    folds = topn.validation_folds(train, seed=5, grids=grids)
    validated: list[int] = []
    for vf in folds:
        fold = vf.fold
        members = fold.users.ids[vf.rows]
        validated += members.tolist()
        # Only the group's members have held-out ratings, and none of those is in the fold's training data.
        with_relevant = {int(fold.users.ids[u]) for u, r in enumerate(fold.relevant_all) if len(r)}
        assert with_relevant <= set(members.tolist())
        for u in vf.rows:
            held = fold.relevant_all[u]
            assert not set(held[held >= 0].tolist()) & set(fold.matrix[u].indices.tolist())
        # Everything else of the training part is kept: only ~20% of the members' ratings are missing.
        missing = len(train) - fold.matrix.nnz
        member_ratings = int(train["user_id"].isin(members).sum())
        assert 0 < missing <= 0.25 * member_ratings
    assert sorted(validated) == sorted(set(train["user_id"]))
