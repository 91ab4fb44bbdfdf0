"""get_user_ratings: a user's rating history, paged."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from core.schemas import UserRatingsPage
from core.services import ratings
from core.services.ratings import RatingSort
from tools._common import MAX_OFFSET, ToolSpec, call_core, read_only
from tools._user import UserId


async def get_user_ratings(
    user_id: UserId,
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=100, description="ratings per page (1-100)")] = 20,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET, description="skip this many ratings (for paging)")] = 0,
    sort: Annotated[RatingSort, Field(description="recent, oldest, highest, lowest or title")] = "recent",
) -> UserRatingsPage:
    return await call_core(ctx, ratings.get_user_ratings, user_id, limit=limit, offset=offset, sort=sort)


TOOL = ToolSpec(
    fn=get_user_ratings,
    name="get_user_ratings",
    title="A user's ratings",
    description=(
        "The movies a user (a MovieLens user id, or an imported profile's name) rated (0.5-5.0 stars)"
        " with titles, genres and dates, plus their total count and mean."
        " Paged and sortable. Use it to see what a user actually watched; for an interpreted taste profile use"
        " summarize_user_preferences."
    ),
    annotations=read_only("A user's ratings"),
)
