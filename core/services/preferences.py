"""A user's taste profile: computed statistics plus a readable summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from core.data.store.preferences import PROFILE_ATTRIBUTES, profile_rating_groups, user_rating_groups
from core.errors import InvalidInputError
from core.llm.narration import written_text
from core.llm.tasks import SUMMARIZE_USER
from core.runtime import MovieApp
from core.schemas import Affinity, UserPreferences, UserRating
from core.services.catalogue import star_histogram
from core.services.ratings import profile_summaries, rating_totals, user_ratings
from core.services.users import UserRef, resolve_user

MIN_GROUP_FOR_SUMMARY = 3  # a liking needs at least this many ratings to be called one
PROFILE_SIZE = 5  # favourites and least favourites shown


# A group's (ratings, sum of their stars), by the group's name.
Totals = dict[str, tuple[int, float]]


@dataclass
class _Groups:
    """A user's ratings counted per star value and totalled per genre, decade and enrichment attribute."""

    distribution: dict[str, int]
    by_genre: Totals = field(default_factory=dict)
    by_decade: Totals = field(default_factory=dict)
    by_attribute: dict[str, Totals] = field(default_factory=lambda: {k: {} for k in PROFILE_ATTRIBUTES})


def _groups(rows: Sequence[aiosqlite.Row]) -> _Groups:
    """The store's (kind, name, count, sum) rows as groups; years are summed into their decades here."""
    stars: Counter[float] = Counter()
    groups = _Groups(distribution={})
    for kind, name, count, total in rows:
        if kind == "rating":
            stars[float(name)] += count
        elif kind == "genre":
            groups.by_genre[name] = (count, total)
        elif kind == "year":
            decade = f"{name // 10 * 10}s"
            before = groups.by_decade.get(decade, (0, 0.0))
            groups.by_decade[decade] = (before[0] + count, before[1] + total)
        else:
            groups.by_attribute[kind][name] = (count, total)
    groups.distribution = star_histogram(stars)
    return groups


def _affinities(groups: Totals, total: int, user_mean: float) -> list[Affinity]:
    out = [
        Affinity(
            name=name,
            count=count,
            share=round(count / total, 3),
            mean=round(stars / count, 3),
            relative=round(stars / count - user_mean, 3),
        )
        for name, (count, stars) in groups.items()
    ]
    return sorted(out, key=lambda a: (-a.count, a.name))


def _summary_text(
    user_id: int | str,
    count: int,
    mean: float,
    genres: list[Affinity],
    decades: list[Affinity],
    favourites: list[str],
    global_mean: float,
) -> str:
    strict = "generous" if mean > global_mean + 0.25 else "strict" if mean < global_mean - 0.25 else "typical"
    text = [
        f"{'User' if isinstance(user_id, int) else 'Profile'} {user_id} has rated {count} movies"
        f" with a mean of {mean:.2f}★ ({strict} compared with the"
        f" {global_mean:.2f}★ average)."
    ]
    solid = [a for a in genres if a.count >= MIN_GROUP_FOR_SUMMARY]
    if solid:
        most = ", ".join(f"{a.name} ({a.share:.0%})" for a in solid[:3])
        text.append(f"They watch mostly {most}.")
        liked = sorted((a for a in solid if a.relative > 0.1), key=lambda a: -a.relative)[:3]
        disliked = sorted((a for a in solid if a.relative < -0.1), key=lambda a: a.relative)[:3]
        if liked:
            text.append(
                "They rate " + ", ".join(f"{a.name} {a.relative:+.2f}" for a in liked) + " above their own average"
            )
            text[-1] += (
                (" and " + ", ".join(f"{a.name} {a.relative:+.2f}" for a in disliked) + " below it.")
                if disliked
                else "."
            )
        elif disliked:
            text.append(
                "They rate " + ", ".join(f"{a.name} {a.relative:+.2f}" for a in disliked) + " below their own average."
            )
    solid_decades = [a for a in decades if a.count >= MIN_GROUP_FOR_SUMMARY]
    if solid_decades:
        text.append(f"Most of their movies are from the {solid_decades[0].name}.")
    if favourites:
        text.append(f"Favourites include {', '.join(favourites[:3])}.")
    return " ".join(text)


def _summary_payload(
    global_mean: float,
    user_id: int | str,
    count: int,
    mean: float,
    genres: list[Affinity],
    decades: list[Affinity],
    favourites: list[UserRating],
    least: list[UserRating],
) -> dict[str, Any]:
    """The computed facts the LLM may summarise (and nothing else)."""
    return {
        "user_id": user_id,
        "ratings": count,
        "mean_rating": round(mean, 2),
        "average_user_mean": round(global_mean, 2),
        "genres": [a.model_dump() for a in genres[:8]],
        "decades": [a.model_dump() for a in decades[:5]],
        "favourites": [f"{f.title} ({f.rating:g} stars)" for f in favourites],
        "least_favourites": [f"{f.title} ({f.rating:g} stars)" for f in least],
    }


async def _rating_groups(app: MovieApp, user: UserRef) -> _Groups:
    """The user's ratings grouped (a profile's: of the catalogue's movies only)."""
    if user.profile is None:
        return _groups(await user_rating_groups(app.db, int(user.user_id or 0)))
    return _groups(await profile_rating_groups(app.db, user.rated))


async def summarize_user_preferences(app: MovieApp, user_id: int | str) -> UserPreferences:
    """Rating profile, genre/decade/enrichment affinities, favourites and a readable summary."""
    await app.ready()
    user = await resolve_user(app, user_id)
    known = await profile_summaries(app, user)
    count, mean = await rating_totals(app, user, known)
    if count == 0:
        raise InvalidInputError(f"profile {user.label!r} has no star ratings of movies in the catalogue to summarise")
    groups = await _rating_groups(app, user)
    genres = _affinities(groups.by_genre, count, mean)
    decades = _affinities(groups.by_decade, count, mean)
    enrichment = {k: _affinities(v, count, mean) for k, v in groups.by_attribute.items() if v}
    favourites = await user_ratings(app, user, order="favourites", limit=PROFILE_SIZE, known=known)
    least = await user_ratings(app, user, order="least_favourites", limit=PROFILE_SIZE, known=known)
    summary, engine = await written_text(
        app.engine,
        SUMMARIZE_USER,
        _summary_payload(app.global_mean, user.label, count, mean, genres, decades, favourites, least),
        _summary_text(user.label, count, mean, genres, decades, [f.title for f in favourites], app.global_mean),
    )
    return UserPreferences(
        user_id=user.label,
        rating_count=count,
        rating_mean=round(mean, 3),
        distribution=groups.distribution,
        genres=genres,
        decades=decades,
        enrichment=enrichment,
        favourites=favourites,
        least_favourites=least,
        summary=summary,
        engine=engine,
    )
