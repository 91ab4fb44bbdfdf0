"""`movie-mcp eval`: measured quality on the built database, with fixed seeds and documented protocols.

Each section is a module exposing `run(context: EvalContext) -> SectionResult`; `SECTIONS` maps the
section name to its module so a section loads (and imports its heavy dependencies) only when run.
"""

from __future__ import annotations

SECTIONS: dict[str, str] = {
    "topn": "core.evaluation.topn",
    "rating": "core.evaluation.rating",
    "coldstart": "core.evaluation.coldstart",
    "profiles": "core.evaluation.profiles",
    "queries": "core.evaluation.queries",
    "semantic": "core.evaluation.semantic_search",
}
