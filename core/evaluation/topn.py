"""Section "topn": top-10 recommendation quality on a per-user random 80/20 holdout, against baselines.

Protocol
- Split: for every user with at least `MIN_USER_RATINGS` ratings, a seeded random 20% of their ratings
  (round(0.2·n), at least one) is the test set; the rest, and every rating of smaller users, is training.
  Every rating is a positive interaction (implicit feedback); the variant "≥4" counts only test ratings
  of 4 stars or more as relevant (users without one are skipped in that variant).
- Candidates: every movie with a training rating except the user's own training movies. A test movie
  nobody rated in training cannot be recommended but still counts in |relevant|.
- Metrics at k = 10, per user, then averaged over the users with at least one relevant test movie:
  P@k = hits/k;  R@k = hits/|relevant|;
  nDCG@k = Σ_{rank r ≤ k, hit} 1/log2(r+1) / Σ_{r=1..min(|relevant|, k)} 1/log2(r+1)  (binary gains);
  AP@k = Σ_{rank r ≤ k, hit} P@r / min(|relevant|, k), MAP@k its mean.
  Coverage: distinct movies in anyone's top 10 / movies with a training rating. Mean popularity: the
  mean number of training ratings of the recommended movies.
- Hyper-parameters: searched on validation data carved out of the training part only: the training
  users fall into 4 seeded groups; for each group, 20% of every member's training ratings are held out
  and the models train on the rest of the training part (see `validation_folds` and `search`). The test
  set is scored once per model, at the end.

Models (all on the same split, in the same run; the engines' models and names come from `core.models.registry`)
- most-popular: training rating counts.
- item-kNN (cosine): binary X, cosine between movies with ≥ 2 training ratings, the 100 most similar
  neighbours per movie kept, score = Σ similarity over the user's movies.
- implicit ALS (defaults): `AlternatingLeastSquares()` as shipped (100 factors, regularisation 0.01,
  alpha 1, 15 iterations) on the star matrix the tools use (confidence = alpha × stars).
- ALS (grid-tuned): the best of a 27-point grid (factors × regularisation × alpha) on validation.
- ALS (engine=als): the tools' `AlsParams`, through `AlsRecommender` as the tools call it.
- EASE (λ by validation): λ and binary-vs-stars X chosen on validation; dense B over movies with ≥ 2 ratings.
- EASE (λ=200): the published reference setting (binary X).
- ease-als-ensemble (default): exactly what `get_movie_recommendations` serves by default — the
  `EaseParams`, `AlsParams` and `EnsembleParams` defaults (B at float16 precision, as stored), through
  `EnsembleRecommender.recommend_for_user`.
  The validation search for those parameters runs in every evaluation, and the notes say whether
  its picks still equal the defaults.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from core.evaluation.base import EvalContext, SectionResult, Target
from core.models import registry
from core.models.als import AlsParams, AlsRecommender, new_als_model
from core.models.common import IdIndex, build_rating_matrix
from core.models.ease import (
    BLAS_THREADS,
    EaseParams,
    EaseRecommender,
    ease_weights,
    gram,
    interaction_matrix,
    modelled_items,
    round_to_float16,
)
from core.models.ensemble import EnsembleParams, blend_scores, scale_from_top_scores

log = logging.getLogger(__name__)

K = 10
TEST_FRACTION = 0.2
MIN_USER_RATINGS = 5  # smaller users stay whole in training (a 1-rating user has nothing left to learn from)
RELEVANT_STARS = 4.0
KNN_NEIGHBOURS = 100
KNN_MIN_ITEM_RATINGS = 2
VALIDATION_GROUPS = 4  # validation user groups (see `validation_folds`)
# Reference figures measured under the same protocol (ml-latest-small, every rating positive).
REFERENCE_NDCG = {
    "most-popular": 0.178,
    "item-kNN (cosine)": 0.257,
    "implicit ALS (defaults)": 0.262,
    "ALS (grid-tuned)": 0.312,
    "EASE (λ=200)": 0.351,
}
EASE_REFERENCE_NDCG = 0.351
DEFAULT_MODEL = registry.eval_label(registry.default_top_n_spec())


@dataclass(frozen=True)
class SearchGrids:
    """What the validation search tries; `QUICK_GRIDS` is for tests (tiny data), never for reported numbers."""

    ease_binary_l2: tuple[float, ...] = (200.0, 400.0, 800.0)
    ease_stars_l2: tuple[float, ...] = (2500.0, 5000.0, 10000.0)
    als_factors: tuple[int, ...] = (32, 64, 128)
    als_regularization: tuple[float, ...] = (1.0, 10.0, 30.0)
    als_alpha: tuple[float, ...] = (0.5, 1.0, 2.0)
    als_iterations: int = 15
    ensemble_weight: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    ensemble_popularity: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2)
    validation_groups: int = VALIDATION_GROUPS
    validation_fraction: float = TEST_FRACTION


QUICK_GRIDS = SearchGrids(
    ease_binary_l2=(5.0, 20.0),
    ease_stars_l2=(50.0,),
    als_factors=(4,),
    als_regularization=(0.1, 1.0),
    als_alpha=(1.0,),
    als_iterations=5,
    ensemble_weight=(0.5, 1.0),
    ensemble_popularity=(0.0, 0.1),
    validation_groups=2,
)

TABLE_COLUMNS = (
    "model",
    "ndcg@10",
    "p@10",
    "r@10",
    "map@10",
    "ndcg@10 (≥4)",
    "p@10 (≥4)",
    "r@10 (≥4)",
    "map@10 (≥4)",
    "coverage",
    "mean_pop",
    "train_s",
    "params",
)


# ------------------------------------------------------------------------------ split and data


def holdout_split(
    ratings: pd.DataFrame, seed: int, fraction: float = TEST_FRACTION, min_user_ratings: int = MIN_USER_RATINGS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random holdout: (train, test) frames (module docstring). Deterministic for a seed."""
    frame = ratings.reset_index(drop=True)
    users = frame["user_id"].to_numpy(np.int64)
    keys = np.random.default_rng(seed).random(len(frame))
    # Rank each rating inside its user by the random key: the lowest round(fraction·n) go to test.
    order = np.lexsort((keys, users))
    sizes = np.bincount(np.unique(users, return_inverse=True)[1])
    rank = np.empty(len(frame), dtype=np.int64)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    rank[order] = np.arange(len(frame)) - starts
    n = np.repeat(sizes, sizes)[np.argsort(order, kind="stable")]
    n_test = np.where(n >= min_user_ratings, np.maximum(1, np.round(fraction * n)), 0)
    test = rank < n_test
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


