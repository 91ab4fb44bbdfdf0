"""Section "queries": how exactly natural-language requests become filters.

Protocol: every request of each split (written from what the request means, under the filter vocabulary
documented in `core.search.query_parser`) is parsed and its `MovieFilters` compared with the expected one.
Splits, reported separately: `committed` (data/queries.json, the set the rules were first written
against), `dev` (data/queries_dev.json, chat-style, tuned on) and `test` (data/queries_test.json,
chat-style, written before the parser was reworked and never tuned on).

Exact match: all fields equal. Per-field accuracy: for each field group (years = min_year and max_year
together, runtime, budget and revenue amounts likewise), the share of requests where the group is right,
counted over the requests where it is expected or produced (a field nobody asked for and nobody set is
not a success). A parse error counts as producing no filters.

Inverted filters: the number of (request, field group) pairs where the parser produced the opposite of
what was asked, which is worse than leaving a filter out:
- genres: a genre expected in `genres` produced in `exclude_genres`, or the reverse (counted once per
  request);
- a label list (budget_tiers, revenue_tiers, sentiments, target_audiences): expected and produced are both
  set, share no value, and together cover the whole vocabulary — the produced list is the complement of
  the expected one ("not for kids" → kids/family instead of teens/adults);
- a numeric pair (years, runtime, budget, revenue): only the lower bound expected and only the upper
  bound produced, or the reverse ("90 minutes or less" → min_runtime).

Engines: the offline parser always; the LLM parser (the PARSE_QUERY task, asked directly) only when
an endpoint is configured in the environment.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from core.data.genres import CANONICAL_GENRES
from core.errors import InvalidInputError
from core.evaluation.base import EvalContext, SectionResult, Target, run_async
from core.llm.config import LLMSettings
from core.search.filters import LIST_VOCABULARY
from core.search.query_parser import OFFLINE_PARSER, MovieFilters, parse_query

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
DATA_PATH = DATA_DIR / "queries.json"
SPLITS: dict[str, Path] = {
    "committed": DATA_PATH,
    "dev": DATA_DIR / "queries_dev.json",
    "test": DATA_DIR / "queries_test.json",
}
TARGET_COMMITTED_EXACT = 1.0
TARGET_TEST_EXACT = 0.95
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
    """A request set (the committed one by default); every expected filter set is validated by `MovieFilters`."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [QueryCase(item["query"], MovieFilters(**item["expected"])) for item in raw["queries"]]


def _group_value(filters: MovieFilters, fields: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(filters, name) for name in fields)


def _is_set(value: tuple[object, ...]) -> bool:
    return any(v not in (None, []) for v in value)


_LIST_GROUPS = {"budget_tiers": "budget_tiers", "revenue_tiers": "revenue_tiers", "sentiments": "sentiments"}
_LIST_GROUPS["audiences"] = "target_audiences"
_BOUND_GROUPS = ("years", "runtime", "budget", "revenue")


def inversions(expected: MovieFilters, got: MovieFilters | None) -> list[str]:
    """The field groups where `got` is the opposite of `expected` (definition in the module docstring)."""
    got = got or MovieFilters()
    inverted: list[str] = []
    if set(expected.genres) & set(got.exclude_genres) or set(expected.exclude_genres) & set(got.genres):
        inverted.append("genres")
    for group, name in _LIST_GROUPS.items():
        want, have = set(getattr(expected, name)), set(getattr(got, name))
        if want and have and not want & have and want | have >= set(LIST_VOCABULARY[name]):
            inverted.append(group)
    for group in _BOUND_GROUPS:
        low, high = FIELD_GROUPS[group]
        want_low, want_high = getattr(expected, low) is not None, getattr(expected, high) is not None
        have_low, have_high = getattr(got, low) is not None, getattr(got, high) is not None
        if (want_low, want_high, have_low, have_high) in ((True, False, False, True), (False, True, True, False)):
            inverted.append(group)
    return inverted


