"""Implicit-feedback recommender: implicit's CPU AlternatingLeastSquares over the users×movies matrix.

Every rating is a positive interaction whose confidence is the star rating times `alpha` (implicit
applies `alpha` itself, in `fit`, `recalculate_user` and `explain`, so the stored matrix keeps raw
stars). Users are rows, movies are columns; `IdIndex` maps MovieLens ids to those indices.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

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

_KIND = "als"
FORMAT_VERSION = 1
# topk marks filtered-out slots with -FLT_MAX; anything this low is "no item", not a real score.
_FILTERED_SCORE = -1e37
# Rating used for a liked movie given without a rating (cold start from a plain list).


@dataclass(frozen=True)
class AlsParams:
    """Hyper-parameters of the implicit ALS model.

    Chosen by a sweep on ml-latest-small (100k ratings; train/validation split of the training part,
    precision@10 of held-out ratings): factors 16–128 × regularization 0.1–100 × alpha 0.5–20.
    - factors=64: latent dimensions; with strong regularization 64 beat 16–48 and 128.
    - regularization=25.0: L2 on the factors. Star-valued confidences sum to hundreds per user, so
      implicit's default 0.01 overfits badly: p@10 rose from 0.19 (λ=1) to 0.23 on a plateau for
      λ≈20–40 and fell sharply above 50 (recommendations collapse towards pure popularity).
    - alpha=1.0: confidence = alpha × stars, so a 5-star rating weighs 10× a 0.5-star one; larger
      alphas (5, 20) were clearly worse.
    - iterations=20: ALS converges in 10–20 sweeps; more only costs time.
    - random_state=42: fixed seed so a retrain on the same data gives the same model.
    """

    factors: int = 64
    regularization: float = 25.0
    alpha: float = 1.0
    iterations: int = 20
    random_state: int = 42

    def __post_init__(self) -> None:
        if self.factors < 1 or self.iterations < 1:
            raise ValueError("factors and iterations must be at least 1")
        if self.regularization < 0 or self.alpha <= 0:
            raise ValueError("regularization must be >= 0 and alpha > 0")


def new_als_model(params: AlsParams) -> AlternatingLeastSquares:
    """An untrained implicit ALS model with `params` (float32, implicit's own threads off)."""
    # The constructor runs implicit's BLAS check, so it must also see the 1-thread limit.
    with threadpool_limits(1, "blas"):
        return AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            dtype=np.float32,
            num_threads=0,
        )


