"""A user's taste profile: computed statistics plus a readable summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from core.data import store
from core.data.store.preferences import PROFILE_ATTRIBUTES, movie_facts, rated_movie_facts
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


@dataclass
class _Groups:
    """A user's ratings counted per star value and grouped by genre, decade and enrichment attribute."""

    distribution: dict[str, int]
    by_genre: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_decade: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_attribute: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {k: defaultdict(list) for k in PROFILE_ATTRIBUTES}
    )


def _group(rows: Sequence[aiosqlite.Row | dict[str, Any]], genres_by_movie: dict[int, list[str]]) -> _Groups:
    groups = _Groups(distribution=star_histogram(Counter(float(r["rating"]) for r in rows)))
    for r in rows:
        rating = float(r["rating"])
        for genre in genres_by_movie[r["movie_id"]]:
            groups.by_genre[genre].append(rating)
        if r["year"] is not None:
            groups.by_decade[f"{r['year'] // 10 * 10}s"].append(rating)
        for attribute, values in groups.by_attribute.items():
            if r[attribute] is not None:
                values[r[attribute]].append(rating)
    return groups


def _affinities(groups: dict[str, list[float]], total: int, user_mean: float) -> list[Affinity]:
    out = [
        Affinity(
            name=name,
            count=len(values),
            share=round(len(values) / total, 3),
            mean=round(sum(values) / len(values), 3),
            relative=round(sum(values) / len(values) - user_mean, 3),
        )
        for name, values in groups.items()
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


async def _rated_facts(app: MovieApp, user: UserRef) -> list[aiosqlite.Row | dict[str, Any]]:
    """Each rating with its movie's year and enrichment attributes (a profile's: the catalogue's movies only)."""
    if user.profile is None:
        return list(await rated_movie_facts(app.db, int(user.user_id or 0)))
    facts = await movie_facts(app.db, list(user.rated))
    return [{**dict(r), "rating": user.rated[r["movie_id"]]} for r in facts]


async def summarize_user_preferences(app: MovieApp, user_id: int | str) -> UserPreferences:
    """Rating profile, genre/decade/enrichment affinities, favourites and a readable summary."""
    await app.ready()
    user = await resolve_user(app, user_id)
    known = await profile_summaries(app, user)
    count, mean = await rating_totals(app, user, known)
    if count == 0:
        raise InvalidInputError(f"profile {user.label!r} has no star ratings of movies in the catalogue to summarise")
    rows = await _rated_facts(app, user)
    groups = _group(rows, await store.genres_of(app.db, [r["movie_id"] for r in rows]))
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
