"""Rating prediction from the trained rating model (the MF + neighbourhood blend), with its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiosqlite

from core.data import store
from core.data.store.users import user_history
from core.llm.narration import written_text
from core.llm.tasks import EXPLAIN_PREDICTION
from core.runtime import MovieApp
from core.schemas import RatingPrediction, SimilarRated

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


def _signed(x: float) -> str:
    return f"{x:+.2f}"


def _breakdown(model: RatingModel, user_id: int, movie_id: int) -> _Breakdown:
    raw = model.predict(user_id, movie_id)
    mu, b_u, b_i = model.global_mean, model.user_bias(user_id), model.movie_bias(movie_id)
    return _Breakdown(
        predicted=round(model.predict_clamped(user_id, movie_id), 2),
        global_mean=mu,
        user_bias=b_u,
        movie_bias=b_i,
        taste_match=raw - mu - b_u - b_i,
    )


async def _evidence(
    app: MovieApp, model: RatingModel, user_id: int, movie_id: int, rated: dict[int, float]
) -> list[SimilarRated]:
    """The user's ratings of the movies most similar to this one, most similar first."""
    similar = model.similar_rated_by_user(user_id, movie_id, rated, top=EVIDENCE_SHOWN)
    titles = await store.summaries(app.db, [mid for mid, _, _ in similar])
    return [
        SimilarRated(movie_id=mid, title=titles[mid].title, user_rating=rating, similarity=round(sim, 3))
        for mid, rating, sim in similar
        if mid in titles
    ]


def _offline_explanation(movie: aiosqlite.Row, parts: _Breakdown, evidence: list[SimilarRated]) -> str:
    text = [
        f"Predicted {parts.predicted:.1f}★ for {movie['title']}: the average rating is {parts.global_mean:.2f}★,",
        f"this user rates {_signed(parts.user_bias)} relative to it, the movie is rated {_signed(parts.movie_bias)},",
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
        "ratings_of_this_movie": movie["rating_count"],
        "similar_movies_the_user_rated": [e.model_dump() for e in evidence],
    }


async def predict_rating(app: MovieApp, user_id: int, movie_id: int) -> RatingPrediction:
    """Predict the user's stars for a movie; the evidence is their ratings of the most similar movies."""
    await app.ready()
    await store.require_user(app.db, user_id)
    movie = await store.require_movie(app.db, movie_id)
    model = app.rating_model
    rated = await user_history(app.db, user_id)
    parts = _breakdown(model, user_id, movie_id)
    evidence = await _evidence(app, model, user_id, movie_id, rated)
    explanation, explanation_engine = await written_text(
        app.engine,
        EXPLAIN_PREDICTION,
        _explanation_payload(movie, parts, evidence),
        _offline_explanation(movie, parts, evidence),
    )
    return RatingPrediction(
        user_id=user_id,
        movie_id=movie_id,
        title=movie["title"],
        predicted_rating=parts.predicted,
        confidence=round(model.confidence(user_id, movie_id), 3),
        actual_rating=rated.get(movie_id),
        global_mean=round(parts.global_mean, 3),
        user_bias=round(parts.user_bias, 3),
        movie_bias=round(parts.movie_bias, 3),
        evidence=evidence,
        explanation=explanation,
        engine=model.engine,
        explanation_engine=explanation_engine,
    )
