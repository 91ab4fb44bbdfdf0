"""Rating prediction from the trained rating model (the MF + neighbourhood blend), with its evidence."""

from __future__ import annotations

from core.data import store
from core.data.store.users import user_history
from core.llm.narration import written_text
from core.llm.tasks import EXPLAIN_PREDICTION
from core.runtime import MovieApp
from core.schemas import RatingPrediction, SimilarRated


def _signed(x: float) -> str:
    return f"{x:+.2f}"


async def predict_rating(app: MovieApp, user_id: int, movie_id: int) -> RatingPrediction:
    """Predict the user's stars for a movie; the evidence is their ratings of the most similar movies."""
    await app.ready()
    await store.require_user(app.db, user_id)
    movie = await store.require_movie(app.db, movie_id)
    model = app.rating_model
    rated = await user_history(app.db, user_id)
    raw = model.predict(user_id, movie_id)
    predicted = round(model.predict_clamped(user_id, movie_id), 2)
    mu, b_u, b_i = model.global_mean, model.user_bias(user_id), model.movie_bias(movie_id)
    similar = model.similar_rated_by_user(user_id, movie_id, rated, top=5)
    titles = await store.summaries(app.db, [mid for mid, _, _ in similar])
    evidence = [
        SimilarRated(movie_id=mid, title=titles[mid].title, user_rating=rating, similarity=round(sim, 3))
        for mid, rating, sim in similar
        if mid in titles
    ]
    confidence = round(model.confidence(user_id, movie_id), 3)
    parts = [
        f"Predicted {predicted:.1f}★ for {movie['title']}: the average rating is {mu:.2f}★,",
        f"this user rates {_signed(b_u)} relative to it, the movie is rated {_signed(b_i)},",
        f"and the match between the user's taste and the movie adds {_signed(raw - mu - b_u - b_i)}.",
    ]
    if evidence:
        shown = ", ".join(f"{e.title} ({e.user_rating:g}★, similarity {e.similarity:.2f})" for e in evidence[:3])
        parts.append(f"Most similar movies they rated: {shown}.")
    if movie["rating_count"] < 3:
        parts.append(f"Only {movie['rating_count']} rating(s) of this movie exist, so confidence is low.")
    offline_explanation = " ".join(parts)
    explanation, explanation_engine = await written_text(
        app.llm,
        EXPLAIN_PREDICTION,
        {
            "movie": movie["title"],
            "predicted_stars": predicted,
            "global_mean": round(mu, 3),
            "user_bias": round(b_u, 3),
            "movie_bias": round(b_i, 3),
            "taste_match": round(raw - mu - b_u - b_i, 3),
            "ratings_of_this_movie": movie["rating_count"],
            "similar_movies_the_user_rated": [e.model_dump() for e in evidence],
        },
        offline_explanation,
    )
    return RatingPrediction(
        user_id=user_id,
        movie_id=movie_id,
        title=movie["title"],
        predicted_rating=predicted,
        confidence=confidence,
        actual_rating=rated.get(movie_id),
        global_mean=round(mu, 3),
        user_bias=round(b_u, 3),
        movie_bias=round(b_i, 3),
        evidence=evidence,
        explanation=explanation,
        engine=model.engine,
        explanation_engine=explanation_engine,
    )
