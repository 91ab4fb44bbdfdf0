"""What every prompt shares: the spec it registers with, and turning typed titles into known movies."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mcp.server.mcpserver.prompts.base import UserMessage

from core.errors import InvalidInputError, excerpt
from core.runtime import MovieApp
from core.schemas import MovieSummary
from core.services.catalogue_stats import resolve_titles
from tools._common import MAX_ID, MAX_TITLE_CHARS  # the bounds the tools publish

_SEPARATOR = re.compile(r"\s*[;\n]\s*")
MAX_LIST_CHARS = 10_000  # a whole ';'-separated list


@dataclass(frozen=True)
class PromptSpec:
    """One prompt as registered: its function (whose docstring is the description) plus its metadata."""

    fn: Callable[..., Awaitable[list[UserMessage]]]
    name: str
    title: str


def split_titles(text: str) -> list[str]:
    """Titles or ids separated by ';' or new lines; by ',' only when neither appears."""
    parts = _SEPARATOR.split(text) if _SEPARATOR.search(text) else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def describe_movie(movie: MovieSummary) -> str:
    year = f"{movie.year}, " if movie.year else ""
    return f"{movie.title} ({year}movie_id {movie.movie_id})"


def unmatched_note(missing: list[str]) -> list[str]:
    """A line naming the titles that matched nothing, or no line."""
    return [f"(No movie in the catalogue matches {', '.join(excerpt(r) for r in missing)}.)"] if missing else []


def _check_refs(refs: list[str]) -> None:
    """Refuse a title longer than any title, or an id beyond the id range, naming it briefly."""
    for ref in refs:
        if len(ref) > MAX_TITLE_CHARS:
            raise InvalidInputError(f"the title {excerpt(ref)} is too long (at most {MAX_TITLE_CHARS} characters)")
        if ref.isascii() and ref.isdigit() and int(ref) > MAX_ID:
            raise InvalidInputError(f"the movie id {excerpt(ref)} is out of range (ids are 1 to {MAX_ID})")


async def resolve_movies(
    app: MovieApp, text: str, *, at_least: int, at_most: int
) -> tuple[list[MovieSummary], list[str]]:
    """The movies the titles name, and the titles that matched nothing; `InvalidInputError` when too few match."""
    if len(text) > MAX_LIST_CHARS:
        raise InvalidInputError(f"the list of movies is too long ({len(text)} characters; at most {MAX_LIST_CHARS})")
    refs = split_titles(text)
    _check_refs(refs)
    if not refs:
        raise InvalidInputError("give movie titles or ids separated by ';', e.g. 'Toy Story; Finding Nemo'")
    if len(refs) > at_most:
        raise InvalidInputError(f"give at most {at_most} movies; got {len(refs)}")
    pairs = await resolve_titles(app, refs)
    movies = list({m.movie_id: m for _, m in pairs if m is not None}.values())
    missing = [ref for ref, m in pairs if m is None]
    if len(movies) < at_least:
        unmatched = f"; no movie matches {', '.join(excerpt(r) for r in missing)}" if missing else ""
        raise InvalidInputError(
            f"need at least {at_least} known movie(s){unmatched} (search_movies finds exact titles)"
        )
    return movies, missing
