"""explain_taste: a readable explanation of one user's movie taste."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp_types import EmbeddedResource, TextResourceContents
from pydantic import Field

from core.errors import InvalidInputError, excerpt
from core.services import preferences as profile
from prompts._common import PromptSpec
from tools._common import MAX_ID, app_of
from tools._errors import core_errors_as


def _user_id(value: str) -> int | str:
    """A MovieLens user id, or a profile name as typed (the resolver checks it)."""
    text = value.strip()
    if not text:
        raise InvalidInputError("user_id is empty; give a MovieLens user id (e.g. 15) or a profile name")
    if text.isascii() and text.isdigit():
        if not 1 <= int(text) <= MAX_ID:
            raise InvalidInputError(
                f"user_id must be a whole number from 1 to {MAX_ID} (a MovieLens user id) or a profile name;"
                f" got {excerpt(value)}"
            )
        return int(text)
    return text


async def explain_taste(
    user_id: Annotated[str, Field(description="a MovieLens user id (e.g. 15) or an imported profile's name")],
    ctx: Context,
) -> list[UserMessage]:
    """A readable explanation of one user's movie taste, from their profile (attached) and ratings."""
    with core_errors_as("prompt"):
        uid = _user_id(user_id)
        summary = await profile.summarize_user_preferences(app_of(ctx), uid)
    uid = summary.user_id  # a profile's stored spelling
    who = f"MovieLens user {uid}" if isinstance(uid, int) else f"the person whose profile is {uid!r}"
    arg = uid if isinstance(uid, int) else f"'{uid}'"
    uri = f"user://{uid}/profile"
    text = (
        f"Explain the movie taste of {who} in a few short paragraphs. Their profile ({uri})"
        " is attached. Say which genres and decades they favour and avoid relative to their own average"
        " (affinities are in stars above or below their mean), whether they rate generously or harshly,"
        " and name a few favourites. If it helps, look at their ratings with get_user_ratings"
        f"(user_id={arg}, sort='highest'). End with three movies they have not seen, from"
        f" get_movie_recommendations(user_id={arg}, n=3), each with its reason."
    )
    attached = EmbeddedResource(
        resource=TextResourceContents(uri=uri, mime_type="application/json", text=summary.model_dump_json())
    )
    return [UserMessage(text), UserMessage(attached)]


PROMPT = PromptSpec(fn=explain_taste, name="explain_taste", title="Explain a user's taste")
