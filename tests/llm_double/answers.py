"""Deterministic answers of the LLM double, one per task, read from the request as a real model would.

The task comes from the system message's first line ("Task: enrich_movies v1"), the input from the
first user message that is a JSON object:

- enrich_movies: one label per movie; sentiment "negative" when the overview mentions murder, war or
  killing, else "positive"; target_audience "family" for Children/Animation genres, else "adults".
- rerank_recommendations: every candidate (or the `n` wanted) in REVERSE of the given order, so a
  test can tell the LLM's order from the collaborative filter's; match_score descending; the reason
  cites the first liked title.
- explain_prediction, summarize_user, compare_narrative: {"text": "FAKE-LLM: ..."}.
- parse_query: genre words become `genres`, "90s"/"1990s" a year range, "kids" target audiences,
  filler words are dropped and every other word goes to `unknown_terms`.
- any other conversation (no "Task:" line, e.g. a chat agent): plain text "FAKE-LLM: nothing to add."
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_ANSWERS", "FAKE_TEXT_PREFIX", "Answer", "answer_text", "message_text", "payload_of", "task_of"]

FAKE_TEXT_PREFIX = "FAKE-LLM:"
Answer = Callable[[dict[str, Any]], dict[str, Any]]


_NEGATIVE_WORDS = ("murder", "war", "kill")
_FAMILY_GENRES = ("children", "animation")


def _genre_names(genres: Any) -> list[str]:
    if isinstance(genres, str):
        return [g for g in re.split(r"[|,]", genres) if g.strip()]
    if isinstance(genres, list):
        return [str(g) for g in genres]
    return []


def _answer_enrich(payload: dict[str, Any]) -> dict[str, Any]:
    labels = []
    for movie in payload.get("movies", []):
        overview = str(movie.get("overview") or "").lower()
        negative = any(word in overview for word in _NEGATIVE_WORDS)
        genres = [g.strip().lower() for g in _genre_names(movie.get("genres"))]
        family = any(g in _FAMILY_GENRES for g in genres)
        labels.append(
            {
                "movie_id": movie["movie_id"],
                "sentiment": "negative" if negative else "positive",
                "target_audience": "family" if family else "adults",
                "reasoning": f"{FAKE_TEXT_PREFIX} {'a dark' if negative else 'an upbeat'} overview; "
                f"{'family' if family else 'grown-up'} genres.",
            }
        )
    return {"movies": labels}


def _candidate_id(candidate: Any) -> int | None:
    if isinstance(candidate, int):
        return candidate
    if isinstance(candidate, dict):
        for key in ("movie_id", "id"):
            if isinstance(candidate.get(key), int):
                return candidate[key]
    return None


def _first_liked_title(payload: dict[str, Any]) -> str | None:
    for key in ("liked", "liked_movies", "likes", "favourites", "favorites"):
        for movie in payload.get(key) or []:
            if isinstance(movie, dict) and movie.get("title"):
                return str(movie["title"])
            if isinstance(movie, str):
                return movie
    user = payload.get("user")
    return _first_liked_title(user) if isinstance(user, dict) else None


def _answer_rerank(payload: dict[str, Any]) -> dict[str, Any]:
    ids = [i for i in (_candidate_id(c) for c in payload.get("candidates", [])) if i is not None]
    ids.reverse()
    counts = [payload[k] for k in ("n", "k", "count", "n_picks", "top_n") if isinstance(payload.get(k), int)]
    wanted = counts[0] if counts else None
    if wanted is not None:
        ids = ids[: max(wanted, 0)]
    liked = _first_liked_title(payload) or "your favourite movies"
    picks = [
        {
            "movie_id": movie_id,
            "match_score": round(0.95 - 0.9 * rank / max(len(ids), 1), 4),
            "reason": f"{FAKE_TEXT_PREFIX} because you liked {liked}.",
        }
        for rank, movie_id in enumerate(ids)
    ]
    return {"picks": picks}


def _text_answer(task: str) -> Answer:
    def make(payload: dict[str, Any]) -> dict[str, Any]:
        return {"text": f"{FAKE_TEXT_PREFIX} {task} over {len(payload)} input fields."}

    return make


_GENRE_WORDS = {
    "action": "Action",
    "adventure": "Adventure",
    "animated": "Animation",
    "animation": "Animation",
    "comedy": "Comedy",
    "comedies": "Comedy",
    "crime": "Crime",
    "documentary": "Documentary",
    "drama": "Drama",
    "dramas": "Drama",
    "fantasy": "Fantasy",
    "horror": "Horror",
    "musical": "Musical",
    "mystery": "Mystery",
    "romance": "Romance",
    "romantic": "Romance",
    "scifi": "Sci-Fi",
    "sci-fi": "Sci-Fi",
    "thriller": "Thriller",
    "thrillers": "Thriller",
    "war": "War",
    "western": "Western",
    "westerns": "Western",
}
_FILLER_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "of", "in", "on", "from", "for", "with", "about", "me", "some", "any", "i"}
    | {"want", "show", "find", "good", "movie", "movies", "film", "films"}
)


def _answer_parse_query(payload: dict[str, Any]) -> dict[str, Any]:
    query = next((str(payload[k]) for k in ("query", "text", "request") if payload.get(k)), "")
    filters: dict[str, Any] = {}
    genres: list[str] = []
    unknown: list[str] = []
    for word in re.findall(r"[a-z0-9'-]+", query.lower()):
        decade = re.fullmatch(r"(?:(19|20))?(\d)0'?s", word)
        if word in _GENRE_WORDS:
            if _GENRE_WORDS[word] not in genres:
                genres.append(_GENRE_WORDS[word])
        elif decade:
            start = int(f"{decade.group(1) or '19'}{decade.group(2)}0")
            filters["min_year"], filters["max_year"] = start, start + 9
        elif word in ("kids", "children"):
            filters["target_audiences"] = ["kids", "family"]
        elif word not in _FILLER_WORDS:
            unknown.append(word)
    if genres:
        filters["genres"] = genres
    return {"filters": filters, "unknown_terms": unknown, "remaining_text": ""}


DEFAULT_ANSWERS: dict[str, Answer] = {
    "enrich_movies": _answer_enrich,
    "rerank_recommendations": _answer_rerank,
    "explain_prediction": _text_answer("explain_prediction"),
    "summarize_user": _text_answer("summarize_user"),
    "compare_narrative": _text_answer("compare_narrative"),
    "parse_query": _answer_parse_query,
}


def message_text(message: dict[str, Any]) -> str:
    value = message.get("content")
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, dict))
    return ""


def task_of(body: dict[str, Any]) -> str | None:
    """The task named on the first line of a request's system message ("Task: NAME VERSION"), if any."""
    for message in body.get("messages", []):
        if message.get("role") == "system":
            first = message_text(message).split("\n", 1)[0].strip()
            match = re.fullmatch(r"Task:\s*(\S+)(?:\s+\S+)?", first)
            return match.group(1) if match else None
    return None


def payload_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON payload of a request: its first user message that parses as a JSON object."""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            try:
                value = json.loads(message_text(message))
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def answer_text(body: dict[str, Any], overrides: dict[str, Answer]) -> str:
    """The message content answering a chat request body; `overrides` replace the default per task."""
    task = task_of(body)
    if task is None:
        return f"{FAKE_TEXT_PREFIX} nothing to add."
    make = overrides.get(task) or DEFAULT_ANSWERS.get(task)
    if make is None:
        return json.dumps({"text": f"{FAKE_TEXT_PREFIX} unknown task {task}."})
    return json.dumps(make(payload_of(body) or {}), ensure_ascii=False)
