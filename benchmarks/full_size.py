"""`make bench-full`: build and serve an ml-32m-shaped synthetic data set, beside the default data.

Issue 13's full-size benchmark. In one run, for the default data (the built `db/movies.db`, and a fresh
build of the embedded data) and for a synthetic MovieLens-layout set from `benchmarks.synthetic_movielens`
(default: the one-third preset, 10M ratings, 70,000 users, 60,000 movies; `--fraction F` for another size):

- the build: `movie-mcp build --from movielens DIR` in its own process, per-stage seconds (as the build
  reports them), peak resident memory of that process (ru_maxrss from wait4), wall time, file size; then
  the same build again with unchanged inputs (everything should be reused);
- serving: `benchmarks.cold_start` (spawn to `initialize`, first answers, VmRSS after one call of every
  tool) and `benchmarks.tool_latency` (p50/p95 per tool through the in-memory MCP client), each in its
  own process on the built file.

The data set and its database go to `--workdir` (default: a temporary folder, deleted at the end), never
the repository. Results: bench-results/full_size.json and a Markdown table on stdout.

    .venv/bin/python -m benchmarks.full_size                       # the one-third set (~30-40 minutes)
    .venv/bin/python -m benchmarks.full_size --fraction 0.03       # a quick look (~5 minutes)
    .venv/bin/python -m benchmarks.full_size --workdir /tmp/full --keep   # keep the data and database
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.build_cost import _BUILT, _STAGES, _parse_pairs
from benchmarks.report import RESULTS_DIR, console_script, machine_info, offline_env, write_json
from core.config import DEFAULT_DB_PATH

# Issue 13's goals at one-third size.
GOALS = {
    "build minutes": 20.0,
    "build peak RSS GB": 12.0,
    "initialize s": 1.0,
    "serving RSS GB": 3.0,
    "recommendations p50 ms": 20.0,
    "als p50 ms": 5.0,
    "semantic_search p50 ms": 30.0,
    "predict_rating p50 ms": 5.0,
}
LATENCY_CASES = (  # benchmarks.tool_latency's case names
    "search_movies",
    "get_movie_details",
    "get_user_ratings",
    "get_movie_recommendations",
    "get_movie_recommendations engine=als",
    "predict_rating",
    "semantic_search",
    "summarize_user_preferences",
)
GOAL_CASES = {  # the goal's key → its case
    "recommendations p50 ms": "get_movie_recommendations",
    "als p50 ms": "get_movie_recommendations engine=als",
    "semantic_search p50 ms": "semantic_search",
    "predict_rating p50 ms": "predict_rating",
}


def run_measured(command: list[str], timeout: float) -> tuple[int, str, float, float]:
    """(return code, stderr, wall seconds, peak RSS GB) of a child process (its own ru_maxrss, via wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=offline_env(), text=True)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.5)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return proc.returncode, err.read(), time.perf_counter() - started, usage.ru_maxrss / 1024**2


def measure_build(source: list[str], db: Path, timeout: float) -> dict[str, Any]:
    """One `movie-mcp build` into `db`: status, stages, wall, peak RSS, file size."""
    code, stderr, wall, peak_gb = run_measured([str(console_script()), "--db", str(db), "build", *source], timeout)
    if code != 0:
        return {"status": "failed", "returncode": code, "stderr": stderr[-3000:], "wall_s": round(wall, 1)}
    stages, built = _STAGES.search(stderr), _BUILT.search(stderr)
    return {
        "status": "ok",
        "wall_s": round(wall, 1),
        "build_s": float(built.group(1)) if built else None,
        "stages_s": _parse_pairs(stages.group(1)) if stages else {},
        "peak_rss_gb": round(peak_gb, 2),
        "db_mb": round(db.stat().st_size / 1e6, 1),
    }


def serving(db: Path, calls: int, workdir: Path, timeout: float) -> dict[str, Any]:
    """Cold start and per-tool latency on the built `db`, each part in its own process."""
    out: dict[str, Any] = {}
    parts = {
        "cold_start": ["--runs", "3", "--stdio-calls", "0"],
        "tool_latency": ["--calls", str(calls), "--only", *LATENCY_CASES],
    }
    for part, options in parts.items():
        target = workdir / f"{db.stem}-{part}.json"
        command = [sys.executable, "-m", f"benchmarks.{part}", "--db", str(db), "--out", str(target), *options]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=offline_env())
        out[part] = json.loads(target.read_text()) if target.exists() else {"error": proc.stderr[-2000:]}
    return out


