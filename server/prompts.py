"""MCP prompts for the common workflows, and argument completion for movie titles, genres and user ids.

A prompt is a message a user picks from the client's menu ("/recommend_from_liked" in Claude Code); it
tells the model which tools to call with which arguments. Titles are resolved to MovieLens ids here, so
the model starts from the right movies and the user sees at once when a title matches nothing.
"""

from __future__ import annotations

import re
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    Completion,
    CompletionArgument,
    CompletionContext,
    EmbeddedResource,
    PromptReference,
    ResourceTemplateReference,
    TextResourceContents,
)
from pydantic import Field

from core.data import store
from core.data.genres import CANONICAL_GENRES
from core.errors import MovieMcpError
from core.runtime import MovieApp
from core.schemas import MovieSummary
from core.services import preferences as profile
from core.services.catalogue_stats import resolve_titles, title_suggestions

MAX_COMPLETIONS = 20  # the protocol allows 100; a menu of 20 is already more than anyone scans
TITLE_ARGUMENTS = frozenset({"liked_movies", "movies"})
_SEPARATOR = re.compile(r"\s*[;\n]\s*")


def _bad_argument(message: str) -> MCPError:
    """An error the client shows as it is (the SDK would turn any other exception into "Internal server error")."""
    return MCPError(code=INVALID_PARAMS, message=message)


def split_titles(text: str) -> list[str]:
    """Titles or ids separated by ';' or new lines; by ',' only when neither appears."""
    parts = _SEPARATOR.split(text) if _SEPARATOR.search(text) else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def _describe(movie: MovieSummary) -> str:
    year = f"{movie.year}, " if movie.year else ""
    return f"{movie.title} ({year}movie_id {movie.movie_id})"


async def _resolve(app: MovieApp, text: str, *, at_least: int, at_most: int) -> tuple[list[MovieSummary], list[str]]:
    """The movies the titles name, and the titles that matched nothing; an invalid-params error when too few match."""
    refs = split_titles(text)
    if not refs:
        raise _bad_argument("give movie titles or ids separated by ';', e.g. 'Toy Story; Finding Nemo'")
    if len(refs) > at_most:
        raise _bad_argument(f"give at most {at_most} movies; got {len(refs)}")
    pairs = await resolve_titles(app, refs)
    movies = list({m.movie_id: m for _, m in pairs if m is not None}.values())
    missing = [ref for ref, m in pairs if m is None]
    if len(movies) < at_least:
        unmatched = f"; no movie matches {', '.join(repr(r) for r in missing)}" if missing else ""
        raise _bad_argument(f"need at least {at_least} known movie(s){unmatched} (search_movies finds exact titles)")
    return movies, missing


def _user_id(value: str) -> int:
    if not value.strip().isdigit():
        raise _bad_argument(f"user_id must be a whole number (a MovieLens user id); got {value!r}")
    return int(value)


