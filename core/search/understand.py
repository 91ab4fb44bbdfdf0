"""Natural-language requests → typed filters, by the language engine: the LLM or the offline parser.

Both answers are validated against the same `MovieFilters` model; words that are not filters are
reported back (`unknown_terms`), never silently dropped.
"""

from __future__ import annotations

from core.data.genres import CANONICAL_GENRES
from core.llm.tasks import PARSE_QUERY, query_answer
from core.runtime import MovieApp
from core.search.query_parser import ParsedQuery, parse_query


async def understand_query(app: MovieApp, text: str) -> tuple[ParsedQuery, list[str]]:
    """The parsed request and notes about how it was parsed (e.g. an LLM failure and the fallback)."""
    offline = parse_query(text)  # also validates the text (empty, too long) the same way for both engines
    answer = await app.engine.complete(
        PARSE_QUERY,
        {"query": text, "genres": list(CANONICAL_GENRES)},
        offline=query_answer(offline),
    )
    notes: list[str] = []
    if answer.failure is not None:
        notes.append(f"the LLM could not parse the query ({answer.failure}); used the offline parser")
    value = answer.value
    parsed = ParsedQuery(
        filters=value.filters,
        unknown_terms=value.unknown_terms,
        remaining_text=value.remaining_text,
        engine=answer.produced_by,
    )
    return parsed, notes
