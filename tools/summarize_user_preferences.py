"""summarize_user_preferences: a user's taste profile."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from core.schemas import UserPreferences
from core.services import preferences as profile
from tools._common import ToolSpec, call_core, read_only
from tools._user import UserId


async def summarize_user_preferences(
    user_id: UserId,
    ctx: Context,
) -> UserPreferences:
    return await call_core(ctx, profile.summarize_user_preferences, user_id)


TOOL = ToolSpec(
    fn=summarize_user_preferences,
    name="summarize_user_preferences",
    title="Summarise a user's taste",
    description=(
        "A user's taste profile (user_id: a MovieLens user id, or an imported profile's name):"
        " rating count, mean and distribution; genre and decade affinities (share of their"
        " ratings and mean relative to their own mean, positive = preferred); preferences by sentiment, audience"
        " and budget/revenue tier; favourite and least favourite movies; and a readable summary. Use it to explain"
        " someone's taste; for their raw list of ratings use get_user_ratings."
    ),
    annotations=read_only("Summarise a user's taste"),
)