def register_prompts(server: MCPServer[MovieApp], app: MovieApp) -> None:
    """Add the three workflow prompts and the completion handler to `server`."""

    @server.prompt(name="recommend_from_liked", title="Recommend from movies I liked")
    async def recommend_from_liked(
        liked_movies: Annotated[
            str, Field(description="movies you liked: titles or ids separated by ';', e.g. 'Toy Story; Finding Nemo'")
        ],
        genre: Annotated[str | None, Field(description="optional: only recommend this genre, e.g. Comedy")] = None,
    ) -> list[UserMessage]:
        """Personal recommendations for someone new, from a few movies they liked (collaborative filtering)."""
        movies, missing = await _resolve(app, liked_movies, at_least=1, at_most=50)
        ids = [m.movie_id for m in movies]
        query = ""
        if genre:
            canonical = {g.lower(): g for g in CANONICAL_GENRES}.get(genre.strip().lower())
            if canonical is None:
                raise _bad_argument(f"unknown genre {genre!r}; genres are: {', '.join(CANONICAL_GENRES)}")
            genre = canonical
            query = f', query="{genre} movies"'
        lines = [
            "I liked these movies: " + "; ".join(_describe(m) for m in movies) + ".",
            *([f"(No movie in the catalogue matches {', '.join(repr(r) for r in missing)}.)"] if missing else []),
            f"Recommend 10 movies I have not seen{' in the ' + genre + ' genre' if genre else ''}: call"
            f" get_movie_recommendations with liked_movies={ids}{query} and n=10.",
            "For each pick give the title and year, and one sentence on why it fits, from the pick's `because`"
            " evidence (which of my movies it comes from). Do not recommend movies I listed.",
        ]
        return [UserMessage("\n".join(lines))]

    @server.prompt(name="explain_taste", title="Explain a user's taste")
    async def explain_taste(
        user_id: Annotated[str, Field(description="a MovieLens user id, e.g. 15")],
    ) -> list[UserMessage]:
        """A readable explanation of one user's movie taste, from their profile (attached) and ratings."""
        uid = _user_id(user_id)
        try:
            summary = await profile.summarize_user_preferences(app, uid)
        except MovieMcpError as exc:
            raise _bad_argument(str(exc)) from exc
        uri = f"user://{uid}/profile"
        text = (
            f"Explain the movie taste of MovieLens user {uid} in a few short paragraphs. Their profile ({uri})"
            " is attached. Say which genres and decades they favour and avoid relative to their own average"
            " (affinities are in stars above or below their mean), whether they rate generously or harshly,"
            " and name a few favourites. If it helps, look at their ratings with get_user_ratings"
            f"(user_id={uid}, sort='highest'). End with three movies they have not seen, from"
            f" get_movie_recommendations(user_id={uid}, n=3), each with its reason."
        )
        attached = EmbeddedResource(
            resource=TextResourceContents(uri=uri, mime_type="application/json", text=summary.model_dump_json())
        )
        return [UserMessage(text), UserMessage(attached)]

    @server.prompt(name="compare", title="Compare movies")
    async def compare(
        movies: Annotated[
            str, Field(description="2 to 10 movie titles or ids separated by ';', e.g. 'Heat; The Godfather'")
        ],
    ) -> list[UserMessage]:
        """A side-by-side comparison of 2 to 10 movies: money, ratings and enrichment, and who leads where."""
        found, missing = await _resolve(app, movies, at_least=2, at_most=10)
        ids = [m.movie_id for m in found]
        lines = [
            "Compare these movies: " + "; ".join(_describe(m) for m in found) + ".",
            *([f"(No movie in the catalogue matches {', '.join(repr(r) for r in missing)}.)"] if missing else []),
            f"Call compare_movies with movie_ids={ids}. Then summarise in a short table and a paragraph: budget and"
            " revenue (US dollars), ROI, runtime, audience rating (mean stars and how many ratings), effectiveness"
            " (0-10) and sentiment/audience. Name the leader on each dimension; report unknown values as unknown,"
            " never as zero.",
        ]
        return [UserMessage("\n".join(lines))]

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        """Titles for title arguments (the last of a ';'-separated list), genres, and user ids."""
        if argument.name in TITLE_ARGUMENTS:
            return await _complete_titles(app, argument.value)
        if argument.name == "genre":
            typed = argument.value.strip().lower()
            genres = [g for g in CANONICAL_GENRES if g.lower().startswith(typed)]
            return Completion(values=genres, total=len(genres), has_more=False)
        if argument.name == "user_id":
            return await _complete_user_ids(app, argument.value)
        return None


async def _complete_titles(app: MovieApp, value: str) -> Completion:
    """Complete the title being typed; earlier titles in a ';'-separated list are kept as they are."""
    head, sep, partial = value.rpartition(";")
    prefix = f"{head}{sep} " if sep else ""
    titles, total = await title_suggestions(app, partial.strip(), MAX_COMPLETIONS)
    return Completion(values=[prefix + t for t in titles], total=total, has_more=total > len(titles))


async def _complete_user_ids(app: MovieApp, value: str) -> Completion:
    """User ids starting with the digits typed so far, lowest first."""
    await app.ready()
    typed = value.strip()
    if typed and not typed.isdigit():
        return Completion(values=[], total=0, has_more=False)
    rows = await store.fetch_all(
        app.db,
        "SELECT user_id FROM users WHERE CAST(user_id AS TEXT) LIKE ? ORDER BY user_id LIMIT ?",
        (f"{typed}%", MAX_COMPLETIONS + 1),
    )
    ids = [str(r[0]) for r in rows]
    return Completion(values=ids[:MAX_COMPLETIONS], has_more=len(ids) > MAX_COMPLETIONS)
