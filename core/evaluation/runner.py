"""`movie-mcp eval`: load the ratings from the built database, run the chosen sections, and report.

Each section module named in `core.evaluation.SECTIONS` exposes `run(context) -> SectionResult`; a
section whose module does not exist (yet) is skipped with a message instead of failing the run, and
a section that raises is reported as failed while the others still run. The text report (one table
per section, then the targets) is returned as a string for the CLI to print; core never prints.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.data import sqlite
from core.errors import InvalidInputError, NotReadyError
from core.evaluation import SECTIONS
from core.evaluation.base import EvalContext, SectionResult

log = logging.getLogger(__name__)

DEFAULT_OUT = Path("eval-results/eval.json")


@dataclass
class EvalReport:
    """Everything one `movie-mcp eval` run produced."""

    db_path: Path
    quick: bool
    seed: int
    results: list[SectionResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # section -> why it did not run
    started_at: str = ""
    seconds: float = 0.0
    ratings: int = 0


def parse_sections(text: str | None) -> list[str]:
    """Section names from a comma-separated list (None or "all": every section, in `SECTIONS` order)."""
    if text is None or text.strip().lower() in ("", "all"):
        return list(SECTIONS)
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        raise InvalidInputError(f"unknown section(s) {', '.join(unknown)}; sections are {', '.join(SECTIONS)}")
    return list(dict.fromkeys(names))


def load_ratings(db_path: Path) -> pd.DataFrame:
    """Every rating in the database: user_id, movie_id, rating, timestamp (read-only connection)."""
    if not db_path.exists():
        raise NotReadyError(f"no database at {db_path}; build it with `movie-mcp build`")
    conn = sqlite.connect_sync(db_path, read_only=True)
    try:
        rows = conn.execute("SELECT user_id, movie_id, rating, timestamp FROM ratings ORDER BY user_id, movie_id")
        frame = pd.DataFrame(rows.fetchall(), columns=["user_id", "movie_id", "rating", "timestamp"])
    finally:
        conn.close()
    return frame.astype({"user_id": "int64", "movie_id": "int64", "rating": "float64", "timestamp": "int64"})


def run_eval(
    db_path: Path,
    sections: Sequence[str],
    *,
    quick: bool = False,
    seed: int = 42,
    splits: Sequence[str] | None = None,
    on_section: Callable[[SectionResult | None, str, str | None], None] | None = None,
) -> EvalReport:
    """Run `sections` on the database at `db_path`.

    `on_section(result, name, skipped_reason)` is called after each section (result None when skipped
    or failed), so a caller can show results as they come. `splits` limits the sections that have splits
    (semantic) to those named.
    """
    started = time.perf_counter()
    report = EvalReport(
        db_path=db_path, quick=quick, seed=seed, started_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    ratings = load_ratings(db_path)
    report.ratings = len(ratings)
    context = EvalContext(
        db_path=db_path, ratings=ratings, seed=seed, quick=quick, splits=tuple(splits) if splits else None
    )
    for name in sections:
        module_name = SECTIONS[name]
        reason: str | None = None
        result: SectionResult | None = None
        if importlib.util.find_spec(module_name) is None:
            reason = f"module {module_name} does not exist yet; section skipped"
        else:
            try:
                module = importlib.import_module(module_name)
                log.info("eval: running section %s", name)
                result = module.run(context)
                report.results.append(result)
            except ImportError as exc:
                reason = f"module {module_name} could not be imported ({exc}); section skipped"
            except Exception as exc:  # one broken section must not hide the others' results
                log.exception("eval: section %s failed", name)
                reason = f"failed: {type(exc).__name__}: {exc}"
        if reason is not None:
            report.skipped[name] = reason
            log.warning("eval: %s: %s", name, reason)
        if on_section is not None:
            on_section(result, name, reason)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


# ------------------------------------------------------------------------------ text output


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: Sequence[dict[str, object]], columns: Sequence[str] | None = None) -> str:
    """A plain-text table (numbers right-aligned) of dict rows; columns default to the union in first-seen order."""
    if not rows:
        return "(no rows)"
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row.get(c), int | float) or row.get(c) is None for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            (v.rjust(w) if num else v.ljust(w)) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def format_section(result: SectionResult) -> str:
    """Title, protocol, table and notes of one section."""
    parts = [
        f"== {result.name} ({result.seconds:.1f}s) ==",
        result.protocol,
        "",
        format_table(result.table),
    ]
    if result.notes:
        parts += ["", *(f"note: {n}" for n in result.notes)]
    return "\n".join(parts)


def targets_rows(report: EvalReport) -> list[dict[str, object]]:
    """One row per target of every section that ran."""
    return [
        {
            "section": result.name,
            "target": t.target,
            "value": None if t.value is None else round(float(t.value), 4),
            "goal": t.goal,
            "status": "met" if t.met else "NOT met",
        }
        for result in report.results
        for t in result.targets
    ]


def format_report(report: EvalReport) -> str:
    """Every section's table, the skipped sections, and the targets table."""
    parts = [format_section(r) for r in report.results]
    if report.skipped:
        parts.append("\n".join(f"skipped {name}: {why}" for name, why in report.skipped.items()))
    parts.append(format_targets(report))
    return "\n\n".join(parts)


def format_targets(report: EvalReport) -> str:
    """The targets table with its heading (database, ratings, cores, total time)."""
    heading = (
        f"== targets == ({report.db_path}, {report.ratings:,} ratings, {os.cpu_count()} cores, {report.seconds:.1f}s"
        + (", quick run" if report.quick else "")
        + ")"
    )
    return heading + "\n" + format_table(targets_rows(report))


# ------------------------------------------------------------------------------ JSON output


def report_json(report: EvalReport) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    return {
        "database": str(report.db_path),
        "ratings": report.ratings,
        "quick": report.quick,
        "seed": report.seed,
        "started_at": report.started_at,
        "seconds": report.seconds,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "sections": {r.name: dataclasses.asdict(r) for r in report.results},
        "skipped": report.skipped,
        "targets": targets_rows(report),
    }


def write_json(report: EvalReport, path: Path) -> Path:
    """Write `report_json` to `path` (parents created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_json(report), indent=2, ensure_ascii=False, default=str) + "\n")
    return path