@dataclass
class Fold:
    """One train/test (or train/validation) pair, as the matrices the models consume."""

    users: IdIndex
    movies: IdIndex
    matrix: sp.csr_matrix  # users × movies, training stars
    train: pd.DataFrame
    relevant_all: list[np.ndarray]  # per user (in `users` order): movie indices of every held-out rating
    relevant_liked: list[np.ndarray]  # the same, ratings ≥ RELEVANT_STARS only

    @classmethod
    def build(cls, train: pd.DataFrame, held_out: pd.DataFrame) -> Fold:
        users, movies, matrix = build_rating_matrix(
            train["user_id"].to_numpy(), train["movie_id"].to_numpy(), train["rating"].to_numpy()
        )
        return cls(
            users,
            movies,
            matrix,
            train,
            relevance_lists(users, movies, held_out, None),
            relevance_lists(users, movies, held_out, RELEVANT_STARS),
        )

    @property
    def item_counts(self) -> np.ndarray:
        """Training ratings per movie."""
        return np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])

    @functools.cached_property
    def relevant_mask(self) -> np.ndarray:
        """Dense users × movies booleans of `relevant_all` (the search scores hundreds of rankings)."""
        mask = np.zeros(self.matrix.shape, dtype=bool)
        for u, items in enumerate(self.relevant_all):
            mask[u, items[items >= 0]] = True
        return mask

    @functools.cached_property
    def n_relevant(self) -> np.ndarray:
        """|relevant_all| per user (movies unknown to training included)."""
        return np.array([len(r) for r in self.relevant_all])

    def mask_rated(self, scores: np.ndarray) -> np.ndarray:
        """`scores` (modified in place and returned) with every training movie at -inf."""
        rows, cols = self.matrix.nonzero()
        scores[rows, cols] = -np.inf
        return scores


