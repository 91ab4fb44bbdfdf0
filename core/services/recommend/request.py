"""Stage 2: the request: the typed filter arguments and the query in plain words, combined into the
filters every pick must satisfy (with notes on what was not understood)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.runtime import MovieApp
from core.search.combine import combine_filters
from core.search.filters import MovieFilters
from core.search.query_parser import ParsedQuery
from core.search.understand import understand_query


@dataclass(frozen=True)
class Request:
    """The optional query, what was understood of it, and the effective filters (arguments ∧ query)."""

    query: str | None = None
    parsed: ParsedQuery | None = None
    notes: list[str] = field(default_factory=list)
    filters: MovieFilters = field(default_factory=MovieFilters)

    @property
    def has_filters(self) -> bool:
        return not self.filters.is_empty()

    @property
    def meaning(self) -> str:
        """The text whose meaning a semantic re-ranking compares against: the query's descriptive words,
        or the whole query when everything in it became a filter."""
        return (self.parsed.remaining_text if self.parsed else "") or self.query or ""


async def parse_request(app: MovieApp, query: str | None, arguments: MovieFilters | None = None) -> Request:
    """Parse `query` (None: no request) with the LLM or the offline parser, and combine its filters with the
    typed `arguments`; `InvalidInputError` when the two contradict each other."""
    typed = arguments if arguments is not None else MovieFilters()
    if query is None:
        return Request(filters=typed)
    parsed, notes = await understand_query(app, query)
    if parsed.unknown_terms:
        notes = [*notes, f"not understood and ignored: {', '.join(parsed.unknown_terms)}"]
    return Request(query, parsed, notes, combine_filters(typed, parsed.filters, query))
