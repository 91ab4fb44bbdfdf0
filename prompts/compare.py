"""compare: a side-by-side comparison of a few movies."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import UserMessage
from pydantic import Field

from prompts._common import PromptSpec, describe_movie, resolve_movies, unmatched_note
from tools._common import app_of
from tools._errors import core_errors_as


async def compare(
    movies: Annotated[
        str, Field(description="2 to 10 movie titles or ids separated by ';', e.g. 'Heat; The Godfather'")
    ],
    ctx: Context,
) -> list[UserMessage]:
    """A side-by-side comparison of 2 to 10 movies: money, ratings and enrichment, and who leads where."""
    with core_errors_as("prompt"):
        found, missing = await resolve_movies(app_of(ctx), movies, at_least=2, at_most=10)
    ids = [m.movie_id for m in found]
    lines = [
        "Compare these movies: " + "; ".join(describe_movie(m) for m in found) + ".",
        *unmatched_note(missing),
        f"Call compare_movies with movie_ids={ids}. Then summarise in a short table and a paragraph: budget and"
        " revenue (US dollars), ROI, runtime, audience rating (mean stars and how many ratings), effectiveness"
        " (0-10) and sentiment/audience. Name the leader on each dimension; report unknown values as unknown,"
        " never as zero.",
    ]
    return [UserMessage("\n".join(lines))]


PROMPT = PromptSpec(fn=compare, name="compare", title="Compare movies")