def summary_row(build: dict[str, Any], served: dict[str, Any]) -> dict[str, Any]:
    """The figures the goals speak of, from one data set's build and serving results."""
    cold, latency = served.get("cold_start", {}), served.get("tool_latency", {}).get("cases", {})
    row: dict[str, Any] = {
        "build minutes": round(build["wall_s"] / 60, 1) if build.get("wall_s") else None,
        "build peak RSS GB": build.get("peak_rss_gb"),
        "db MB": build.get("db_mb"),
        "initialize s": cold.get("initialize_s"),
        "serving RSS GB": round(cold["rss_mb"] / 1024, 2) if cold.get("rss_mb") else None,
    }
    for case in LATENCY_CASES:
        mcp = latency.get(case, {}).get("mcp", {})
        row[f"{case} p50 / p95 ms"] = (mcp.get("p50_ms"), mcp.get("p95_ms"))
    for key, case in GOAL_CASES.items():
        row[key] = latency.get(case, {}).get("mcp", {}).get("p50_ms")
        # The Python SDK client re-validates every answer against its schema in pure Python; the server's share:
        row[f"{key}, less the client's schema validation"] = (
            latency.get(case, {}).get("mcp_without_client_validation", {}).get("p50_ms")
        )
    return row


def markdown(results: dict[str, Any]) -> str:
    """The two data sets side by side, and the goals at full size."""
    default, large = results["default"]["summary"], results["synthetic"]["summary"]
    lines = [f"| figure | default data | synthetic ({results['synthetic']['label']}) | goal |", "|---|---|---|---|"]
    for key in large:
        goal = GOALS.get(key)
        value = large[key]
        met = "" if goal is None or not isinstance(value, (int, float)) else (" ✓" if value < goal else " ✗")
        shown = [_cell(default.get(key)), _cell(value)]
        lines.append(f"| {key} | {shown[0]} | {shown[1]}{met} | {'< ' + str(goal) if goal else ''} |")
    stages = results["synthetic"]["build"].get("stages_s", {})
    lines.append("")
    lines.append("synthetic build stages (s): " + ", ".join(f"{k} {v:g}" for k, v in stages.items()))
    lines.append(f"second build, inputs unchanged: {results['synthetic']['rebuild'].get('wall_s')} s")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    """A table cell: a (p50, p95) pair as "p50 / p95", numbers to three significant digits."""
    if isinstance(value, (tuple, list)):
        return " / ".join(_cell(v) for v in value)
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def generate(args: argparse.Namespace, data: Path) -> str:
    """Write the synthetic data set (skipped when `data` already holds one); its label."""
    size = ["--preset", "third"] if args.fraction is None else ["--fraction", str(args.fraction)]
    label = "one third of ml-32m" if args.fraction is None else f"{args.fraction:g} of ml-32m"
    if not (data / "ratings.csv").exists():
        command = [sys.executable, "-m", "benchmarks.synthetic_movielens", *size, "--seed", str(args.seed)]
        subprocess.run([*command, "--out", str(data)], check=True, env=offline_env())
    return label


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine_info()}
    default_build = measure_build([], workdir / "default.db", args.timeout)
    results["default"] = {
        "build": default_build,
        "serving": serving(args.db, args.calls, workdir, args.timeout),
    }
    data = workdir / "data"
    label = generate(args, data)
    db = workdir / "synthetic.db"
    build = measure_build(["--from", "movielens", str(data)], db, args.timeout)
    rebuild = measure_build(["--from", "movielens", str(data)], db, args.timeout) if build["status"] == "ok" else {}
    served = serving(db, args.calls, workdir, args.timeout) if build["status"] == "ok" else {}
    results["synthetic"] = {"label": label, "build": build, "rebuild": rebuild, "serving": served}
    for part in ("default", "synthetic"):
        entry = results[part]
        entry["summary"] = summary_row(entry["build"], entry["serving"]) if entry["build"]["status"] == "ok" else {}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fraction", type=float, help="of ml-32m's ratings (default: the one-third preset)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--calls", type=int, default=100, help="calls per latency case")
    parser.add_argument("--timeout", type=float, default=5400.0, help="seconds for any one build or part")
    parser.add_argument("--workdir", type=Path, help="where the data set and databases go (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep --workdir's contents")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "full_size.json")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="movie-mcp-full-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    write_json(args.out, results)
    print(markdown(results))


if __name__ == "__main__":
    main()
