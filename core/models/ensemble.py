"""The default recommender: EASE and implicit ALS blended by score, with a popularity-aware re-weighting.

    s(i) = w · ease(i) / S_ease + (1 − w) · als(i) / S_als          (a weighted sum of scale-free scores)
    score(i) = s(i) / pop(i)^β  when s(i) > 0,  s(i) · pop(i)^β  otherwise

`S_ease` and `S_als` are each model's typical top score (the mean, over training users, of the best
score among the movies the user has not rated), measured once at build time, so one pick's score never
depends on which other movies are candidates (a query's filters do not change the ranking of what
they keep). `pop(i)` is movie i's number of training ratings; β > 0 moves a little weight from the
blockbusters everyone has seen to movies the user is likelier to be missing. Only movies EASE models
(see `EaseParams.min_item_ratings`) are ranked; when a query leaves fewer than n of them, ALS fills in.

Evidence ("because you liked …") comes from the component that dominates the pick's blended score:
EASE (rated movie j contributes x_j·B[j, i] to pick i, exactly) when w·ease(i)/S_ease ≥ (1 − w)·als(i)/
S_als, ALS's `explain` otherwise (and for movies EASE does not model); if the dominant one credits no
rated movie, the other is asked. `combined_contributions` gives both components' weighted shares
w · x_j·B[j, i] / S_ease + (1 − w) · (ALS's contribution of j) / S_als, at the cost of an ALS
explanation per pick (≈ 4 ms each, too slow for the tool's ten picks).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from core.models.als import AlsRecommender
from core.models.common import Evidence, ExplainsPicks, pack_npz, unpack_npz
from core.models.ease import EaseRecommender, LikedInput

log = logging.getLogger(__name__)

_KIND = "ensemble"
FORMAT_VERSION = 1
# Users sampled to measure the score scales at build time (all users when there are fewer).
SCALE_SAMPLE_USERS = 1000
# Recent users whose component scores are kept for explaining their picks (2 × 9k floats each for ml-small).
_RECENT_USERS = 64


def _liked_key(row: sp.csr_matrix) -> tuple[object, ...]:
    """A hashable key for a cold-start user: their folded-in (movie index, stars) pairs."""
    return ("liked", tuple(row.indices.tolist()), tuple(np.round(row.data, 3).tolist()))


@dataclass(frozen=True)
class EnsembleParams:
    """Blend hyper-parameters, chosen on ml-latest-small by `movie-mcp eval`'s top-N search jointly with
    EASE's X and λ (validation data carved out of the 80% training part only; see `EaseParams`). Grid:
    w ∈ {0.4, 0.5, …, 1.0} × β ∈ {0, 0.05, 0.1, 0.15, 0.2}; validation nDCG@10 0.2334 against 0.2274 for
    the best EASE alone. On the held-out 20% the ensemble scores 0.3526 (EASE λ = 200 alone: 0.3451).

    - ease_weight: w, EASE's share of the blend (1 − w goes to the tools' ALS); 0.5.
    - popularity_exponent: β of the popularity re-weighting (0 turns it off); 0.1.
    """

    ease_weight: float = 0.5
    popularity_exponent: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.ease_weight <= 1.0:
            raise ValueError("ease_weight must be in [0, 1]")
        if self.popularity_exponent < 0:
            raise ValueError("popularity_exponent must be >= 0")


def scale_from_top_scores(top_scores: np.ndarray) -> float:
    """A model's score scale: the mean of its users' best unrated scores (1.0 when none is positive)."""
    tops = np.asarray(top_scores, dtype=np.float64)
    tops = tops[np.isfinite(tops)]
    value = float(tops.mean()) if tops.size else 0.0
    return value if value > 0 else 1.0


def popularity_factor(counts: np.ndarray, exponent: float) -> np.ndarray:
    """pop^-β per movie (movies without training ratings count as 1)."""
    return np.maximum(np.asarray(counts, dtype=np.float64), 1.0) ** -exponent


def blend_scores(
    ease_scores: np.ndarray,
    als_scores: np.ndarray,
    counts: np.ndarray,
    params: EnsembleParams,
    ease_scale: float,
    als_scale: float,
) -> np.ndarray:
    """The ensemble's score (module docstring) for arrays of EASE and ALS scores over the same movies.

    Works on one user's vector or a users×movies matrix; -inf/NaN inputs stay non-finite (not rankable).
    """
    w = params.ease_weight
    ease = np.asarray(ease_scores)
    dtype = np.float32 if ease.dtype == np.float32 else np.float64  # the evaluation passes float32 matrices
    modelled = np.isfinite(ease)
    # In place where possible: the evaluation blends users×movies matrices hundreds of times.
    out = np.where(modelled, ease, 0.0).astype(dtype, copy=False)
    out *= dtype(w / ease_scale)
    out += np.asarray(als_scores, dtype=dtype) * dtype((1.0 - w) / als_scale)
    if params.popularity_exponent:
        factor = popularity_factor(counts, params.popularity_exponent).astype(dtype)
        with np.errstate(invalid="ignore"):
            out *= np.where(out > 0, factor, 1.0 / factor)
    out[~modelled] = -np.inf
    return out


class EnsembleRecommender(ExplainsPicks):
    """Top-N, cold start and evidence from an `EaseRecommender` and an `AlsRecommender` trained on the
    same ratings. Thread-safe: the components are immutable, and the only mutable state, a small cache of
    recent users' component scores (for explaining their picks), is guarded by a lock."""

    def __init__(
        self,
        ease: EaseRecommender,
        als: AlsRecommender,
        params: EnsembleParams,
        ease_scale: float,
        als_scale: float,
    ) -> None:
        if ease.n_items != als.n_items or ease.n_users != als.n_users:
            raise ValueError("EASE and ALS were trained on different ratings; rebuild the database")
        if ease_scale <= 0 or als_scale <= 0:
            raise ValueError("score scales must be positive")
        self.ease = ease
        self.als = als
        self.params = params
        self.ease_scale = float(ease_scale)
        self.als_scale = float(als_scale)
        self._als_to_ease: tuple[np.ndarray, np.ndarray] | None = None
        # Each recent user's two score vectors, so explaining a pick can tell which component dominates it.
        # The only mutable state; guarded by the lock, and a miss just costs a rescoring.
        self._recent: OrderedDict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- building / serialisation

    @classmethod
    def calibrate(
        cls, ease: EaseRecommender, als: AlsRecommender, params: EnsembleParams = EnsembleParams(), seed: int = 42
    ) -> EnsembleRecommender:
        """Measure both score scales on (a seeded sample of at most `SCALE_SAMPLE_USERS`) training users."""
        users = ease.user_ids
        if len(users) > SCALE_SAMPLE_USERS:
            users = np.sort(np.random.default_rng(seed).choice(users, SCALE_SAMPLE_USERS, replace=False))
        ease_tops, als_tops = [], []
        for user_id in users:
            best = ease.recommend_for_user(int(user_id), 1)
            ease_tops.append(best[0][1] if best else np.nan)
            best = als.recommend_for_user(int(user_id), 1)
            als_tops.append(best[0][1] if best else np.nan)
        return cls(
            ease, als, params, scale_from_top_scores(np.array(ease_tops)), scale_from_top_scores(np.array(als_tops))
        )

    def to_bytes(self) -> bytes:
        """A small npz blob (no pickle): the params and the two scales; the components have their own blobs."""
        return pack_npz(
            {
                "kind": np.array(_KIND),
                "format_version": np.array(FORMAT_VERSION),
                "params": np.array(json.dumps(asdict(self.params))),
                "scales": np.array([self.ease_scale, self.als_scale], dtype=np.float64),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes, ease: EaseRecommender, als: AlsRecommender) -> EnsembleRecommender:
        """Rebuild from `to_bytes` and the loaded components; ValueError on a foreign or corrupt blob."""
        arrays = unpack_npz(data, _KIND, FORMAT_VERSION, "ensemble")
        params = EnsembleParams(**json.loads(str(arrays["params"])))
        ease_scale, als_scale = (float(v) for v in arrays["scales"])
        return cls(ease, als, params, ease_scale, als_scale)

    # ----------------------------------------------------------------------- lookups

    def has_user(self, user_id: int) -> bool:
        """True when the user had ratings in the training data."""
        return self.ease.has_user(user_id)

    def has_movie(self, movie_id: int) -> bool:
        """True when the movie had ratings in the training data."""
        return self.ease.has_movie(movie_id)

    def user_ratings(self, user_id: int) -> dict[int, float]:
        """The user's training ratings as {movie_id: stars} (both components hold the same ones)."""
        return self.ease.user_ratings(user_id)

    # ----------------------------------------------------------------------- recommending

    def recommend_for_user(
        self, user_id: int, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-`n` (movie_id, score) for a known user, best first, never a rated movie; [] for an unknown user."""
        found = self.ease.user_scores(user_id)
        if found is None or n <= 0:
            return []
        ease_scores, row = found
        return self._recommend(
            ("user", int(user_id)),
            ease_scores,
            row,
            n,
            candidate_movie_ids,
            lambda: self.als.score_vector_for_user(user_id),
            lambda k, c: self.als.recommend_for_user(user_id, k, c),
        )

    def recommend_from_liked(
        self, liked: LikedInput, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Cold start from liked movies ({movie_id: stars} or ids at 5 stars): EASE's x·B and ALS's fold-in."""
        ease_scores, row = self.ease.liked_scores(liked)
        if row.nnz == 0 or n <= 0:
            return []
        return self._recommend(
            _liked_key(row),
            ease_scores,
            row,
            n,
            candidate_movie_ids,
            lambda: self.als.score_vector_from_liked(liked),
            lambda k, c: self.als.recommend_from_liked(liked, k, c),
        )

    def _recommend(
        self,
        key: tuple[object, ...],
        ease_scores: np.ndarray,
        row: sp.csr_matrix,
        n: int,
        candidate_movie_ids: np.ndarray | None,
        als_dense: Callable[[], np.ndarray | None],
        als_top: Callable[[int, np.ndarray | None], list[tuple[int, float]]],
    ) -> list[tuple[int, float]]:
        # ALS scores every unrated movie (filters are applied after blending, so they never change the order):
        # one dense vector over ALS's movies, placed on EASE's index (a ranked list of 60k pairs cost ~30 ms).
        als_scores = np.full(self.ease.n_items, np.nan)
        dense = als_dense()
        if dense is not None:
            source, target = self._als_on_ease
            als_scores[target] = dense[source]
        ease_part = np.where(np.isfinite(ease_scores), ease_scores, -np.inf)
        scores = blend_scores(
            ease_part, np.nan_to_num(als_scores, nan=0.0), self.ease.item_counts, self.params, *self.scales
        )
        scores[np.isnan(als_scores)] = -np.inf  # ALS leaves out rated movies; so do we
        self._remember(key, ease_part, als_scores)
        picks = self.ease.top_n(scores, row, n, candidate_movie_ids)
        if len(picks) < n:
            # Candidates EASE does not model (movies with too few ratings): ALS ranks them after the blend's picks.
            chosen = {m for m, _ in picks}
            fill = als_top(n + len(chosen), candidate_movie_ids)
            factor = popularity_factor(self.ease.item_counts, self.params.popularity_exponent)
            for movie_id, value in fill:
                if movie_id in chosen or len(picks) >= n:
                    continue
                idx = self.ease.movie_index.index_of(movie_id)
                part = (1.0 - self.params.ease_weight) * value / self.als_scale
                weight = factor[idx] if idx is not None else 1.0
                picks.append((movie_id, part * weight if part > 0 else part / weight))
        return picks[:n]

    @property
    def _als_on_ease(self) -> tuple[np.ndarray, np.ndarray]:
        """(ALS movie indices, the same movies' EASE indices) for the movies both index; computed once."""
        if self._als_to_ease is None:
            idx = self.ease.movie_index.indices_of(self.als.movie_index.ids)
            known = idx >= 0
            self._als_to_ease = (np.flatnonzero(known), idx[known])
        return self._als_to_ease

    @property
    def scales(self) -> tuple[float, float]:
        """(S_ease, S_als)."""
        return self.ease_scale, self.als_scale

    # ------------------------------------------------------------------------- explaining

    def explain_many_for_user(self, user_id: int, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """For each pick, the known user's rated movies that raise its score most (see `ExplainsPicks`), from the
        component that dominates the pick's blended score (`_dominant`); each component is asked once for all
        the picks it explains."""
        if self.ease.rating_row(user_id) is None or top <= 0:
            return [[] for _ in movie_ids]
        key = ("user", int(user_id))
        return self._explain_many(
            [self._dominant(key, m, lambda: self.recommend_for_user(user_id, 1)) for m in movie_ids],
            movie_ids,
            lambda ids: self.ease.explain_many_for_user(user_id, ids, top),
            lambda ids: self.als.explain_many_for_user(user_id, ids, top),
        )

    def explain_many_from_liked(self, liked: LikedInput, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """`explain_many_for_user` for a cold-start user given as liked movies."""
        if top <= 0:
            return [[] for _ in movie_ids]
        key = _liked_key(self.ease.liked_row(liked))
        return self._explain_many(
            [self._dominant(key, m, lambda: self.recommend_from_liked(liked, 1)) for m in movie_ids],
            movie_ids,
            lambda ids: self.ease.explain_many_from_liked(liked, ids, top),
            lambda ids: self.als.explain_many_from_liked(liked, ids, top),
        )

    @staticmethod
    def _explain_many(
        use_ease: list[bool],
        movie_ids: Sequence[int],
        ease: Callable[[list[int]], list[Evidence]],
        als: Callable[[list[int]], list[Evidence]],
    ) -> list[Evidence]:
        # Each pick asks its dominant component first, then the other when that credits no rated movie;
        # each component answers all its picks of a round in one call.
        out: list[Evidence] = [[] for _ in movie_ids]
        for asks_ease in (lambda k: use_ease[k], lambda k: not use_ease[k]):  # round 1: dominant; round 2: other
            unexplained = [k for k in range(len(movie_ids)) if not out[k]]
            for component, wants_ease in ((ease, True), (als, False)):
                todo = [k for k in unexplained if asks_ease(k) == wants_ease]
                if todo:
                    for k, parts in zip(todo, component([int(movie_ids[k]) for k in todo]), strict=True):
                        out[k] = parts
        return out

    def _dominant(self, key: tuple[object, ...], movie_id: int, rescore: Callable[[], object]) -> bool:
        """True when EASE's part of the pick's blended score, w·ease/S_ease, is at least ALS's part.

        The parts come from the scoring that produced the pick (kept for the last few users, so the
        tool's per-pick explanations cost no rescoring); `rescore` recomputes them otherwise.
        """
        idx = self.ease.movie_index.index_of(movie_id)
        if idx is None or not self.ease.is_modelled(movie_id):
            return False
        parts = self._recall(key)
        if parts is None:
            rescore()
            parts = self._recall(key)
        if parts is None:
            return True
        ease_part, als_part = parts
        w = self.params.ease_weight
        return bool(w * ease_part[idx] / self.ease_scale >= (1.0 - w) * np.nan_to_num(als_part[idx]) / self.als_scale)

    def _remember(self, key: tuple[object, ...], ease_part: np.ndarray, als_part: np.ndarray) -> None:
        with self._lock:
            self._recent[key] = (ease_part, als_part)
            self._recent.move_to_end(key)
            while len(self._recent) > _RECENT_USERS:
                self._recent.popitem(last=False)

    def _recall(self, key: tuple[object, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            return self._recent.get(key)

    def combined_contributions(self, user_id: int, movie_id: int) -> list[tuple[int, float]]:
        """Both components' shares of a known user's pick, w·x_j·B[j, i]/S_ease + (1 − w)·ALS_j/S_als, largest
        first (positive only). Slower than `explain_for_user` (one ALS explanation per call); for analysis."""
        row = self.ease.rating_row(user_id)
        if row is None:
            return []
        als_parts = self.als.explain_for_user(user_id, movie_id, top=max(row.nnz, 1))
        return self._combine(self.ease.contributions(row, movie_id), als_parts, row.nnz)

    def _combine(
        self, ease_parts: list[tuple[int, float]], als_parts: list[tuple[int, float]], top: int
    ) -> list[tuple[int, float]]:
        w = self.params.ease_weight
        shares: dict[int, float] = {}
        for movie_id, value in ease_parts:
            shares[movie_id] = shares.get(movie_id, 0.0) + w * value / self.ease_scale
        for movie_id, value in als_parts:
            shares[movie_id] = shares.get(movie_id, 0.0) + (1.0 - w) * value / self.als_scale
        ranked = sorted(((m, s) for m, s in shares.items() if s > 0), key=lambda p: -p[1])
        return ranked[:top]