def relevance_lists(
    users: IdIndex, movies: IdIndex, held_out: pd.DataFrame, min_stars: float | None
) -> list[np.ndarray]:
    """Per user (index order), the movie indices of their held-out ratings; movies unknown to training get
    -2 (never recommended, still counted as relevant)."""
    frame = held_out if min_stars is None else held_out[held_out["rating"] >= min_stars]
    rows = users.indices_of(frame["user_id"].to_numpy())
    cols = movies.indices_of(frame["movie_id"].to_numpy())
    cols = np.where(cols >= 0, cols, -2)
    out: list[np.ndarray] = [np.empty(0, dtype=np.int64) for _ in range(len(users))]
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    for start, stop in _runs(rows):
        if rows[start] >= 0:
            out[int(rows[start])] = cols[start:stop]
    return out


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal values in a sorted array."""
    if values.size == 0:
        return []
    bounds = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [values.size]])
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


# ------------------------------------------------------------------------------ metrics


def user_metrics(ranked: Sequence[int], relevant: Sequence[int], k: int = K) -> tuple[float, float, float, float]:
    """(P@k, R@k, nDCG@k, AP@k) of one ranked list against one relevant set (module docstring)."""
    relevant_set = set(int(r) for r in relevant)
    if not relevant_set:
        raise ValueError("relevant set is empty")
    hits = np.array([int(item) in relevant_set for item in list(ranked)[:k]] + [False] * max(0, k - len(ranked)))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(len(relevant_set), k)].sum()
    precision_at = np.cumsum(hits) / np.arange(1, k + 1)
    return (
        float(hits.sum() / k),
        float(hits.sum() / len(relevant_set)),
        float((hits * discounts).sum() / ideal),
        float((precision_at * hits).sum() / min(len(relevant_set), k)),
    )


def ranking_metrics(top: np.ndarray, relevant: Sequence[np.ndarray], k: int = K) -> dict[str, float]:
    """Mean P@k, R@k, nDCG@k and MAP@k over users with a relevant item.

    `top` is users × ≥k movie indices, best first, padded with -1; `relevant[u]` the user's relevant
    indices (values that are never recommended, like -2, count in |relevant| but never hit).
    """
    n_rel = np.array([len(r) for r in relevant])
    users = np.flatnonzero(n_rel > 0)
    if users.size == 0:
        return {"p": 0.0, "r": 0.0, "ndcg": 0.0, "map": 0.0, "users": 0}
    top = top[:, :k]
    hits = np.zeros((users.size, k), dtype=bool)
    for row, u in enumerate(users):
        hits[row] = np.isin(top[u], relevant[u]) & (top[u] >= 0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel[users], k) - 1]
    n_hits = hits.sum(axis=1)
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return {
        "p": float(np.mean(n_hits / k)),
        "r": float(np.mean(n_hits / n_rel[users])),
        "ndcg": float(np.mean((hits * discounts).sum(axis=1) / ideal)),
        "map": float(np.mean((precision_at * hits).sum(axis=1) / np.minimum(n_rel[users], k))),
        "users": int(users.size),
    }


def top_k(scores: np.ndarray, exclude: sp.csr_matrix, k: int = K) -> np.ndarray:
    """Per row, the indices of the k best finite scores outside the row's `exclude` entries (padded with -1)."""
    masked = np.array(scores, dtype=np.float64, copy=True)
    rows, cols = exclude.nonzero()
    masked[rows, cols] = -np.inf
    masked[~np.isfinite(masked)] = -np.inf
    k_eff = min(k, masked.shape[1])
    part = np.argpartition(-masked, k_eff - 1, axis=1)[:, :k_eff]
    order = np.argsort(-np.take_along_axis(masked, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    best = np.where(np.isfinite(np.take_along_axis(masked, best, axis=1)), best, -1)
    if k_eff < k:
        best = np.hstack([best, np.full((best.shape[0], k - k_eff), -1)])
    return best


def evaluate_top(top: np.ndarray, fold: Fold, k: int = K) -> dict[str, float]:
    """Every reported figure of one model's top-k lists on a fold."""
    all_ = ranking_metrics(top, fold.relevant_all, k)
    liked = ranking_metrics(top, fold.relevant_liked, k)
    picks = top[top >= 0]
    counts = fold.item_counts
    return {
        "ndcg@10": all_["ndcg"],
        "p@10": all_["p"],
        "r@10": all_["r"],
        "map@10": all_["map"],
        "ndcg@10 (≥4)": liked["ndcg"],
        "p@10 (≥4)": liked["p"],
        "r@10 (≥4)": liked["r"],
        "map@10 (≥4)": liked["map"],
        "coverage": float(np.unique(picks).size / max(1, int((counts > 0).sum()))),
        "mean_pop": float(counts[picks].mean()) if picks.size else 0.0,
        "users": all_["users"],
        "users (≥4)": liked["users"],
    }


def ndcg(
    scores: np.ndarray, fold: Fold, *, rows: np.ndarray | None = None, rated_masked: bool = False, k: int = K
) -> float:
    """nDCG@10 (every held-out rating relevant) of a dense score matrix: the search's objective.

    Equal to `ranking_metrics(top_k(scores, fold.matrix), fold.relevant_all)["ndcg"]`, vectorised. With
    `rows`, `scores` holds only those users' rows (in that order). With `rated_masked` the caller promises
    training movies already score -inf (no copy is made).
    """
    total, count = ndcg_total(scores, fold, rows=rows, rated_masked=rated_masked, k=k)
    return total / count if count else 0.0


def ndcg_total(
    scores: np.ndarray, fold: Fold, *, rows: np.ndarray | None = None, rated_masked: bool = False, k: int = K
) -> tuple[float, int]:
    """(sum of per-user nDCG@k, number of users with a relevant movie): `ndcg` before the mean."""
    rows = np.arange(fold.matrix.shape[0]) if rows is None else np.asarray(rows)
    if not rated_masked:
        scores = np.array(scores, dtype=np.float64, copy=True)
        r, c = fold.matrix[rows].nonzero()
        scores[r, c] = -np.inf
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    local = np.arange(scores.shape[0])[:, None]
    hits = fold.relevant_mask[rows[:, None], top] & np.isfinite(scores[local, top])
    n_rel = fold.n_relevant[rows]
    users = n_rel > 0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel[users], k) - 1]
    return float(((hits[users] * discounts).sum(axis=1) / ideal).sum()), int(users.sum())


# ------------------------------------------------------------------------------ models as score matrices


def most_popular_scores(fold: Fold) -> np.ndarray:
    """Every user gets the training rating counts."""
    return np.broadcast_to(fold.item_counts.astype(np.float64), fold.matrix.shape)


