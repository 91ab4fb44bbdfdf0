"""What the rest of the application may ask of a trained model, in the spirit of implicit's `RecommenderBase`.

Two kinds of model, each a structural `Protocol` the existing classes satisfy without inheriting from it:

- `TopNModel` ranks movies for a known user or for a list of liked movies (fold-in), explains its picks
  by the user's rated movies, and saves itself as one npz blob (ALS, EASE and their ensemble);
- `RatingModel` predicts a user's stars for one movie, with biases, a confidence and evidence (the
  blended rating model, and the plain biased MF that older databases hold).

How a model is trained and read back differs by construction: a standalone model trains on rating
triples (`TrainsOnRatings`), a composed one is calibrated on models already trained (`ComposedOf`,
the ensemble over EASE and ALS). `core.models.registry` names every model and says which applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # common pulls in scipy; services import the protocols before any model has loaded
    from core.models.common import Evidence, LikedInput

__all__ = ["ComposedOf", "RatingModel", "TopNModel", "TrainsOnRatings"]

Picks = list[tuple[int, float]]  # (movie id, score), best first


@runtime_checkable
class TopNModel(Protocol):
    """A top-N recommender over the movies it was trained on; instances are immutable and thread-safe."""

    def has_user(self, user_id: int) -> bool:
        """True when the user had ratings in the training data."""
        ...

    def has_movie(self, movie_id: int) -> bool:
        """True when the movie had ratings in the training data."""
        ...

    def user_ratings(self, user_id: int) -> dict[int, float]:
        """The user's training ratings as {movie_id: stars} (what explanations cite)."""
        ...

    def recommend_for_user(self, user_id: int, n: int, candidate_movie_ids: np.ndarray | None = None) -> Picks:
        """Top-`n` for a known user, never a rated movie; only `candidate_movie_ids` when given."""
        ...

    def recommend_from_liked(self, liked: LikedInput, n: int, candidate_movie_ids: np.ndarray | None = None) -> Picks:
        """Top-`n` for a user described by liked movies (fold-in); never a liked movie."""
        ...

    def explain_many_for_user(self, user_id: int, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """Per pick, the user's rated movies that raise its score most (positive contributions, largest first)."""
        ...

    def explain_many_from_liked(self, liked: LikedInput, movie_ids: Sequence[int], top: int = 3) -> list[Evidence]:
        """`explain_many_for_user` for a user described by liked movies."""
        ...

    def explain_for_user(self, user_id: int, movie_id: int, top: int = 3) -> Evidence:
        """One pick's evidence for a known user."""
        ...

    def to_bytes(self) -> bytes:
        """The model as one npz blob (no pickle)."""
        ...


@runtime_checkable
class RatingModel(Protocol):
    """Predicts stars for (user, movie) pairs; instances are immutable and thread-safe."""

    @property
    def engine(self) -> str:
        """What `predict_rating` reports as its engine."""
        ...

    @property
    def global_mean(self) -> float:
        """μ, the mean of all training ratings."""
        ...

    def has_user(self, user_id: int) -> bool: ...

    def has_movie(self, movie_id: int) -> bool: ...

    def user_bias(self, user_id: int) -> float: ...

    def movie_bias(self, movie_id: int) -> float: ...

    def predict(self, user_id: int, movie_id: int) -> float:
        """Raw prediction (not clamped), with bias-only fallbacks for unknown users or movies."""
        ...

    def predict_clamped(self, user_id: int, movie_id: int) -> float:
        """`predict` clamped to the star scale."""
        ...

    def predict_many(self, user_id: int, movie_ids: np.ndarray) -> np.ndarray: ...

    def predict_from_ratings(self, user_rated: Mapping[int, float], movie_ids: np.ndarray) -> np.ndarray:
        """Predictions for a user known only by {movie_id: stars} (folded in)."""
        ...

    def user_bias_from_ratings(self, user_rated: Mapping[int, float]) -> tuple[float, int]:
        """(b_u of a user known only by {movie_id: stars}, folded in; how many of the ratings were used)."""
        ...

    def n_ratings_of_movie(self, movie_id: int) -> int: ...

    def n_ratings_of_user(self, user_id: int) -> int: ...

    def confidence(self, user_id: int, movie_id: int) -> float:
        """How much to trust a prediction, in [0, 1]."""
        ...

    def similar_rated_by_user(
        self, user_id: int, movie_id: int, user_rated: Mapping[int, float] | None = None, top: int = 5
    ) -> list[tuple[int, float, float]]:
        """Evidence: (rated movie id, the user's stars, similarity to `movie_id`), most similar first."""
        ...

    def to_bytes(self) -> bytes: ...


class TrainsOnRatings(Protocol):
    """The class of a standalone model: trained on parallel arrays of (user id, movie id, stars)."""

    def train(self, user_ids: np.ndarray, movie_ids: np.ndarray, ratings: np.ndarray, params: Any) -> Any: ...

    def from_bytes(self, data: bytes) -> Any: ...


class ComposedOf(Protocol):
    """The class of a model built from other trained models (passed in the order the registry lists them)."""

    def calibrate(self, *components: Any, params: Any, seed: int) -> Any: ...

    def from_bytes(self, data: bytes, *components: Any) -> Any: ...
