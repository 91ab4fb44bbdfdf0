"""Stage 2: the request in plain words, parsed into filters (with notes on what was not understood)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.runtime import MovieApp
from core.search.query_parser import ParsedQuery
from core.search.understand import understand_query


@dataclass(frozen=True)
class Request:
    """The optional query and what was understood of it."""

    query: str | None = None
    parsed: ParsedQuery | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return self.parsed is not None and not self.parsed.filters.is_empty()

    @property
    def meaning(self) -> str:
        """The text whose meaning a semantic re-ranking compares against: the query's descriptive words,
        or the whole query when everything in it became a filter."""
        return (self.parsed.remaining_text if self.parsed else "") or self.query or ""


async def parse_request(app: MovieApp, query: str | None) -> Request:
    """Parse `query` (None: no request) with the LLM or the offline parser."""
    if query is None:
        return Request()
    parsed, notes = await understand_query(app, query)
    if parsed.unknown_terms:
        notes = [*notes, f"not understood and ignored: {', '.join(parsed.unknown_terms)}"]
    return Request(query, parsed, notes)
