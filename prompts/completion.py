"""Argument completion for the prompts and resource templates: movie titles, genres and user ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio.to_thread
from mcp_types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from core.data.genres import CANONICAL_GENRES
from core.data.store import completions
from core.data.store.profiles import profile_names
from core.runtime import MovieApp
from core.services.catalogue_stats import title_suggestions

MAX_COMPLETIONS = 20  # the protocol allows 100; a menu of 20 is already more than anyone scans
TITLE_ARGUMENTS = frozenset({"liked_movies", "movies"})

Reference = PromptReference | ResourceTemplateReference
CompletionHandler = Callable[[Reference, CompletionArgument, CompletionContext | None], Awaitable[Completion | None]]


def completion_handler(app: MovieApp) -> CompletionHandler:
    """The server's completion handler over `app`.

    The SDK calls a completion handler with the reference and argument only (no `Context`), so unlike
    tools, resource templates and prompts it cannot reach the app through the lifespan; it closes over it.
    """

    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        """Titles for title arguments (the last of a ';'-separated list), genres, and user ids."""
        if argument.name in TITLE_ARGUMENTS:
            return await _complete_titles(app, argument.value)
        if argument.name == "genre":
            return _complete_genres(argument.value)
        if argument.name == "user_id":
            return await _complete_user_ids(app, argument.value)
        return None

    return complete


async def _complete_titles(app: MovieApp, value: str) -> Completion:
    """Complete the title being typed; earlier titles in a ';'-separated list are kept as they are."""
    head, sep, partial = value.rpartition(";")
    prefix = f"{head}{sep} " if sep else ""
    titles, total = await title_suggestions(app, partial.strip(), MAX_COMPLETIONS)
    return Completion(values=[prefix + t for t in titles], total=total, has_more=total > len(titles))


def _complete_genres(value: str) -> Completion:
    typed = value.strip().lower()
    genres = [g for g in CANONICAL_GENRES if g.lower().startswith(typed)]
    return Completion(values=genres, total=len(genres), has_more=False)


async def _complete_user_ids(app: MovieApp, value: str) -> Completion:
    """User ids starting with the digits typed so far, lowest first; profile names for letters."""
    await app.ready()
    typed = value.strip()
    if typed and not typed.isdigit():
        names = await anyio.to_thread.run_sync(profile_names, app.settings.profiles_path)
        found = [str(p["name"]) for p in names if str(p["name"]).casefold().startswith(typed.casefold())]
        return Completion(values=found[:MAX_COMPLETIONS], total=len(found), has_more=len(found) > MAX_COMPLETIONS)
    ids = await completions.user_ids_starting_with(app.db, typed, MAX_COMPLETIONS + 1)
    return Completion(values=[str(i) for i in ids[:MAX_COMPLETIONS]], has_more=len(ids) > MAX_COMPLETIONS)
