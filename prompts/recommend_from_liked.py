"""recommend_from_liked: personal recommendations from a few movies someone liked."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import UserMessage
from pydantic import Field

from core.data.genres import CANONICAL_GENRES
from core.errors import InvalidInputError, excerpt
from prompts._common import PromptSpec, describe_movie, resolve_movies, unmatched_note
from tools._common import app_of
from tools._errors import core_errors_as


def _canonical_genre(genre: str) -> str:
    canonical = {g.lower(): g for g in CANONICAL_GENRES}.get(genre.strip().lower())
    if canonical is None:
        raise InvalidInputError(f"unknown genre {excerpt(genre)}; genres are: {', '.join(CANONICAL_GENRES)}")
    return canonical


async def recommend_from_liked(
    liked_movies: Annotated[
        str, Field(description="movies you liked: titles or ids separated by ';', e.g. 'Toy Story; Finding Nemo'")
    ],
    ctx: Context,
    genre: Annotated[str | None, Field(description="optional: only recommend this genre, e.g. Comedy")] = None,
) -> list[UserMessage]:
    """Personal recommendations for someone new, from a few movies they liked (collaborative filtering)."""
    with core_errors_as("prompt"):
        movies, missing = await resolve_movies(app_of(ctx), liked_movies, at_least=1, at_most=50)
        genre = _canonical_genre(genre) if genre else None
    ids = [m.movie_id for m in movies]
    # A typed filter, not words in query: the tool's description asks callers to prefer them.
    only = f', genres=["{genre}"]' if genre else ""
    lines = [
        "I liked these movies: " + "; ".join(describe_movie(m) for m in movies) + ".",
        *unmatched_note(missing),
        f"Recommend 10 movies I have not seen{' in the ' + genre + ' genre' if genre else ''}: call"
        f" get_movie_recommendations with liked_movies={ids}{only} and n=10.",
        "For each pick give the title and year, and one sentence on why it fits, from the pick's `because`"
        " evidence (which of my movies it comes from). Do not recommend movies I listed.",
    ]
    return [UserMessage("\n".join(lines))]


PROMPT = PromptSpec(fn=recommend_from_liked, name="recommend_from_liked", title="Recommend from movies I liked")