def item_knn_scores(
    fold: Fold, neighbours: int = KNN_NEIGHBOURS, min_item_ratings: int = KNN_MIN_ITEM_RATINGS
) -> np.ndarray:
    """Cosine item-kNN on binary X (module docstring); movies below `min_item_ratings` are not ranked."""
    items = modelled_items(fold.matrix, min_item_ratings)
    x = interaction_matrix(fold.matrix, binary=True)[:, items].tocsc()
    norms = np.sqrt(np.asarray(x.power(2).sum(axis=0)).ravel())
    with threadpool_limits(BLAS_THREADS, "blas"):
        sim = np.asarray((x.T @ x).toarray(), dtype=np.float32)
    sim /= np.maximum(norms, 1e-12)[:, None]
    sim /= np.maximum(norms, 1e-12)[None, :]
    np.fill_diagonal(sim, 0.0)
    keep = min(neighbours, sim.shape[0])
    if keep < sim.shape[0]:
        # Keep each target movie's `keep` most similar movies (per column: scores are x · S).
        threshold = -np.partition(-sim, keep - 1, axis=0)[keep - 1]
        sim[sim < threshold[None, :]] = 0.0
    scores = np.full(fold.matrix.shape, -np.inf)
    with threadpool_limits(BLAS_THREADS, "blas"):
        scores[:, items] = x.tocsr() @ sim
    return scores


def implicit_als_scores(
    fold: Fold, factors: int, regularization: float, alpha: float, iterations: int, seed: int
) -> np.ndarray:
    """Dense user×movie scores of implicit's ALS on the star matrix (confidence = alpha × stars)."""
    model = new_als_model(AlsParams(factors, regularization, alpha, iterations, seed))
    with threadpool_limits(1, "blas"):
        model.fit(fold.matrix, show_progress=False)
    return np.asarray(model.user_factors @ model.item_factors.T, dtype=np.float64)


