"""The rating model `predict_rating` uses: biased MF blended with two item-neighbourhood models.

Components, all trained on the same ratings (see `core.models.neighbors` for the last three):

- baseline  μ + b_u + b_i, the regularised biases; it defines the residuals z_ui the others use;
- mf        the biased matrix factorisation of `core.models.biased_mf`;
- gnm       Koren's global neighbourhood model: learned weights on the user's ratings of the
            movie's K most similar movies;
- knn       item-kNN with baseline: the baseline plus the similarity-weighted mean residual of the
            user's k most similar rated movies (the shrunk Pearson-baseline neighbours).

The blend is feature-weighted linear stacking (Sill et al. 2009): with meta-features
m = [1, log(1+n_u), log(1+n_i), log(1+Σ s)] (rating counts and the kNN similarity mass),

    r̂ = Σ_f m_f · (a_f · baseline + Σ_model v_{f,model} · (model − baseline) + c_f),

so the weight each model gets can depend on how much is known about the user and the movie. The
20 weights are a ridge fit on a holdout: 10% of the ratings are held out, the components are trained
on the rest and predict them, the weights are fit, and the components are then retrained on all
ratings (the weights are kept). Small data sets (fewer than 20 holdout rows per weight) use only
the constant meta-feature, and tiny ones (under 50 usable holdout rows) the biased MF alone: too few
ratings to tell how far the neighbourhood models can be trusted.

Measured by `movie-mcp eval` (section "rating", 5-fold CV on ml-latest-small): see `core.evaluation.rating`.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from core.models.biased_mf import (
    MAX_RATING,
    MIN_RATING,
    BiasedMF,
    BiasedMFParams,
    confidence_from_counts,
)
from core.models.common import (
    IdIndex,
    RatingLookups,
    build_rating_matrix,
    csr_from_arrays,
    csr_to_arrays,
    pack_npz,
    unpack_npz,
)
from core.models.neighbors import (
    Baseline,
    BaselineParams,
    NeighborhoodModel,
    NeighborhoodParams,
    baseline_biases,
    item_neighbors,
    knn_residual,
    neighbor_hits,
    similarities_to,
)

log = logging.getLogger(__name__)

_KIND = "blended_rating_predictor"
FORMAT_VERSION = 1
ENGINE = "blend-mf-neighbourhood"
MODELS = ("mf", "gnm", "knn")  # blended on top of the baseline, in this order
_FULL_META = 4  # [1, log n_u, log n_i, log Σs]
_ROWS_PER_WEIGHT = 20  # holdout rows needed per blend weight before the full stacking is trusted
_MIN_LINEAR_ROWS = 50  # below this the blend is a fixed average


@dataclass(frozen=True)
class BlendParams:
    """Hyper-parameters of the blended predictor (component parameters nested).

    The component parameters come from a nested search (`core.evaluation.rating.search`): on each
    of the 5 outer training folds a validation split was carved off and the grid scored there; the
    test folds were never seen. The MF defaults (reg_factors 0.5) won on all 5 folds; see
    `NeighborhoodParams` for the neighbourhood model.
    - knn_k=40: neighbours averaged by the kNN component (Surprise's default; not searched).
    - holdout_fraction=0.1: share of ratings held out to fit the blend weights.
    - holdout_max_ratings=3,000,000: the weights are fit on the ratings of a random sample of users
      holding at most this many (all of ml-latest-small), so the holdout training costs at most a
      training on 3M ratings whatever the data size; the components are then trained once on all.
      Chosen at one third of ml-32m (synthetic, 9.8M training ratings, 2% held out): RMSE 0.7839 at
      1M, 0.7801 at 3M, 0.7791 at 5M, 0.7784 with no cap; training 273, 294, 368 and 463 s.
    - reg_blend=1.0: ridge weight of the blend fit (immaterial with ~10k holdout rows).
    """

    mf: BiasedMFParams = field(default_factory=BiasedMFParams)
    baseline: BaselineParams = field(default_factory=BaselineParams)
    neighborhood: NeighborhoodParams = field(default_factory=NeighborhoodParams)
    knn_k: int = 40
    holdout_fraction: float = 0.1
    holdout_max_ratings: int = 3_000_000
    reg_blend: float = 1.0
    random_state: int = 42

    def __post_init__(self) -> None:
        if self.knn_k < 1 or not 0.0 < self.holdout_fraction < 1.0 or self.reg_blend < 0:
            raise ValueError("knn_k must be >= 1, holdout_fraction in (0, 1) and reg_blend >= 0")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BlendParams:
        raw = json.loads(text)
        return cls(
            mf=BiasedMFParams(**raw.pop("mf")),
            baseline=BaselineParams(**raw.pop("baseline")),
            neighborhood=NeighborhoodParams(**raw.pop("neighborhood")),
            **raw,
        )


@dataclass(frozen=True)
class _UserState:
    """What the components need about one user: their rated movies (sorted indices) and biases."""

    rated: np.ndarray
    residual: np.ndarray  # r − μ − b_u − b_j (baseline) per rated movie
    n_ratings: int
    base_bias: float
    gnm_bias: float
    mf_vector: np.ndarray
    mf_bias: float


@dataclass(frozen=True)
class _Components:
    """The four component models over one set of dense indices."""

    baseline: Baseline
    residuals: sp.csr_matrix
    gnm: NeighborhoodModel
    mf: BiasedMF
    item_counts: np.ndarray

    @classmethod
    def fit(
        cls, matrix: sp.csr_matrix, user_index: IdIndex, movie_index: IdIndex, params: BlendParams
    ) -> tuple[_Components, dict[str, float]]:
        """Train every component on `matrix`; also returns the seconds each took."""
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        baseline = baseline_biases(matrix, params.baseline)
        residuals = baseline.residuals(matrix)
        seconds["baseline"] = time.perf_counter() - started
        started = time.perf_counter()
        nb = params.neighborhood
        neighbors = item_neighbors(residuals, nb.max_neighbors, nb.shrinkage, nb.similarity_budget())
        seconds["similarities"] = time.perf_counter() - started
        started = time.perf_counter()
        gnm = NeighborhoodModel.train(residuals, baseline, neighbors, params.neighborhood)
        seconds["gnm"] = time.perf_counter() - started
        started = time.perf_counter()
        mf = BiasedMF.fit_matrix(matrix, user_index, movie_index, params.mf)
        seconds["mf"] = time.perf_counter() - started
        return cls.assemble(baseline, matrix, gnm, mf), seconds

    @classmethod
    def assemble(cls, baseline: Baseline, matrix: sp.csr_matrix, gnm: NeighborhoodModel, mf: BiasedMF) -> _Components:
        return cls(
            baseline,
            baseline.residuals(matrix),
            gnm,
            mf,
            np.bincount(matrix.indices, minlength=matrix.shape[1]),
        )

    def state(self, user: int) -> _UserState:
        """The state of a training user (dense index)."""
        lo, hi = self.residuals.indptr[user], self.residuals.indptr[user + 1]
        return _UserState(
            rated=self.residuals.indices[lo:hi],
            residual=self.residuals.data[lo:hi],
            n_ratings=hi - lo,
            base_bias=float(self.baseline.user_bias[user]),
            gnm_bias=float(self.gnm.user_bias[user]),
            mf_vector=self.mf._p[user],
            mf_bias=float(self.mf._bu[user]),
        )

    def fold_in(self, rated: np.ndarray, stars: np.ndarray, params: BlendParams) -> _UserState:
        """The state of a user known only by ratings of known movies (dense indices, any order)."""
        order = np.argsort(rated, kind="stable")
        rated, stars = rated[order], np.asarray(stars, dtype=np.float64)[order]
        b = self.baseline
        base_bias = float(np.sum(stars - b.global_mean - b.item_bias[rated]) / (len(rated) + params.baseline.reg_user))
        residual = stars - b.global_mean - base_bias - b.item_bias[rated]
        # The neighbourhood model's own user bias: the ridge solution with everything else fixed.
        own = neighbor_hits(self.gnm.neighbors, rated, rated)
        explained = self.gnm.item_bias[rated] + self.gnm.interaction(own, residual, len(rated))
        gnm_bias = float(np.sum(stars - b.global_mean - explained) / (len(rated) + params.neighborhood.reg_bias))
        mf_vector, mf_bias = self.mf.fold_in(rated, stars)
        return _UserState(rated, residual, len(rated), base_bias, gnm_bias, mf_vector, mf_bias)

    def features(self, state: _UserState, targets: np.ndarray, knn_k: int, n_meta: int) -> tuple[np.ndarray, ...]:
        """(design rows of the blend, baseline, mf, gnm, knn) for known target movie indices."""
        b = self.baseline
        base = b.global_mean + state.base_bias + b.item_bias[targets]
        mf = self.mf._mu + state.mf_bias + self.mf._bi[targets] + self.mf._q[targets] @ state.mf_vector
        hits = neighbor_hits(self.gnm.neighbors, state.rated, targets)
        gnm = (
            b.global_mean
            + state.gnm_bias
            + self.gnm.item_bias[targets]
            + self.gnm.interaction(hits, state.residual, len(targets))
        )
        sims = self.gnm.neighbors.data[hits.pair].astype(np.float64)
        knn_part, mass = knn_residual(sims, state.residual[hits.rated], hits.row, len(targets), knn_k)
        knn = base + knn_part
        return (
            _design(base, (mf, gnm, knn), state.n_ratings, self.item_counts[targets], mass, n_meta),
            base,
            mf,
            gnm,
            knn,
        )


def _design(
    base: np.ndarray, models: tuple[np.ndarray, ...], n_user: int, n_items: np.ndarray, mass: np.ndarray, n_meta: int
) -> np.ndarray:
    """Blend design: every meta-feature times [baseline, each model − baseline, 1]."""
    meta = [np.ones_like(base), np.full_like(base, np.log1p(n_user)), np.log1p(n_items), np.log1p(mass)][:n_meta]
    columns = [m * base for m in meta]
    for model in models:
        columns.extend(m * (model - base) for m in meta)
    columns.extend(meta)
    return np.column_stack(columns)


def _user_sample(matrix: sp.csr_matrix, max_ratings: int, rng: np.random.Generator) -> sp.csr_matrix:
    """`matrix` itself when it holds at most `max_ratings`; else the rows of random users (the rest
    emptied, indices kept) whose ratings fit `max_ratings`."""
    if matrix.nnz <= max_ratings:
        return matrix
    counts = np.diff(matrix.indptr)
    order = rng.permutation(matrix.shape[0])
    chosen = order[np.cumsum(counts[order]) <= max_ratings]
    kept_counts = np.zeros_like(counts)
    kept_counts[chosen] = counts[chosen]
    entries = np.repeat(kept_counts > 0, counts)
    indptr = np.concatenate([[0], np.cumsum(kept_counts)]).astype(matrix.indptr.dtype)
    sample = sp.csr_matrix((matrix.data[entries], matrix.indices[entries], indptr), shape=matrix.shape)
    log.info("blend weights fit on %d of %d users (%d ratings)", len(chosen), matrix.shape[0], sample.nnz)
    return sample


def _fixed_weights() -> tuple[np.ndarray, int]:
    """Blend weights for data too small to fit them: the biased MF alone (baseline + (mf − baseline))."""
    weights = np.zeros(1 + len(MODELS) + 1)
    weights[0] = 1.0  # baseline
    weights[1] = 1.0  # mf
    return weights, 1


class BlendedPredictor(RatingLookups):
    """Predicts a user's star rating of a movie, with a confidence and supporting evidence.

    Same public interface as `BiasedMF` (what `core.services.predict` uses). The "global mean, user
    bias, movie bias" it reports are the baseline's, so an explanation's remaining "taste match"
    is everything the blended models add on top. Immutable after construction; thread-safe.
    """

    def __init__(
        self,
        params: BlendParams,
        user_index: IdIndex,
        movie_index: IdIndex,
        ratings: sp.csr_matrix,
        components: _Components,
        weights: np.ndarray,
        n_meta: int,
    ) -> None:
        if ratings.shape != (len(user_index), len(movie_index)):
            raise ValueError("rating-matrix shape does not match the id indices")
        if len(weights) != n_meta * (len(MODELS) + 2):
            raise ValueError("blend weights do not match the number of meta-features")
        super().__init__(user_index, movie_index, ratings)
        self.params = params
        self._c = components
        self._weights = weights
        self._n_meta = n_meta
        self._by_item = components.residuals.tocsc()
        self._by_item.sort_indices()
        self.train_seconds: dict[str, float] = {}

    # ----------------------------------------------------------------- training / serialisation

    @classmethod
    def train(
        cls,
        user_ids: np.ndarray,
        movie_ids: np.ndarray,
        ratings: np.ndarray,
        params: BlendParams = BlendParams(),
    ) -> BlendedPredictor:
        """Fit on rating triples (parallel arrays of user id, movie id, stars): blend weights on a
        holdout, then every component on all ratings."""
        started = time.perf_counter()
        user_index, movie_index, matrix = build_rating_matrix(user_ids, movie_ids, ratings)
        weights, n_meta, holdout_seconds = cls._fit_weights(matrix, user_index, movie_index, params)
        components, seconds = _Components.fit(matrix, user_index, movie_index, params)
        model = cls(params, user_index, movie_index, matrix, components, weights, n_meta)
        model.train_seconds = {"holdout_fit": holdout_seconds, **seconds, "total": time.perf_counter() - started}
        log.info(
            "blended rating predictor trained on %d ratings (%d users × %d movies) in %.1fs",
            matrix.nnz,
            len(user_index),
            len(movie_index),
            model.train_seconds["total"],
        )
        return model

    @classmethod
    def _fit_weights(
        cls, matrix: sp.csr_matrix, user_index: IdIndex, movie_index: IdIndex, params: BlendParams
    ) -> tuple[np.ndarray, int, float]:
        """Hold out a share of the ratings, train the components on the rest, fit the blend on it."""
        started = time.perf_counter()
        rng = np.random.default_rng(params.random_state)
        matrix = _user_sample(matrix, params.holdout_max_ratings, rng)
        held = rng.random(matrix.nnz) < params.holdout_fraction
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        train = sp.csr_matrix(
            (matrix.data[~held], (rows[~held], matrix.indices[~held])), shape=matrix.shape, dtype=matrix.dtype
        )
        train.sort_indices()
        user_counts = np.diff(train.indptr)
        item_counts = np.bincount(train.indices, minlength=matrix.shape[1])
        # Held-out ratings of users or movies absent from the rest would be fallbacks, not blends.
        usable = held & (user_counts[rows] > 0) & (item_counts[matrix.indices] > 0)
        if usable.sum() < _MIN_LINEAR_ROWS or train.nnz == 0:
            weights, n_meta = _fixed_weights()
            return weights, n_meta, time.perf_counter() - started
        n_meta = _FULL_META if usable.sum() >= _ROWS_PER_WEIGHT * _FULL_META * (len(MODELS) + 2) else 1
        components, _ = _Components.fit(train, user_index, movie_index, params)
        designs, targets = [], []
        for user in np.unique(rows[usable]):
            lo, hi = matrix.indptr[user], matrix.indptr[user + 1]
            mask = usable[lo:hi]
            x, *_ = components.features(components.state(user), matrix.indices[lo:hi][mask], params.knn_k, n_meta)
            designs.append(x)
            targets.append(matrix.data[lo:hi][mask].astype(np.float64))
        x = np.vstack(designs)
        y = np.concatenate(targets)
        weights = np.linalg.solve(x.T @ x + params.reg_blend * np.eye(x.shape[1]), x.T @ y)
        return weights, n_meta, time.perf_counter() - started

    def to_bytes(self) -> bytes:
        """One npz blob (no pickle): parameters, blend weights, every component and the lookups."""
        c = self._c
        return pack_npz(
            {
                "kind": np.array(_KIND),
                "format_version": np.array(FORMAT_VERSION),
                "params": np.array(self.params.to_json()),
                "weights": self._weights,
                "n_meta": np.array(self._n_meta),
                "global_mean": np.array(c.baseline.global_mean),
                "base_user_bias": c.baseline.user_bias,
                "base_item_bias": c.baseline.item_bias,
                "gnm_user_bias": c.gnm.user_bias,
                "gnm_item_bias": c.gnm.item_bias,
                "gnm_w": c.gnm.w,
                "gnm_c": c.gnm.c,
                **csr_to_arrays(c.gnm.neighbors, "nb"),
                "mf_global_mean": np.array(c.mf._mu),
                "mf_user_factors": c.mf._p,
                "mf_item_factors": c.mf._q,
                "mf_user_bias": c.mf._bu,
                "mf_item_bias": c.mf._bi,
                **self._lookup_arrays("r"),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BlendedPredictor:
        """Rebuild a predictor saved with `to_bytes`; raises ValueError on a foreign or corrupt blob."""
        arrays = unpack_npz(data, _KIND, FORMAT_VERSION, "blended rating predictor")
        params = BlendParams.from_json(str(arrays["params"]))
        user_index, movie_index, ratings = cls._lookups_from_arrays(arrays, "r")
        baseline = Baseline(float(arrays["global_mean"]), arrays["base_user_bias"], arrays["base_item_bias"])
        gnm = NeighborhoodModel(
            baseline,
            arrays["gnm_user_bias"],
            arrays["gnm_item_bias"],
            csr_from_arrays(arrays, "nb"),
            arrays["gnm_w"],
            arrays["gnm_c"],
        )
        mf = BiasedMF(
            params.mf,
            float(arrays["mf_global_mean"]),
            user_index,
            movie_index,
            arrays["mf_user_factors"],
            arrays["mf_item_factors"],
            arrays["mf_user_bias"],
            arrays["mf_item_bias"],
            ratings,
        )
        components = _Components.assemble(baseline, ratings, gnm, mf)
        return cls(params, user_index, movie_index, ratings, components, arrays["weights"], int(arrays["n_meta"]))

    # ----------------------------------------------------------------------------- lookups

    @property
    def global_mean(self) -> float:
        """μ, the mean of all training ratings."""
        return self._c.baseline.global_mean

    @property
    def engine(self) -> str:
        """What makes the predictions: the blend, or "biased-mf" when the data was too small to fit one."""
        fixed, n_meta = _fixed_weights()
        if self._n_meta == n_meta and np.array_equal(self._weights, fixed):
            return self._c.mf.engine
        return ENGINE

    @property
    def mf(self) -> BiasedMF:
        """The biased-MF component (trained on the same ratings)."""
        return self._c.mf

    def n_ratings_of_user(self, user_id: int) -> int:
        """How many training ratings the user has (0 when unknown); the MF component holds the same."""
        return self._c.mf.n_ratings_of_user(user_id)

    def n_ratings_of_movie(self, movie_id: int) -> int:
        """How many training ratings the movie has (0 when unknown); the MF component holds the same."""
        return self._c.mf.n_ratings_of_movie(movie_id)

    def user_bias(self, user_id: int) -> float:
        """b_u of the baseline: how far above the global mean this user rates (0 when unknown)."""
        pos = self._users.index_of(user_id)
        return 0.0 if pos is None else float(self._c.baseline.user_bias[pos])

    def movie_bias(self, movie_id: int) -> float:
        """b_i of the baseline: how far above the global mean this movie is rated (0 when unknown)."""
        pos = self._movies.index_of(movie_id)
        return 0.0 if pos is None else float(self._c.baseline.item_bias[pos])

    # ----------------------------------------------------------------------------- predicting

    def predict(self, user_id: int, movie_id: int) -> float:
        """Raw blended r̂ (not clamped).

        Unknown user → μ + b_i; unknown movie → μ + b_u; both unknown → μ (baseline biases). Use
        `has_user` / `has_movie` to decide whether such a fallback is acceptable.
        """
        return float(self.predict_many(user_id, np.array([movie_id]))[0])

    def predict_clamped(self, user_id: int, movie_id: int) -> float:
        """`predict` clamped to the star scale [0.5, 5.0]."""
        return float(np.clip(self.predict(user_id, movie_id), MIN_RATING, MAX_RATING))

    def predict_many(self, user_id: int, movie_ids: np.ndarray) -> np.ndarray:
        """Vectorised raw `predict` of one user for many movies, with the same fallbacks."""
        user = self._users.index_of(user_id)
        return self._predict_state(None if user is None else self._c.state(user), movie_ids)

    def predict_from_ratings(self, user_rated: Mapping[int, float], movie_ids: np.ndarray) -> np.ndarray:
        """Raw predictions for a user known only by `user_rated` ({movie_id: stars}), e.g. one who
        rated movies after the model was trained: every component folds the user in with the movie
        side fixed. Unknown rated movies are ignored; with none left this is μ + b_i."""
        _, stars, idx = self._rated_arrays(user_rated)
        keep = idx >= 0
        state = self._c.fold_in(idx[keep], stars[keep], self.params) if np.any(keep) else None
        return self._predict_state(state, movie_ids)

    def user_bias_from_ratings(self, user_rated: Mapping[int, float]) -> tuple[float, int]:
        """(the baseline's b_u folded in from {movie_id: stars}, how many of those ratings the model knows)."""
        _, stars, idx = self._rated_arrays(user_rated)
        keep = idx >= 0
        if not np.any(keep):
            return 0.0, 0
        return self._c.fold_in(idx[keep], stars[keep], self.params).base_bias, int(keep.sum())

    def predict_pairs(self, user_ids: np.ndarray, movie_ids: np.ndarray) -> np.ndarray:
        """Raw predictions for parallel arrays of (user id, movie id), grouped by user internally."""
        users = np.asarray(user_ids, dtype=np.int64)
        movies = np.asarray(movie_ids, dtype=np.int64)
        out = np.empty(len(users))
        order = np.argsort(users, kind="stable")
        bounds = np.flatnonzero(np.diff(users[order])) + 1
        for group in np.split(order, bounds):
            if len(group):
                out[group] = self.predict_many(int(users[group[0]]), movies[group])
        return out

    def component_predictions(self, user_id: int, movie_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Each component's raw prediction and the blend, for a known user and known movies (for evaluation)."""
        user = self._users.index_of(user_id)
        targets = self._movies.indices_of(np.asarray(movie_ids))
        if user is None or np.any(targets < 0):
            raise ValueError("component predictions need a known user and known movies")
        x, base, mf, gnm, knn = self._c.features(self._c.state(user), targets, self.params.knn_k, self._n_meta)
        return {"baseline": base, "mf": mf, "gnm": gnm, "knn": knn, "blend": x @ self._weights}

    def _predict_state(self, state: _UserState | None, movie_ids: np.ndarray) -> np.ndarray:
        targets = self._movies.indices_of(np.asarray(movie_ids))
        known = targets >= 0
        b = self._c.baseline
        out = np.full(len(targets), b.global_mean)
        out[known] += b.item_bias[targets[known]]
        if state is None:
            return out
        out[~known] += state.base_bias
        if np.any(known):
            x, *_ = self._c.features(state, targets[known], self.params.knn_k, self._n_meta)
            out[known] = x @ self._weights
        return out

    def confidence(self, user_id: int, movie_id: int) -> float:
        """How much to trust a prediction, in [0, 1]:  n_u/(n_u + 10) · n_i/(n_i + 10).

        The same data-share formula as `BiasedMF.confidence` (see there); 0 when either side
        is unknown, where the prediction is a bias-only fallback.
        """
        return confidence_from_counts(self.n_ratings_of_user(user_id), self.n_ratings_of_movie(movie_id))

    def similar_rated_by_user(
        self,
        user_id: int,
        movie_id: int,
        user_rated: Mapping[int, float] | None = None,
        top: int = 5,
    ) -> list[tuple[int, float, float]]:
        """Evidence for a prediction: the user's rated movies most similar to `movie_id`.

        Returns (rated movie_id, the user's rating, similarity), most similar first, where the
        similarity is the shrunk Pearson-baseline correlation the neighbourhood components use:
        how alike the two movies' ratings are across the users who rated both, after removing user
        and movie biases. Only movies with a positive similarity are evidence, so a movie nobody
        co-rated with the user's movies has none. `user_rated` ({movie_id: stars}) defaults to the
        user's training ratings; movies unknown to the model and `movie_id` itself are skipped.
        """
        shrinkage = self.params.neighborhood.shrinkage
        return self._similar_rated(
            user_id,
            movie_id,
            user_rated,
            top,
            lambda target, idx: similarities_to(self._c.residuals, self._by_item, target, idx, shrinkage),
            positive_only=True,
        )


def load_rating_model(data: bytes) -> BlendedPredictor | BiasedMF:
    """The rating model stored in a database blob: a blend, or a plain MF from an older build."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            kind = str(npz["kind"]) if "kind" in npz.files else ""
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"not a valid rating model blob: {exc}") from exc
    if kind == _KIND:
        return BlendedPredictor.from_bytes(data)
    return BiasedMF.from_bytes(data)
