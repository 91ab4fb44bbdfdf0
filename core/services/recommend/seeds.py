"""Stage 1: who the recommendations are for: a known user (their training ratings), or a list of liked
movies (resolved from ids or titles, each counted as 5 stars)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.data import store
from core.errors import InvalidInputError, NotFoundError
from core.models.protocols import TopNModel
from core.runtime import MovieApp

MAX_LIKED = 50
LIKED_SEED_STARS = 5.0  # a liked title carries no stars: it counts as a top rating


@dataclass(frozen=True)
class Seeds:
    """A known user or a cold-start one, with the ratings explanations cite."""

    user_id: int | None
    rated: dict[int, float]  # {movie_id: stars}: the user's training ratings, or the liked movies
    liked_ids: list[int] = field(default_factory=list)  # the resolved liked movies, in the order given


def require_one_seed(user_id: int | None, liked_movies: list[int | str] | None) -> None:
    """Exactly one of a known user or liked movies must be given."""
    if (user_id is None) == (liked_movies is None):
        raise InvalidInputError("give exactly one of user_id (a known user) or liked_movies (ids or titles)")


async def resolve_seeds(
    app: MovieApp, model: TopNModel, user_id: int | None, liked_movies: list[int | str] | None
) -> Seeds:
    """The request's seeds, checked against the model that will rank for them."""
    if user_id is not None:
        return Seeds(user_id, await known_user_ratings(app, model, user_id))
    liked_ids = await resolve_liked(app, model, liked_movies or [])
    return Seeds(None, {i: LIKED_SEED_STARS for i in liked_ids}, liked_ids)


async def known_user_ratings(app: MovieApp, model: TopNModel, user_id: int) -> dict[int, float]:
    """The ratings the model was trained on (the database's, as of the build): what its evidence cites."""
    if not model.has_user(user_id):
        await store.require_user(app.db, user_id)  # the clearer error when the user does not exist at all
        raise NotFoundError(f"user {user_id} has no ratings in the trained model; rebuild with `movie-mcp build`")
    return model.user_ratings(user_id)


async def resolve_liked(app: MovieApp, model: TopNModel, liked: list[int | str]) -> list[int]:
    """Movie ids for the liked ids or titles, without duplicates; at least one must be known to the model."""
    if not liked:
        raise InvalidInputError("liked_movies is empty; give 1 to 50 movie ids or titles you liked")
    if len(liked) > MAX_LIKED:
        raise InvalidInputError(f"liked_movies has {len(liked)} entries; give at most {MAX_LIKED}")
    ids: list[int] = []
    missing: list[str] = []
    for ref in liked:
        try:
            ids.append(await store.resolve_movie_ref(app.db, ref))
        except NotFoundError:
            missing.append(str(ref))
    if missing:
        raise NotFoundError(
            f"no movie matches {', '.join(repr(m) for m in missing)}; use search_movies to find the exact title or id"
        )
    if not any(model.has_movie(i) for i in ids):
        raise InvalidInputError(
            "none of the liked movies has ratings, so the recommender cannot place them; add a movie people have rated"
        )
    return list(dict.fromkeys(ids))