def dense_ease(fold: Fold, binary: bool, l2: float, min_item_ratings: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(modelled movie indices, dense B) of EASE on a fold."""
    items = modelled_items(fold.matrix, min_item_ratings)
    with threadpool_limits(BLAS_THREADS, "blas"):
        return items, ease_weights(gram(interaction_matrix(fold.matrix, binary), items), l2)


def ease_scores_from_dense(fold: Fold, binary: bool, items: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense scores x·B over the fold's training rows; unmodelled movies -inf."""
    x = interaction_matrix(fold.matrix, binary)[:, items]
    scores = np.full(fold.matrix.shape, -np.inf)
    with threadpool_limits(BLAS_THREADS, "blas"):
        scores[:, items] = x @ b
    return scores


def model_scores_per_user(fold: Fold, recommend: Callable[[int, int], list[tuple[int, float]]], n: int) -> np.ndarray:
    """Dense scores built from a model's own `recommend_for_user(user_id, n)` (unlisted movies -inf)."""
    scores = np.full(fold.matrix.shape, -np.inf)
    for u, user_id in enumerate(fold.users.ids):
        picks = recommend(int(user_id), n)
        if picks:
            ids, values = zip(*picks, strict=True)
            idx = fold.movies.indices_of(np.array(ids))
            scores[u, idx[idx >= 0]] = np.array(values)[idx >= 0]
    return scores


def top_unrated(scores: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
    """Each user's best score among the movies they did not rate (for the ensemble's scales)."""
    masked = np.array(scores, dtype=np.float64, copy=True)
    rows, cols = matrix.nonzero()
    masked[rows, cols] = -np.inf
    return masked.max(axis=1)


# ------------------------------------------------------------------------------ the searches


@dataclass
class SearchResult:
    ease: EaseParams  # EASE alone: the validated (X, λ)
    blend_ease: EaseParams  # the ensemble's EASE: (X, λ) chosen jointly with the blend
    als: tuple[int, float, float]  # ALS grid: factors, regularization, alpha
    ensemble: EnsembleParams
    log: list[dict[str, object]]  # every configuration tried, with its validation nDCG@10


@dataclass
class ValidationFold:
    """One group of validation users: the fold (trained on everything else) and the group's row indices."""

    fold: Fold
    rows: np.ndarray  # the group's users, as row indices of fold.matrix

    def mask_rated(self, scores: np.ndarray) -> np.ndarray:
        """The group's score rows (in place) with their training movies at -inf."""
        r, c = self.fold.matrix[self.rows].nonzero()
        scores[r, c] = -np.inf
        return scores

    def score(self, scores: np.ndarray) -> tuple[float, int]:
        """(sum of nDCG@10, users) of the group's rows, training movies already at -inf."""
        return ndcg_total(scores, self.fold, rows=self.rows, rated_masked=True)


def validation_folds(train: pd.DataFrame, seed: int, grids: SearchGrids) -> list[ValidationFold]:
    """Density-matched validation: the training users are split into `validation_groups` seeded groups;
    for group g, a random `validation_fraction` of each member's training ratings is held out and the
    models train on everything else (the other users in full). Every user is validated once, and the
    models see ~95% of the training ratings, as the final ones see 100% of them."""
    users = np.unique(train["user_id"].to_numpy())
    group_of = np.random.default_rng(seed + 1).permutation(len(users)) % grids.validation_groups
    out = []
    for g in range(grids.validation_groups):
        members = users[group_of == g]
        inside = train["user_id"].isin(members).to_numpy()
        kept, held = holdout_split(train[inside], seed + 2 + g, grids.validation_fraction)
        fold = Fold.build(pd.concat([train[~inside], kept], ignore_index=True), held)
        out.append(ValidationFold(fold, fold.users.indices_of(members)))
    return out


EaseConfig = tuple[bool, float]  # (binary X, λ)
BlendConfig = tuple[EaseConfig, float, float]  # (EASE config, w, β)
Scored = list[tuple[float, int]]  # per validation group: (sum of nDCG@10, users)


def _mean(parts: Scored) -> float:
    """nDCG@10 over every validated user of the groups in `parts`."""
    count = sum(n for _, n in parts)
    return sum(t for t, _ in parts) / count if count else 0.0


def search(train: pd.DataFrame, seed: int, grids: SearchGrids) -> SearchResult:
    """Choose EASE alone (X, λ), the ensemble (EASE's X and λ jointly with the blend's w and β, the tools'
    ALS fixed), and the ALS grid point, on validation folds of `train` only (`validation_folds`; the test
    ratings are never seen).

    The objective is nDCG@10 (every held-out rating relevant) over all validated users. The ensemble's EASE
    is searched jointly because the best EASE alone is not the best partner for ALS (a smoother one blends
    better); it is scored at the float16 precision it is stored in.

    Why density-matched folds: with a plain 80/20 holdout of the training part (models on 64% of the
    ratings) validation preferred more regularisation and less popularity re-weighting than suits the
    final models, and its blend objective was flat; with ~95% of the ratings it agrees with held-out data.
    The ALS grid, a baseline, uses the first group only.
    """
    folds = validation_folds(train, seed, grids)
    trace: list[dict[str, object]] = []
    configs = [(True, l2) for l2 in grids.ease_binary_l2] + [(False, l2) for l2 in grids.ease_stars_l2]
    blends = [(c, w, beta) for c in configs for w in grids.ensemble_weight for beta in grids.ensemble_popularity]
    alone: dict[EaseConfig, Scored] = {c: [] for c in configs}
    blended: dict[BlendConfig, Scored] = {c: [] for c in blends}
    for fold_no, vf in enumerate(folds):
        _score_validation_group(vf, configs, blends, alone, blended, f"group {fold_no + 1}/{len(folds)}")
    ease_params = _best_ease(alone, trace)
    (blend_binary, blend_l2), best_w, best_beta = _best_blend(blended, trace)
    best_als = _search_als_grid(folds[0], grids, seed, trace)
    return SearchResult(
        ease_params,
        replace(ease_params, binary=blend_binary, l2=blend_l2),
        best_als,
        EnsembleParams(best_w, best_beta),
        trace,
    )


def _score_validation_group(
    vf: ValidationFold,
    configs: list[EaseConfig],
    blends: list[BlendConfig],
    alone: dict[EaseConfig, Scored],
    blended: dict[BlendConfig, Scored],
    label: str,
) -> None:
    """Score every EASE (X, λ) on one validation group, alone and inside every blend (appended to `alone`
    and `blended`).

    B is solved once per (X, λ) and scored twice: alone (EASE's own search) and inside the ensemble with
    the tools' ALS, where the best EASE alone is not the best partner (on ml-latest-small a stronger-
    regularised one blends better). The ensemble scores B at the float16 precision it is stored in.
    """
    fold = vf.fold
    als = AlsRecommender.train(
        fold.train["user_id"].to_numpy(), fold.train["movie_id"].to_numpy(), fold.train["rating"].to_numpy()
    )
    als_scores = model_scores_per_user(fold, als.recommend_for_user, fold.matrix.shape[1])
    als_scale = scale_from_top_scores(top_unrated(als_scores, fold.matrix))
    als_rows = np.where(np.isfinite(als_scores[vf.rows]), als_scores[vf.rows], 0.0).astype(np.float32)
    del als_scores
    counts = fold.item_counts
    items = modelled_items(fold.matrix, 2)
    for binary in (True, False):
        with threadpool_limits(BLAS_THREADS, "blas"):
            g = gram(interaction_matrix(fold.matrix, binary), items)
        x = interaction_matrix(fold.matrix[vf.rows], binary)[:, items]
        for l2 in [l2 for b_flag, l2 in configs if b_flag == binary]:
            with threadpool_limits(BLAS_THREADS, "blas"):
                b = ease_weights(g, l2)
            scores = np.full((len(vf.rows), fold.matrix.shape[1]), -np.inf, dtype=np.float32)
            scores[:, items] = x @ b
            alone[(binary, l2)].append(vf.score(vf.mask_rated(scores)))
            full_scores = ease_scores_from_dense(fold, binary, items, round_to_float16(b))  # every user, as stored
            del b
            ease_scale = scale_from_top_scores(top_unrated(full_scores, fold.matrix))  # over every training user
            ease_scores = vf.mask_rated(full_scores[vf.rows].astype(np.float32))
            del full_scores
            for w, beta in ((w, beta) for c, w, beta in blends if c == (binary, l2)):
                params = EnsembleParams(ease_weight=w, popularity_exponent=beta)
                blended[((binary, l2), w, beta)].append(
                    vf.score(blend_scores(ease_scores, als_rows, counts, params, ease_scale, als_scale))
                )
            log.info("topn search: %s EASE %s λ=%g, alone and blended", label, binary, l2)


def _best_ease(alone: dict[EaseConfig, Scored], trace: list[dict[str, object]]) -> EaseParams:
    """EASE alone: the (X, λ) with the best validation nDCG@10 (every configuration traced)."""
    for (binary, l2), parts in alone.items():
        trace.append({"model": "EASE", "binary": binary, "l2": l2, "val_ndcg@10": round(_mean(parts), 4)})
    best_binary, best_l2 = max(alone, key=lambda c: _mean(alone[c]))
    return EaseParams(l2=best_l2, binary=best_binary)


def _best_blend(blended: dict[BlendConfig, Scored], trace: list[dict[str, object]]) -> BlendConfig:
    """The ensemble: the (EASE config, w, β) with the best validation nDCG@10 (every configuration traced)."""
    for ((binary, l2), w, beta), parts in blended.items():
        trace.append(
            {
                "model": "ensemble",
                "binary": binary,
                "l2": l2,
                "ease_weight": w,
                "popularity_exponent": beta,
                "val_ndcg@10": round(_mean(parts), 4),
            }
        )
    best = max(blended, key=lambda c: _mean(blended[c]))
    (binary, l2), w, beta = best
    log.info("topn search: ensemble EASE %s λ=%g, w=%g β=%g (nDCG@10 %.4f)", binary, l2, w, beta, _mean(blended[best]))
    return best


def _search_als_grid(
    first: ValidationFold, grids: SearchGrids, seed: int, trace: list[dict[str, object]]
) -> tuple[int, float, float]:
    """The ALS baseline's grid (factors × regularisation × alpha) on the first validation group."""
    als_ndcg: dict[tuple[int, float, float], float] = {}
    for factors in grids.als_factors:
        for reg in grids.als_regularization:
            for alpha in grids.als_alpha:
                scores = implicit_als_scores(first.fold, factors, reg, alpha, grids.als_iterations, seed)
                value = ndcg(scores[first.rows], first.fold, rows=first.rows)
                als_ndcg[(factors, reg, alpha)] = value
                trace.append(
                    {
                        "model": "ALS",
                        "factors": factors,
                        "regularization": reg,
                        "alpha": alpha,
                        "val_ndcg@10": round(value, 4),
                    }
                )
    best_als = max(als_ndcg, key=lambda c: als_ndcg[c])
    log.info("topn search: ALS grid best %s nDCG@10 %.4f", best_als, als_ndcg[best_als])
    return best_als


# ------------------------------------------------------------------------------ the section


def _row(name: str, figures: dict[str, float], seconds: float, params: str) -> dict[str, object]:
    row: dict[str, object] = {"model": name}
    row.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()})
    row["train_s"] = round(seconds, 1)
    row["params"] = params
    return row