class AlsRecommender(RatingLookups, ExplainsPicks):
    """Top-N recommendations, cold start, explanations and similar movies from one ALS model.

    Instances are immutable after construction and safe to share between threads: the lazily
    cached norms and Gram matrix of implicit's model are computed up front. Sizes, membership and
    the training ratings come from `RatingLookups`; those ratings (`_ratings`, raw stars) are
    implicit's user_items matrix.
    """

    def __init__(
        self,
        model: AlternatingLeastSquares,
        user_index: IdIndex,
        movie_index: IdIndex,
        user_items: sp.csr_matrix,
        params: AlsParams,
    ) -> None:
        if user_items.shape != (len(user_index), len(movie_index)):
            raise ValueError("user_items shape does not match the id indices")
        if model.user_factors.shape[0] != len(user_index) or model.item_factors.shape[0] != len(movie_index):
            raise ValueError("model factors do not match the id indices")
        super().__init__(user_index, movie_index, user_items)
        self._model = model
        self.params = params
        # Warm implicit's lazy caches now so concurrent readers never race to fill them.
        _ = model.YtY, model.item_norms

    # ----------------------------------------------------------------- training / serialisation

    @classmethod
    def train(
        cls,
        user_ids: np.ndarray,
        movie_ids: np.ndarray,
        ratings: np.ndarray,
        params: AlsParams = AlsParams(),
    ) -> AlsRecommender:
        """Fit a model on rating triples (parallel arrays); ratings are stars in (0, 5]."""
        user_index, movie_index, user_items = build_rating_matrix(user_ids, movie_ids, ratings)
        model = new_als_model(params)
        started = time.perf_counter()
        # implicit warns (and runs far slower) when OpenBLAS uses its own thread pool during fit.
        with threadpool_limits(1, "blas"):
            model.fit(user_items, show_progress=False)
        log.info(
            "ALS trained on %d ratings (%d users × %d movies) in %.1fs",
            user_items.nnz,
            len(user_index),
            len(movie_index),
            time.perf_counter() - started,
        )
        return cls(model, user_index, movie_index, user_items, params)

    def to_bytes(self) -> bytes:
        """One npz blob (no pickle) with factors, id maps, the rating matrix and the params."""
        return pack_npz(
            {
                "kind": np.array(_KIND),
                "format_version": np.array(FORMAT_VERSION),
                "params": np.array(json.dumps(asdict(self.params))),
                "user_factors": np.asarray(self._model.user_factors),
                "item_factors": np.asarray(self._model.item_factors),
                **self._lookup_arrays("ui"),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> AlsRecommender:
        """Rebuild a model saved with `to_bytes`; raises ValueError on a foreign or corrupt blob."""
        arrays = unpack_npz(data, _KIND, FORMAT_VERSION, "ALS")
        params = AlsParams(**json.loads(str(arrays["params"])))
        model = new_als_model(params)
        model.user_factors = np.ascontiguousarray(arrays["user_factors"], dtype=np.float32)
        model.item_factors = np.ascontiguousarray(arrays["item_factors"], dtype=np.float32)
        user_index, movie_index, user_items = cls._lookups_from_arrays(arrays, "ui")
        return cls(model, user_index, movie_index, user_items, params)

    # ----------------------------------------------------------------------- recommending

    def recommend_for_user(
        self, user_id: int, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-`n` (movie_id, score) for a known user, best first, never a movie they rated.

        With `candidate_movie_ids`, only those movies are ranked (ids unknown to the model are
        ignored). Returns fewer than `n` pairs when fewer eligible movies exist, and [] for an
        unknown user.
        """
        uidx = self._users.index_of(user_id)
        if uidx is None:
            return []
        return self._recommend(uidx, self._ratings[uidx], n, candidate_movie_ids, recalculate=False)

    def recommend_from_liked(
        self, liked: LikedInput, n: int, candidate_movie_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Cold start: top-`n` (movie_id, score) for a user described only by movies they like.

        `liked` is {movie_id: stars} or a list of movie ids (each counted as 5 stars). The user's
        factors are solved on the fly from that row; liked movies are never returned. Unknown ids
        are ignored; with no known liked movie the result is [].
        """
        row = self.liked_row(liked)
        if row.nnz == 0:
            return []
        return self._recommend(0, row, n, candidate_movie_ids, recalculate=True)

    def _recommend(
        self,
        userid: int,
        row: sp.csr_matrix,
        n: int,
        candidate_movie_ids: np.ndarray | None,
        *,
        recalculate: bool,
    ) -> list[tuple[int, float]]:
        if n <= 0:
            return []
        items = self._candidate_indices(candidate_movie_ids)
        limit = self.n_items if items is None else len(items)
        if limit == 0:
            return []
        # implicit pads with (0, 0.0) when N exceeds the item count, so never ask for more than exist.
        ids, scores = self._model.recommend(
            userid,
            row,
            N=min(n, limit),
            filter_already_liked_items=True,
            recalculate_user=recalculate,
            items=items,
        )
        keep = np.isfinite(scores) & (scores > _FILTERED_SCORE)
        movie_ids = self._movies.ids[np.asarray(ids)[keep]]
        return [(int(m), float(s)) for m, s in zip(movie_ids, np.asarray(scores)[keep], strict=True)]

    @property
    def movie_index(self) -> IdIndex:
        """The movie id ↔ index map of `score_vector_for_user`'s positions."""
        return self._movies

    def score_vector_for_user(self, user_id: int) -> np.ndarray | None:
        """Scores over every movie of this model's index for a known user (NaN for movies they rated), as
        `recommend_for_user` ranks them; None for an unknown user. One matrix-vector product: what an
        ensemble blending all movies needs, without a ranked list of every movie."""
        uidx = self._users.index_of(user_id)
        if uidx is None:
            return None
        return self._score_vector(self._model.user_factors[uidx], self._ratings[uidx])

    def score_vector_from_liked(self, liked: LikedInput) -> np.ndarray | None:
        """`score_vector_for_user` for a user folded in from liked movies; None when none is known."""
        row = self.liked_row(liked)
        if row.nnz == 0:
            return None
        return self._score_vector(np.asarray(self._model.recalculate_user(0, row)).ravel(), row)

    def _score_vector(self, user_factors: np.ndarray, row: sp.csr_matrix) -> np.ndarray:
        scores = (np.asarray(self._model.item_factors) @ np.asarray(user_factors, dtype=np.float32)).astype(np.float64)
        scores[row.indices] = np.nan
        return scores

    def _candidate_indices(self, candidate_movie_ids: np.ndarray | None) -> np.ndarray | None:
        if candidate_movie_ids is None:
            return None
        idx = self._movies.indices_of(np.asarray(candidate_movie_ids))
        return np.unique(idx[idx >= 0])

    # ------------------------------------------------------------------------- explaining

    def explain_many_for_user(self, user_id: int, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """For each pick, the known user's rated movies that push its score up most (see `ExplainsPicks`);
        one factorisation of the user's weights serves every pick."""
        row = self._user_row(user_id)
        return [[] for _ in movie_ids] if row is None else self._explain(row, movie_ids, top)

    def explain_many_from_liked(self, liked: LikedInput, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """`explain_many_for_user` for a cold-start user given as liked movies (see `recommend_from_liked`)."""
        return self._explain(self.liked_row(liked), movie_ids, top)

    def _explain(self, row: sp.csr_matrix, movie_ids: Sequence[int], top: int) -> list[Evidence]:
        """Hu, Koren & Volinsky's explanation (section 5), as implicit's `explain` computes it, vectorised:
        rated movie j contributes c_j · y_jᵀ W⁻¹ y_i to pick i, with W = YᵀY + λI + Σ_j (c_j − 1) y_j y_jᵀ
        and c_j = alpha · stars_j. implicit loops over the rated movies in Python per pick; this factorises
        W once per user and scores every (rated movie, pick) pair in one product."""
        out: list[Evidence] = [[] for _ in movie_ids]
        idx = self._movies.indices_of(np.asarray(movie_ids, dtype=np.int64))
        known = np.flatnonzero(idx >= 0)
        if not known.size or row.nnz == 0 or top <= 0:
            return out
        y = self._model.item_factors
        rated = y[row.indices].astype(np.float64)
        confidence = self.params.alpha * row.data.astype(np.float64)
        w = self._model.YtY.astype(np.float64) + self.params.regularization * np.eye(self.params.factors)
        w += (rated.T * (confidence - 1.0)) @ rated
        picks = y[idx[known]].astype(np.float64)
        weighted = scipy.linalg.cho_solve(scipy.linalg.cho_factor(w), picks.T)  # W⁻¹ y_i, one column per pick
        contributions = (rated @ weighted) * confidence[:, None]  # rated × picks
        contributions[confidence < 0] = 0.0
        for column, k in enumerate(known):
            values = contributions[:, column]
            best = ranked_positions(values, top)
            out[k] = [(self._movies.id_at(int(row.indices[j])), float(values[j])) for j in best]
        return out

    # ------------------------------------------------------------------------- similarity

    def similar_movies(self, movie_id: int, n: int) -> list[tuple[int, float]]:
        """The `n` movies closest to `movie_id` by cosine of item factors, excluding itself."""
        item = self._movies.index_of(movie_id)
        if item is None or n <= 0:
            return []
        ids, scores = self._model.similar_items(item, N=min(n + 1, self.n_items))
        pairs = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True) if int(i) != item]
        return [(self._movies.id_at(i), s) for i, s in pairs[:n]]