def score(cases: Sequence[QueryCase], produced: Sequence[MovieFilters | None]) -> dict[str, object]:
    """Exact-match rate, inverted filters and per-field-group accuracy (module docstring) of `produced`."""
    exact = 0
    inverted = 0
    right = dict.fromkeys(FIELD_GROUPS, 0)
    involved = dict.fromkeys(FIELD_GROUPS, 0)
    for case, got in zip(cases, produced, strict=True):
        got = got or MovieFilters()  # a failed parse produced nothing
        exact += got == case.expected
        inverted += len(inversions(case.expected, got))
        for group, fields in FIELD_GROUPS.items():
            want, have = _group_value(case.expected, fields), _group_value(got, fields)
            if _is_set(want) or _is_set(have):
                involved[group] += 1
                right[group] += want == have
    row: dict[str, object] = {
        "queries": len(cases),
        "exact_match": round(exact / len(cases), 4) if cases else None,
        "inverted": inverted,
    }
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


def _misses(split: str, cases: Sequence[QueryCase], produced: Sequence[MovieFilters | None]) -> list[str]:
    notes = []
    for case, got in zip(cases, produced, strict=True):
        if got != case.expected:
            flipped = inversions(case.expected, got)
            mark = f" INVERTED {flipped}" if flipped else ""
            notes.append(f"offline miss ({split}){mark}: {case.query!r}: {differences(case, got)}")
    return notes


def _targets(rows: list[dict[str, object]]) -> list[Target]:
    by_split = {row["split"]: row for row in rows if row["engine"] == OFFLINE_PARSER}
    committed = float(by_split["committed"]["exact_match"] or 0.0)  # type: ignore[arg-type]
    test = float(by_split["test"]["exact_match"] or 0.0)  # type: ignore[arg-type]
    inverted = sum(int(row["inverted"]) for row in by_split.values())  # type: ignore[call-overload]
    return [
        Target("offline parser exact match, committed set", committed, f"= {TARGET_COMMITTED_EXACT}", committed >= 1.0),
        Target("offline parser exact match, test split", test, f"≥ {TARGET_TEST_EXACT}", test >= TARGET_TEST_EXACT),
        Target("offline parser inverted filters, all splits", inverted, "= 0", inverted == 0),
    ]


def run(context: EvalContext) -> SectionResult:
    """Score the offline parser (and the LLM parser when configured) on every split, each reported alone."""
    started = time.perf_counter()
    splits = {name: load_cases(path) for name, path in SPLITS.items()}
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    for split, cases in splits.items():
        offline = _offline(cases)
        rows.append({"engine": OFFLINE_PARSER, "split": split, **score(cases, offline)})
        notes.extend(_misses(split, cases, offline))
    settings = LLMSettings.from_env()
    if settings.configured and not context.quick:
        for split, cases in splits.items():
            llm = run_async(_llm_answers, cases, settings)
            rows.append({"engine": f"llm:{settings.model}", "split": split, **score(cases, llm)})  # type: ignore[arg-type]
    else:
        total = sum(len(cases) for cases in splits.values())
        rows.append(
            {"engine": "llm", "split": "all", "queries": total, "exact_match": None, "status": "not configured"}
        )
        notes.append("LLM parser: not configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY to include it)")
    sizes = ", ".join(f"{split} {len(cases)}" for split, cases in splits.items())
    return SectionResult(
        name="queries",
        protocol=(
            f"Requests with the exact MovieFilters each must produce, in three splits reported separately ({sizes}): "
            "committed (queries.json), dev (chat-style, tuned on), test (chat-style, never tuned on). "
            "Exact match = every field equal; inverted = a wanted value produced as excluded or the reverse "
            "(genres, complemented label lists, a lower bound produced as an upper one); per-field accuracy over "
            "the requests where the field group is expected or produced; a parse error produces no filters."
        ),
        table=rows,
        targets=_targets(rows),
        notes=notes,
        seconds=round(time.perf_counter() - started, 2),
    )