def evaluate_models(
    fold: Fold, found: SearchResult, seed: int, *, defaults: Mapping[str, Any], grids: SearchGrids
) -> list[dict[str, object]]:
    """Train every model on the fold's training part and score its top 10 on the held-out part: the
    baselines, the registered models the engines serve (`defaults`: their params by registry name), and
    EASE alone at the validated and the reference λ; the default engine's model comes last."""
    triples = registry.RatingTriples(*(fold.train[c].to_numpy() for c in ("user_id", "movie_id", "rating")))
    rows = _baseline_rows(fold, found, seed, grids)
    served, trained = _served_rows(fold, triples, defaults)
    rows += served
    dense = _DenseEase(fold)  # EASE rows share dense B matrices with the default model when their (X, λ) match
    rows += _ease_rows(fold, found, dense)
    rows.append(_default_row(fold, triples, defaults, trained, dense, seed))
    return rows


def _timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def _baseline_rows(fold: Fold, found: SearchResult, seed: int, grids: SearchGrids) -> list[dict[str, object]]:
    """most-popular, item-kNN and implicit's ALS (as shipped, and grid-tuned), as dense score matrices."""
    rows: list[dict[str, object]] = []
    scores, seconds = _timed(lambda: most_popular_scores(fold))
    rows.append(_row("most-popular", evaluate_top(top_k(scores, fold.matrix), fold), seconds, "training counts"))
    scores, seconds = _timed(lambda: item_knn_scores(fold))
    knn = f"{KNN_NEIGHBOURS} neighbours, binary X, movies with ≥{KNN_MIN_ITEM_RATINGS} ratings"
    rows.append(_row("item-kNN (cosine)", evaluate_top(top_k(scores, fold.matrix), fold), seconds, knn))
    scores, seconds = _timed(lambda: implicit_als_scores(fold, 100, 0.01, 1.0, 15, seed))
    shipped = "factors 100, regularization 0.01, alpha 1.0, 15 iterations"
    rows.append(_row("implicit ALS (defaults)", evaluate_top(top_k(scores, fold.matrix), fold), seconds, shipped))
    factors, reg, alpha = found.als
    scores, seconds = _timed(lambda: implicit_als_scores(fold, factors, reg, alpha, grids.als_iterations, seed))
    n_grid = len(grids.als_factors) * len(grids.als_regularization) * len(grids.als_alpha)
    tuned = f"best of {n_grid}: factors {factors}, regularization {reg:g}, alpha {alpha:g}"
    rows.append(_row("ALS (grid-tuned)", evaluate_top(top_k(scores, fold.matrix), fold), seconds, tuned))
    return rows


