"""Section "queries": how exactly natural-language requests become filters.

Protocol: every request in `data/queries.json` (written from what each request means, under the
filter vocabulary documented in `core.search.query_parser`) is parsed and its `MovieFilters` compared with
the expected one. Exact match: all fields equal. Per-field accuracy: for each field group (years =
min_year and max_year together, runtime, budget and revenue amounts likewise), the share of requests
where the group is right, counted over the requests where it is expected or produced (a field nobody
asked for and nobody set is not a success). A parse error counts as producing no filters.
Engines: the offline parser always; the LLM parser (the PARSE_QUERY task, asked directly) only when
an endpoint is configured in the environment.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio

from core.data.genres import CANONICAL_GENRES
from core.errors import InvalidInputError
from core.evaluation.base import EvalContext, SectionResult, Target
from core.llm.config import LLMSettings
from core.search.query_parser import OFFLINE_PARSER, MovieFilters, parse_query

log = logging.getLogger(__name__)

DATA_PATH = Path(__file__).parent / "data" / "queries.json"
TARGET_EXACT = 0.9
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "genres": ("genres",),
    "exclude_genres": ("exclude_genres",),
    "years": ("min_year", "max_year"),
    "runtime": ("min_runtime", "max_runtime"),
    "budget": ("min_budget", "max_budget"),
    "revenue": ("min_revenue", "max_revenue"),
    "budget_tiers": ("budget_tiers",),
    "revenue_tiers": ("revenue_tiers",),
    "sentiments": ("sentiments",),
    "audiences": ("target_audiences",),
    "min_rating": ("min_rating",),
}


@dataclass(frozen=True)
class QueryCase:
    query: str
    expected: MovieFilters


def load_cases(path: Path = DATA_PATH) -> list[QueryCase]:
    """The committed request set; every expected filter set is validated by `MovieFilters`."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [QueryCase(item["query"], MovieFilters(**item["expected"])) for item in raw["queries"]]


def _group_value(filters: MovieFilters, fields: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(filters, name) for name in fields)


def _is_set(value: tuple[object, ...]) -> bool:
    return any(v not in (None, []) for v in value)


def score(cases: Sequence[QueryCase], produced: Sequence[MovieFilters | None]) -> dict[str, object]:
    """Exact-match rate and per-field-group accuracy (module docstring) of `produced` against `cases`."""
    exact = 0
    right = dict.fromkeys(FIELD_GROUPS, 0)
    involved = dict.fromkeys(FIELD_GROUPS, 0)
    for case, got in zip(cases, produced, strict=True):
        got = got or MovieFilters()  # a failed parse produced nothing
        exact += got == case.expected
        for group, fields in FIELD_GROUPS.items():
            want, have = _group_value(case.expected, fields), _group_value(got, fields)
            if _is_set(want) or _is_set(have):
                involved[group] += 1
                right[group] += want == have
    row: dict[str, object] = {"queries": len(cases), "exact_match": round(exact / len(cases), 4) if cases else None}
    for group in FIELD_GROUPS:
        row[group] = round(right[group] / involved[group], 3) if involved[group] else None
    return row


def differences(case: QueryCase, got: MovieFilters | None) -> dict[str, tuple[object, object]]:
    """Field → (expected, produced) for the fields that differ."""
    want = case.expected.model_dump()
    have = (got or MovieFilters()).model_dump()
    return {name: (want[name], have[name]) for name in want if want[name] != have[name]}


def _offline(cases: Sequence[QueryCase]) -> list[MovieFilters | None]:
    out: list[MovieFilters | None] = []
    for case in cases:
        try:
            out.append(parse_query(case.query).filters)
        except InvalidInputError:
            out.append(None)
    return out


async def _llm_answers(cases: Sequence[QueryCase], settings: LLMSettings) -> list[MovieFilters | None]:
    """The PARSE_QUERY task for every request, at the client's concurrency; failures give None."""
    from core.llm.client import LLMClient, LLMError
    from core.llm.tasks import PARSE_QUERY

    client = LLMClient(settings)  # no cache: every request is asked afresh
    out: list[MovieFilters | None] = [None] * len(cases)

    async def ask(i: int) -> None:
        try:
            answer = await client.complete(PARSE_QUERY, {"query": cases[i].query, "genres": list(CANONICAL_GENRES)})
            out[i] = answer.value.filters
        except LLMError as exc:
            log.warning("LLM could not parse %r: %s", cases[i].query, exc)

    try:
        async with anyio.create_task_group() as group:
            for i in range(len(cases)):
                group.start_soon(ask, i)
    finally:
        await client.close()
    return out


def _run_async(fn: Callable[[], object]) -> object:
    """Run an async entry point from sync code, in a thread of its own so a caller's event loop is no obstacle."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, fn).result()


def run(context: EvalContext) -> SectionResult:
    """Score the offline parser (and the LLM parser when configured) on the committed request set."""
    started = time.perf_counter()
    cases = load_cases()
    offline = _offline(cases)
    rows = [{"engine": OFFLINE_PARSER, **score(cases, offline)}]
    notes = []
    misses = [(case, got) for case, got in zip(cases, offline, strict=True) if got != case.expected]
    for case, got in misses:
        notes.append(f"offline miss: {case.query!r}: {differences(case, got)}")
    settings = LLMSettings.from_env()
    if settings.configured and not context.quick:
        llm = _run_async(lambda: _llm_answers(cases, settings))
        rows.append({"engine": f"llm:{settings.model}", **score(cases, llm)})  # type: ignore[arg-type]
    else:
        rows.append({"engine": "llm", "queries": len(cases), "exact_match": None, "status": "not configured"})
        notes.append("LLM parser: not configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY to include it)")
    exact = float(rows[0]["exact_match"] or 0.0)  # type: ignore[arg-type]
    return SectionResult(
        name="queries",
        protocol=(
            f"{len(cases)} committed requests (core/evaluation/data/queries.json), each with the exact MovieFilters "
            "it must produce; exact match = every field equal; per-field accuracy over the requests where the "
            "field group is expected or produced; a parse error produces no filters."
        ),
        table=rows,
        targets=[Target("offline parser exact match", exact, f"≥ {TARGET_EXACT}", exact >= TARGET_EXACT)],
        notes=notes,
        seconds=round(time.perf_counter() - started, 2),
    )
