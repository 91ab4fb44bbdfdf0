"""user://{user_id}/profile: a MovieLens user's or a profile's taste profile."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from core.services import preferences as profile
from resources._common import ResourceSpec, as_json, whole_number
from tools._common import app_of
from tools._errors import core_errors_as


async def user_profile(user_id: str, ctx: Context) -> str:
    with core_errors_as("resource"):
        user_ref = whole_number(user_id, "user", f"user://{user_id}/profile") if user_id.isdigit() else user_id
        return await as_json(profile.summarize_user_preferences(app_of(ctx), user_ref))


RESOURCE = ResourceSpec(
    fn=user_profile,
    uri="user://{user_id}/profile",
    name="user_profile",
    title="A user's taste profile",
    description=(
        "A MovieLens user's (user://15/profile) or an imported profile's (user://alice/profile) taste:"
        " rating distribution, genre and decade affinities, enrichment preferences,"
        " favourites and a readable summary. The same JSON as the summarize_user_preferences tool."
    ),
)