def _served_rows(
    fold: Fold, triples: registry.RatingTriples, defaults: Mapping[str, Any]
) -> tuple[list[dict[str, object]], dict[str, registry.Trained]]:
    """The models of the engines other than the default, as the tools call them; also returns them trained."""
    rows: list[dict[str, object]] = []
    trained: dict[str, registry.Trained] = {}
    for served in registry.ENGINES:
        if not isinstance(served, registry.ModelEngine) or served.name == registry.DEFAULT_ENGINE:
            continue
        spec = registry.model_spec(served.model)
        trained.update(registry.train_models([spec], triples, defaults, prebuilt=trained))
        model, seconds = trained[spec.name]
        top = top_from_model(fold, model.recommend_for_user)
        rows.append(_row(registry.eval_label(spec), evaluate_top(top, fold), seconds, _describe(defaults[spec.name])))
    return rows, trained


def _describe(params: Any) -> str:
    """A served model's parameters, as its table row shows them."""
    if isinstance(params, AlsParams):
        return (
            f"factors {params.factors}, regularization {params.regularization:g}, "
            f"alpha {params.alpha:g}, {params.iterations} iterations"
        )
    return str(params)


class _DenseEase:
    """Dense EASE B matrices of a fold by (X, λ), one at a time (a 5k² matrix each), with their solve time."""

    def __init__(self, fold: Fold) -> None:
        self.fold = fold
        self._cache: dict[EaseConfig, tuple[np.ndarray, np.ndarray, float]] = {}

    def get(self, binary: bool, l2: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(modelled movie indices, B, seconds the solve took)."""
        if (binary, l2) not in self._cache:
            started = time.perf_counter()
            items, b = dense_ease(self.fold, binary, l2)
            self._cache.clear()  # one 5k² matrix at a time is plenty
            self._cache[(binary, l2)] = (items, b, time.perf_counter() - started)
        return self._cache[(binary, l2)]

    def clear(self) -> None:
        self._cache.clear()


def _ease_rows(fold: Fold, found: SearchResult, dense: _DenseEase) -> list[dict[str, object]]:
    """EASE alone at the validated (X, λ) and at the reference λ = 200 (binary X)."""
    rows: list[dict[str, object]] = []
    for name, params in (
        ("EASE (λ by validation)", found.ease),
        ("EASE (λ=200)", EaseParams(l2=200.0, binary=True)),
    ):
        items, b, seconds = dense.get(params.binary, params.l2)
        scores = ease_scores_from_dense(fold, params.binary, items, b)
        rows.append(
            _row(
                name,
                evaluate_top(top_k(scores, fold.matrix), fold),
                seconds,
                f"{'binary' if params.binary else 'stars'} X, λ {params.l2:g}, dense B over "
                f"{len(items)} movies with ≥{params.min_item_ratings} ratings",
            )
        )
    return rows


def _default_row(
    fold: Fold,
    triples: registry.RatingTriples,
    defaults: Mapping[str, Any],
    trained: dict[str, registry.Trained],
    dense: _DenseEase,
    seed: int,
) -> dict[str, object]:
    """The default engine's model exactly as served, through its own `recommend_for_user`: its EASE
    component from the shared dense B (at the stored float16 precision), its others as trained above."""
    spec = registry.default_top_n_spec()
    parts = registry.components_of(spec)
    ease_name = next(c.name for c in parts if isinstance(defaults[c.name], EaseParams))
    ease_params: EaseParams = defaults[ease_name]
    items, b, seconds = dense.get(ease_params.binary, ease_params.l2)
    started = time.perf_counter()
    ease = EaseRecommender.from_dense_weights(fold.users, fold.movies, fold.matrix, ease_params, items, b)
    dense.clear()
    prebuilt = {**trained, ease_name: registry.Trained(ease, seconds + time.perf_counter() - started)}
    model, seconds = registry.train_models([spec], triples, defaults, seed=seed, prebuilt=prebuilt)[spec.name]
    others = " + ".join(registry.eval_label(c) for c in parts if c.name != ease_name)
    blend = defaults[spec.name]
    return _row(
        DEFAULT_MODEL,
        evaluate_top(top_from_model(fold, model.recommend_for_user), fold),
        seconds,
        f"EASE λ {ease_params.l2:g} {'binary' if ease_params.binary else 'stars'} X (float16 B) + {others}; "
        f"w {blend.ease_weight:g}, β {blend.popularity_exponent:g}",
    )


def top_from_model(fold: Fold, recommend: Callable[[int, int], list[tuple[int, float]]]) -> np.ndarray:
    """Top-K movie indices per user through a model's own `recommend_for_user` (the tools' code path)."""
    top = np.full((len(fold.users), K), -1, dtype=np.int64)
    for u, user_id in enumerate(fold.users.ids):
        picks = [m for m, _ in recommend(int(user_id), K)]
        idx = fold.movies.indices_of(np.array(picks, dtype=np.int64))
        top[u, : len(idx)] = idx
    return top


def run(context: EvalContext) -> SectionResult:
    """Search on validation, then train every model on the 80% and score the held-out 20% (module docstring)."""
    started = time.perf_counter()
    grids = QUICK_GRIDS if context.quick else SearchGrids()
    train, test = holdout_split(context.ratings, context.seed)
    found = search(train, context.seed, grids)
    defaults = _defaults()
    fold = Fold.build(train, test)
    rows = evaluate_models(fold, found, context.seed, defaults=defaults, grids=grids)
    protocol = (
        f"per-user random {int(TEST_FRACTION * 100)}% holdout (seed {context.seed}; users with ≥{MIN_USER_RATINGS} "
        "ratings), every rating a positive; candidates exclude the user's training movies; P/R/nDCG (binary gains, "
        "ideal DCG over min(|relevant|, 10))/MAP at 10, averaged over users with a relevant movie; '(≥4)': only "
        "held-out ratings ≥ 4 relevant. Hyper-parameters chosen on validation data carved out of the training part "
        "only (see the notes)."
    )
    notes = _notes(context, grids, found, defaults, fold, len(train), len(test))
    return SectionResult(
        name="topn",
        protocol=protocol,
        table=[{c: r.get(c) for c in TABLE_COLUMNS} for r in rows],
        targets=_targets(rows),
        notes=notes,
        seconds=round(time.perf_counter() - started, 1),
    )


def _targets(rows: list[dict[str, object]]) -> list[Target]:
    """The default model against every other row of this run, and against the reference EASE figure."""
    by_name = {str(r["model"]): r for r in rows}
    default_ndcg = float(by_name[DEFAULT_MODEL]["ndcg@10"])  # type: ignore[arg-type]
    baselines = [r for r in rows if r["model"] != DEFAULT_MODEL]
    best = max(baselines, key=lambda r: float(r["ndcg@10"]))  # type: ignore[arg-type]
    best_ndcg = float(best["ndcg@10"])  # type: ignore[arg-type]
    return [
        Target(
            f"default recommender nDCG@10 above every baseline in this run (best: {best['model']})",
            default_ndcg,
            f"> {best_ndcg:.4f}",
            default_ndcg > best_ndcg,
        ),
        Target(
            "default recommender nDCG@10 above the reference EASE figure",
            default_ndcg,
            f"> {EASE_REFERENCE_NDCG}",
            default_ndcg > EASE_REFERENCE_NDCG,
        ),
    ]


def _notes(
    context: EvalContext,
    grids: SearchGrids,
    found: SearchResult,
    defaults: Mapping[str, Any],
    fold: Fold,
    n_train: int,
    n_test: int,
) -> list[str]:
    """The split, the search's picks (and whether the served defaults equal them), the references, the trace."""
    default = registry.default_top_n_spec()
    picks_match = found.blend_ease == _default_ease(defaults) and found.ensemble == defaults[default.name]
    notes = [
        f"split: {n_train:,} training / {n_test:,} test ratings; {fold.matrix.shape[0]} users, "
        f"{fold.matrix.shape[1]:,} movies with a training rating",
        f"validation search ({grids.validation_groups} user groups, {grids.validation_fraction:.0%} of each "
        "member's training ratings held out): EASE alone "
        f"{'binary' if found.ease.binary else 'stars'} X, λ {found.ease.l2:g}; ensemble EASE "
        f"{'binary' if found.blend_ease.binary else 'stars'} X, λ {found.blend_ease.l2:g}, "
        f"w {found.ensemble.ease_weight:g}, β {found.ensemble.popularity_exponent:g}; ALS grid best {found.als}",
        "the default model's parameters "
        + ("equal the search's picks" if picks_match else "differ from this run's search picks (shown above)"),
        "reference nDCG@10 (ml-latest-small): " + "; ".join(f"{k} {v}" for k, v in REFERENCE_NDCG.items()),
    ]
    if context.quick:
        notes.append("quick run: tiny grids; not a reportable figure")
    notes.extend(_trace_notes(found.log))
    return notes


