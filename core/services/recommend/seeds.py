"""Stage 1: who the recommendations are for: a known MovieLens user (their training ratings), a profile
(a person's own ratings, folded in at request time), or a list of liked movies (resolved from ids or
titles, each counted as 5 stars); plus the movies they disliked, which are pushed away from."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.data import store
from core.errors import InvalidInputError, NotFoundError
from core.models.protocols import TopNModel
from core.runtime import MovieApp
from core.services.users import UserRef, resolve_user

MAX_LIKED = 50
MAX_DISLIKED = 50
LIKED_SEED_STARS = 5.0  # a liked title carries no stars: it counts as a top rating


@dataclass(frozen=True)
class Seeds:
    """A known user, a profile or a cold-start user, with the ratings explanations cite."""

    user_id: int | None
    rated: dict[int, float]  # {movie_id: stars}: training ratings, a profile's likes, or the liked movies
    liked_ids: list[int] = field(default_factory=list)  # the resolved liked movies, in the order given
    profile: str | None = None
    disliked: list[int] = field(default_factory=list)  # pushed down, never returned
    seen: frozenset[int] = frozenset()  # a profile's rated or watched movies: never returned

    @property
    def label(self) -> int | str | None:
        """What the answer reports as `user_id`."""
        return self.profile if self.profile is not None else self.user_id

    @property
    def excluded(self) -> frozenset[int]:
        """Movies the model may not know are the person's, and that must never come back."""
        return self.seen | frozenset(self.disliked)


def require_one_seed(user_id: int | str | None, liked_movies: list[int | str] | None) -> None:
    """Exactly one of a known user (or profile) or liked movies must be given."""
    if (user_id is None) == (liked_movies is None):
        raise InvalidInputError(
            "give exactly one of user_id (a MovieLens user id or a profile name) or liked_movies (ids or titles)"
        )


async def resolve_seeds(
    app: MovieApp,
    model: TopNModel,
    user_id: int | str | None,
    liked_movies: list[int | str] | None,
    disliked_movies: list[int | str] | None = None,
) -> Seeds:
    """The request's seeds, checked against the model that will rank for them."""
    disliked = await resolve_disliked(app, disliked_movies or [])
    if user_id is not None:
        user = await resolve_user(app, user_id)
        if user.profile is not None:
            return profile_seeds(model, user, disliked)
        uid = int(user.user_id or 0)
        return Seeds(uid, await known_user_ratings(app, model, uid), disliked=disliked)
    liked_ids = await resolve_liked(app, model, liked_movies or [])
    clash = set(liked_ids) & set(disliked)
    if clash:
        raise InvalidInputError(f"movies {sorted(clash)} are both liked and disliked; keep each in one list")
    return Seeds(None, {i: LIKED_SEED_STARS for i in liked_ids}, liked_ids, disliked=disliked)


def profile_seeds(model: TopNModel, user: UserRef, extra_disliked: list[int]) -> Seeds:
    """A profile's likes (ratings of 3 stars or more, with their stars) and dislikes (the lower ones)."""
    liked = user.liked() or dict(user.rated)  # someone who only gave low stars: their ratings are all there is
    if not any(model.has_movie(m) for m in liked):
        raise InvalidInputError(
            f"none of profile {user.profile!r}'s rated movies has ratings in the data set, so the recommender"
            " cannot place them; import more of their ratings, or use liked_movies"
        )
    disliked = [m for m in user.disliked() if m not in liked] + extra_disliked
    return Seeds(None, liked, profile=user.profile, disliked=list(dict.fromkeys(disliked)), seen=frozenset(user.seen))


async def known_user_ratings(app: MovieApp, model: TopNModel, user_id: int) -> dict[int, float]:
    """The ratings the model was trained on (the database's, as of the build): what its evidence cites."""
    if not model.has_user(user_id):
        await store.require_user(app.db, user_id)  # the clearer error when the user does not exist at all
        raise NotFoundError(f"user {user_id} has no ratings in the trained model; rebuild with `movie-mcp build`")
    return model.user_ratings(user_id)


async def _movie_ids(app: MovieApp, refs: list[int | str]) -> list[int]:
    """Movie ids for ids or titles, without duplicates; an error names every reference that matched nothing."""
    ids: list[int] = []
    missing: list[str] = []
    for ref in refs:
        try:
            ids.append(await store.resolve_movie_ref(app.db, ref))
        except NotFoundError:
            missing.append(str(ref))
    if missing:
        raise NotFoundError(
            f"no movie matches {', '.join(repr(m) for m in missing)}; use search_movies to find the exact title or id"
        )
    return list(dict.fromkeys(ids))


async def resolve_liked(app: MovieApp, model: TopNModel, liked: list[int | str]) -> list[int]:
    """Movie ids for the liked ids or titles, without duplicates; at least one must be known to the model."""
    if not liked:
        raise InvalidInputError("liked_movies is empty; give 1 to 50 movie ids or titles you liked")
    if len(liked) > MAX_LIKED:
        raise InvalidInputError(f"liked_movies has {len(liked)} entries; give at most {MAX_LIKED}")
    ids = await _movie_ids(app, liked)
    if not any(model.has_movie(i) for i in ids):
        raise InvalidInputError(
            "none of the liked movies has ratings, so the recommender cannot place them; add a movie people have rated"
        )
    return ids


async def resolve_disliked(app: MovieApp, disliked: list[int | str]) -> list[int]:
    """Movie ids for the disliked ids or titles (none is fine)."""
    if len(disliked) > MAX_DISLIKED:
        raise InvalidInputError(f"disliked_movies has {len(disliked)} entries; give at most {MAX_DISLIKED}")
    return await _movie_ids(app, disliked)
