"""predict_rating: expected stars for one user and one movie."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import RatingPrediction
from core.services import predict
from tools._common import MAX_ID, ToolSpec, call_core, read_only
from tools._user import UserId


async def predict_rating(
    user_id: UserId,
    movie_id: Annotated[int, Field(ge=1, le=MAX_ID, description="MovieLens movie id")],
    ctx: Context,
) -> RatingPrediction:
    return await call_core(ctx, predict.predict_rating, user_id, movie_id)


TOOL = ToolSpec(
    fn=predict_rating,
    name="predict_rating",
    title="Predict a rating",
    description=(
        "How many stars (0.5-5.0) a user (a MovieLens user id, or an imported profile's name)"
        " would give one movie, from a trained model (a blend of biased matrix"
        " factorisation and item-neighbourhood models; not an average). Returns the prediction, a 0-1"
        " confidence, the baseline parts (global mean, user and movie bias), the user's ratings of the most"
        " similar movies as evidence, how many of the user's ratings the model used (a profile is folded in from"
        " its ratings), and the real rating when the user already rated it. Use it to answer"
        " 'would user X like movie Y?'; to find new movies use get_movie_recommendations."
    ),
    annotations=read_only("Predict a rating"),
)