def _trace_notes(trace: list[dict[str, object]]) -> list[str]:
    """One line per searched family: its configurations with their validation nDCG@10, best first."""
    lines = []
    for family in ("EASE", "ensemble", "ALS"):
        entries = sorted(
            (t for t in trace if t["model"] == family),
            key=lambda t: -float(t["val_ndcg@10"]),  # type: ignore[arg-type]
        )
        if not entries:
            continue
        shown = ", ".join(
            " ".join(f"{k}={v}" for k, v in t.items() if k not in ("model", "val_ndcg@10")) + f": {t['val_ndcg@10']}"
            for t in entries[:6]
        )
        more = f" (+{len(entries) - 6} more)" if len(entries) > 6 else ""
        lines.append(f"validation nDCG@10, {family}: {shown}{more}")
    return lines


def _default_ease(defaults: Mapping[str, Any]) -> EaseParams:
    """The params of the default model's EASE component (what the search's ensemble EASE is compared with)."""
    parts = registry.components_of(registry.default_top_n_spec())
    return next(defaults[c.name] for c in parts if isinstance(defaults[c.name], EaseParams))


def _defaults() -> dict[str, Any]:
    """The parameters the tools serve with, by registry name (quick runs too: the default model is never
    shrunk)."""
    return registry.default_params()
