"""Who a `user_id` names: a MovieLens user of the data set, or a person's profile (their own ratings).

Every user-facing service resolves its `user_id` here, once, so a profile name works wherever a
MovieLens id does. Profiles are read from the profiles file on each call (a few hundred rows), so an
import made while the server runs is seen at once, by every caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread

from core.data import store
from core.data.store import profiles as profiles_store
from core.errors import InvalidInputError, NotFoundError
from core.profiles.names import is_profile_name
from core.runtime import MovieApp

DISLIKE_BELOW = 3.0  # a profile rating under this many stars is a dislike, not a weak like


@dataclass(frozen=True)
class UserRef:
    """A resolved user: a data-set user id, or a profile with its ratings."""

    user_id: int | None = None
    profile: str | None = None
    rated: dict[int, float] = field(default_factory=dict)  # a profile's {movie_id: stars}
    watched: frozenset[int] = frozenset()  # a profile's movies seen without stars
    rated_at: dict[int, int] = field(default_factory=dict)  # a profile's unix times, per movie
    totals: tuple[int, float] | None = None  # a data-set user's (ratings, mean), read when it was resolved

    @property
    def label(self) -> int | str:
        """What answers report as `user_id`: the MovieLens id or the profile name."""
        return self.profile if self.profile is not None else int(self.user_id or 0)

    @property
    def seen(self) -> set[int]:
        """Every movie the person rated or watched: never recommended back."""
        return set(self.rated) | set(self.watched)

    def liked(self) -> dict[int, float]:
        """The ratings that count as likes (at or above DISLIKE_BELOW)."""
        return {m: r for m, r in self.rated.items() if r >= DISLIKE_BELOW}

    def disliked(self) -> list[int]:
        return [m for m, r in self.rated.items() if r < DISLIKE_BELOW]


async def resolve_user(app: MovieApp, ref: int | str) -> UserRef:
    """A MovieLens user id (an int, or a string of digits) or a profile name; an error says which exist."""
    if isinstance(ref, bool):
        raise InvalidInputError("user_id must be a MovieLens user id or a profile name")
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        user_id = int(ref)
        row = await store.require_user(app.db, user_id)
        return UserRef(user_id=user_id, totals=(int(row["rating_count"]), float(row["rating_mean"])))
    name = ref.strip()
    if not is_profile_name(name):
        raise InvalidInputError(
            f"user_id {ref!r} is neither a MovieLens user id nor a profile name (letters, digits, _ - ., starting"
            " with a letter)"
        )
    return await _load_profile(app, name)


async def _load_profile(app: MovieApp, name: str) -> UserRef:
    path = app.settings.profiles_path
    stored = await anyio.to_thread.run_sync(profiles_store.find_profile, path, name)
    if stored is None:
        raise NotFoundError(
            f"no profile named {name!r} (user_id is a MovieLens user id or a profile name); import one with"
            f" `movie-mcp profile import FILE --name {name}` (`movie-mcp profile list` shows the profiles there are)"
        )
    rows = await anyio.to_thread.run_sync(profiles_store.profile_ratings, path, stored)
    return UserRef(
        profile=stored,
        rated={r.movie_id: r.rating for r in rows if r.rating is not None},
        watched=frozenset(r.movie_id for r in rows if r.rating is None),
        rated_at={r.movie_id: r.rated_at for r in rows},
    )


def require_ratings(user: UserRef) -> None:
    """A profile must hold at least one rating (stars) for what is asked of it."""
    if user.profile is not None and not user.rated:
        raise InvalidInputError(
            f"profile {user.profile!r} has no star ratings (only watched movies); import a ratings file into it"
        )
