"""The `user_id` argument every user tool shares: a MovieLens user id or the name of an imported profile."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tools._common import MAX_ID

USER_ID_HELP = (
    "a MovieLens user id (1-671 in the default data) or the name of a profile imported with"
    " `movie-mcp profile import` (a person's own IMDb/Letterboxd/Trakt ratings), e.g. 15 or 'alice'"
)

UserId = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(min_length=1, max_length=40)],
    Field(description=USER_ID_HELP),
]
