"""Benchmark: the cost of `movie-mcp build` on the embedded default data, per stage, and the database size.

Runs the console script as a separate process into a temporary file (a fresh build: nothing can be
reused from a previous database), so the wall time includes interpreter start and imports, and reads
the per-stage times the build itself reports (import, catalogue, enrich, embed, train).

    .venv/bin/python -m benchmarks.build_cost [--timeout 1800] [--keep PATH]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import (
    RESULTS_DIR,
    console_script,
    finish,
    fmt,
    header,
    machine_info,
    offline_env,
    table,
    write_json,
)

_STAGES = re.compile(r"^stages:\s+(.*)$", re.MULTILINE)
_BUILT = re.compile(r"^built .* in ([\d.]+)s \(([\d.]+) MB\)$", re.MULTILINE)
_COUNTS = re.compile(r"^counts:\s+(.*)$", re.MULTILINE)


def _parse_pairs(text: str) -> dict[str, float]:
    """'import 3.1s, catalogue 1.2s' or 'movies 9,066, ratings 100,004' -> {name: number}."""
    return {name: float(value.replace(",", "")) for name, value in re.findall(r"([\w:]+) (\d[\d,]*(?:\.\d+)?)s?", text)}


def _model_seconds(db: Path) -> dict[str, float]:
    """Training time of each model as recorded in the database (the `train` stage covers all of them)."""
    from core.data import sqlite

    conn = sqlite.connect_sync(db, read_only=True)
    try:
        return {row[0]: float(row[1]) for row in conn.execute("SELECT name, seconds FROM model_blobs ORDER BY name")}
    finally:
        conn.close()


def run(timeout: float, keep: Path | None = None) -> dict[str, Any]:
    machine = machine_info()
    results: dict[str, Any] = {"source": "default (embedded)"}
    with tempfile.TemporaryDirectory(prefix="movie-mcp-bench-build-") as tmp:
        db = Path(tmp) / "movies.db"
        command = [str(console_script()), "--db", str(db), "build"]
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=offline_env())
        except subprocess.TimeoutExpired:
            results.update(status="timed out", timeout_s=timeout)
            finish(results, machine)
            return results
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            results.update(status="failed", returncode=proc.returncode, stderr=proc.stderr[-4000:])
            finish(results, machine)
            return results
        stages = _STAGES.search(proc.stderr)
        built = _BUILT.search(proc.stderr)
        counts = _COUNTS.search(proc.stderr)
        results.update(
            status="ok",
            wall_seconds=round(wall, 2),
            build_seconds=float(built.group(1)) if built else None,
            stage_seconds=_parse_pairs(stages.group(1)) if stages else {},
            model_train_seconds=_model_seconds(db),
            db_bytes=db.stat().st_size,
            db_mb=round(db.stat().st_size / 1e6, 1),
            counts={k: int(v) for k, v in _parse_pairs(counts.group(1)).items()} if counts else {},
        )
        # Interpreter start and imports are what the whole process adds to the stages.
        if results["build_seconds"] is not None:
            results["process_overhead_seconds"] = round(wall - results["build_seconds"], 2)
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(db, keep)
    finish(results, machine)
    return results


def print_report(results: dict[str, Any]) -> None:
    print(header("Build cost: `movie-mcp build` (embedded default data, fresh file)", results["machine"]))
    if results["status"] != "ok":
        print(f"build {results['status']}: {results.get('stderr', '')[-800:]}")
        return
    rows: list[list[Any]] = [[f"stage: {k}", v] for k, v in results["stage_seconds"].items()]
    rows += [[f"  of which model: {k}", v] for k, v in results["model_train_seconds"].items()]
    rows += [
        ["build total (in-process)", results["build_seconds"]],
        ["process start, imports, exit", results.get("process_overhead_seconds")],
        ["whole process (wall)", results["wall_seconds"]],
    ]
    print(table(["what", "seconds"], rows))
    counts = ", ".join(f"{k} {fmt(v)}" for k, v in results["counts"].items())
    print(f"database: {results['db_mb']} MB ({counts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up on the build after this many seconds")
    parser.add_argument("--keep", type=Path, help="copy the built database here")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "build_cost.json")
    args = parser.parse_args()
    results = run(args.timeout, args.keep)
    write_json(args.out, results)
    print_report(results)


if __name__ == "__main__":
    main()
