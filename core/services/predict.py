"""Rating prediction from the trained rating model (the MF + neighbourhood blend), with its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiosqlite
import numpy as np

from core.data import store
from core.data.store.users import user_history
from core.llm.narration import written_text
from core.llm.tasks import EXPLAIN_PREDICTION
from core.runtime import MovieApp
from core.schemas import RatingPrediction, SimilarRated
from core.services.users import UserRef, require_ratings, resolve_user

if TYPE_CHECKING:
    from core.runtime import RatingModel

EVIDENCE_SHOWN = 5  # similar movies the user rated, in the answer
EVIDENCE_IN_TEXT = 3  # of which the offline explanation names these


@dataclass(frozen=True)
class _Breakdown:
    """The prediction split into its additive parts, as the explanation tells them."""

    predicted: float  # clamped to the star scale and rounded: the number the user sees
    global_mean: float
    user_bias: float
    movie_bias: float
    taste_match: float  # what the user-movie interaction adds on top of the biases
    confidence: float
    ratings_used: int  # the user's ratings the model knows (training ratings, or a profile's folded in)


def _signed(x: float) -> str:
    return f"{x:+.2f}"


def _breakdown(model: RatingModel, user: UserRef, movie_id: int) -> _Breakdown:
    """The prediction's parts; a profile is folded into the model from its ratings (item side fixed)."""
    # Imported here: the models' modules pull in scipy, and the server answers `initialize` before they load.
    from core.models.biased_mf import MAX_RATING, MIN_RATING, confidence_from_counts

    mu, b_i = model.global_mean, model.movie_bias(movie_id)
    if user.profile is None:
        user_id = int(user.user_id or 0)
        raw, b_u = model.predict(user_id, movie_id), model.user_bias(user_id)
        used, confidence = model.n_ratings_of_user(user_id), model.confidence(user_id, movie_id)
    else:
        raw = float(model.predict_from_ratings(user.rated, np.array([movie_id]))[0])
        b_u, used = model.user_bias_from_ratings(user.rated)
        confidence = confidence_from_counts(used, model.n_ratings_of_movie(movie_id)) if used else 0.0
    return _Breakdown(
        predicted=round(float(np.clip(raw, MIN_RATING, MAX_RATING)), 2),
        global_mean=mu,
        user_bias=b_u,
        movie_bias=b_i,
        taste_match=raw - mu - b_u - b_i,
        confidence=confidence,
        ratings_used=used,
    )


async def _evidence(app: MovieApp, model: RatingModel, movie_id: int, rated: dict[int, float]) -> list[SimilarRated]:
    """The user's ratings of the movies most similar to this one, most similar first."""
    # With the ratings given, the model reads no user of its own: 0 is no one's id.
    similar = model.similar_rated_by_user(0, movie_id, rated, top=EVIDENCE_SHOWN)
    titles = await store.summaries(app.db, [mid for mid, _, _ in similar])
    return [
        SimilarRated(movie_id=mid, title=titles[mid].title, user_rating=rating, similarity=round(sim, 3))
        for mid, rating, sim in similar
        if mid in titles
    ]


def _offline_explanation(movie: aiosqlite.Row, parts: _Breakdown, evidence: list[SimilarRated]) -> str:
    text = [
        f"Predicted {parts.predicted:.1f}★ for {movie['title']}: the average rating is {parts.global_mean:.2f}★,",
        f"this user rates {_signed(parts.user_bias)} relative to it (from {parts.ratings_used} of their ratings),",
        f"the movie is rated {_signed(parts.movie_bias)},",
        f"and the match between the user's taste and the movie adds {_signed(parts.taste_match)}.",
    ]
    if evidence:
        shown = ", ".join(
            f"{e.title} ({e.user_rating:g}★, similarity {e.similarity:.2f})" for e in evidence[:EVIDENCE_IN_TEXT]
        )
        text.append(f"Most similar movies they rated: {shown}.")
    if movie["rating_count"] < 3:
        text.append(f"Only {movie['rating_count']} rating(s) of this movie exist, so confidence is low.")
    return " ".join(text)


def _explanation_payload(movie: aiosqlite.Row, parts: _Breakdown, evidence: list[SimilarRated]) -> dict[str, Any]:
    return {
        "movie": movie["title"],
        "predicted_stars": parts.predicted,
        "global_mean": round(parts.global_mean, 3),
        "user_bias": round(parts.user_bias, 3),
        "movie_bias": round(parts.movie_bias, 3),
        "taste_match": round(parts.taste_match, 3),
        "ratings_used": parts.ratings_used,
        "ratings_of_this_movie": movie["rating_count"],
        "similar_movies_the_user_rated": [e.model_dump() for e in evidence],
    }


async def predict_rating(app: MovieApp, user_id: int | str, movie_id: int) -> RatingPrediction:
    """Predict the user's (or profile's) stars for a movie; the evidence is their ratings of the most similar movies."""
    await app.models_ready()
    user = await resolve_user(app, user_id)
    require_ratings(user)
    movie = await store.require_movie(app.db, movie_id)
    model = app.rating_model
    rated = user.rated if user.profile is not None else await user_history(app.db, int(user.user_id or 0))
    parts = _breakdown(model, user, movie_id)
    evidence = await _evidence(app, model, movie_id, rated)
    explanation, explanation_engine = await written_text(
        app.engine,
        EXPLAIN_PREDICTION,
        _explanation_payload(movie, parts, evidence),
        _offline_explanation(movie, parts, evidence),
    )
    return RatingPrediction(
        user_id=user.label,
        ratings_used=parts.ratings_used,
        movie_id=movie_id,
        title=movie["title"],
        predicted_rating=parts.predicted,
        confidence=round(parts.confidence, 3),
        actual_rating=rated.get(movie_id),
        global_mean=round(parts.global_mean, 3),
        user_bias=round(parts.user_bias, 3),
        movie_bias=round(parts.movie_bias, 3),
        evidence=evidence,
        explanation=explanation,
        engine=model.engine,
        explanation_engine=explanation_engine,
    )
