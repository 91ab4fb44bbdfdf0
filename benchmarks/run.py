"""`make bench`: run every benchmark part, each in its own bounded process, then print one summary.

Parts, in order (each prints its own table and writes bench-results/<part>.json):

1. build_cost    `movie-mcp build` of the embedded default data into a temp file, per stage, and its size
2. cold_start    `movie-mcp serve` over stdio: spawn to `initialize`, to each loaded piece; RSS after warm-up
3. tool_latency  p50/p95 of every tool in-process, through the MCP client and on the core function
4. scaling       the key figures on synthetic 1x/10x/100x data (users and movies)

The summary (goals met or not, the key figures) is printed at the end and written to
bench-results/summary.json and bench-results/summary.md (Markdown tables for the README).

    .venv/bin/python -m benchmarks.run                   # everything (the 100x scaling takes the longest)
    .venv/bin/python -m benchmarks.run --quick           # small sizes: fewer calls, scales 1x and 10x
    .venv/bin/python -m benchmarks.run --only cold_start tool_latency
    .venv/bin/python -m benchmarks.run --summary-only    # re-print the summary from bench-results/*.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import (
    RESULTS_DIR,
    fmt,
    goal_rows,
    header,
    machine_info,
    offline_env,
    table,
    write_json,
)
from core.config import DEFAULT_DB_PATH

PARTS = ("build_cost", "cold_start", "tool_latency", "scaling")
# Whole-part caps on top of each part's own timeouts, so `make bench` can never hang.
PART_TIMEOUT_S = {"build_cost": 2400, "cold_start": 1800, "tool_latency": 2400, "scaling": 6 * 3600}


def part_arguments(part: str, args: argparse.Namespace) -> list[str]:
    """The command-line options each part gets for the chosen sizes."""
    out = ["--out", str(args.results / f"{part}.json")]
    if part in ("cold_start", "tool_latency", "scaling"):
        out += ["--db", str(args.db)]
    if part == "cold_start":
        out += ["--runs", "3" if args.quick else "5", "--stdio-calls", "20" if args.quick else "50"]
    if part == "tool_latency":
        out += ["--calls", "50" if args.quick else str(args.calls)]
    if part == "scaling":
        out += ["--scales", *[str(s) for s in (args.scales or ([1, 10] if args.quick else [1, 10, 100]))]]
        out += ["--calls", "50" if args.quick else str(args.calls)]
    return out


def run_part(part: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one part as `python -m benchmarks.<part>`, streaming its tables; returns status and seconds."""
    command = [sys.executable, "-m", f"benchmarks.{part}", *part_arguments(part, args)]
    print(f"\n>>> {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, env=offline_env(), timeout=PART_TIMEOUT_S[part], check=False)
        status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        status = f"timed out after {PART_TIMEOUT_S[part]} s"
    return {"status": status, "seconds": round(time.perf_counter() - started, 1)}


def _load(results_dir: Path, part: str) -> dict[str, Any] | None:
    path = results_dir / f"{part}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def summarize(results_dir: Path, parts_run: dict[str, Any]) -> dict[str, Any]:
    """Collect the goals and key figures of every part's JSON into one summary."""
    loaded = {part: _load(results_dir, part) for part in PARTS}
    goals = [g for data in loaded.values() if data for g in data.get("goals", [])]
    summary: dict[str, Any] = {"parts": parts_run, "goals": goals, "machine_per_part": {}}
    for part, data in loaded.items():
        if data:
            m = data.get("machine", {})
            summary["machine_per_part"][part] = {
                "cores": m.get("cores"),
                "load_avg_start": m.get("load_avg"),
                "load_avg_end": m.get("load_avg_end"),
                "when": m.get("when"),
            }
    summary["key_figures"] = key_figures(loaded)
    return summary


def key_figures(loaded: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(figure, value, where it comes from) for the README table."""
    rows: list[tuple[str, Any, str]] = []
    if (b := loaded.get("build_cost")) and b.get("status") == "ok":
        rows.append(("build, whole process (s)", b["wall_seconds"], "build_cost"))
        rows += [(f"build stage {k} (s)", v, "build_cost") for k, v in b["stage_seconds"].items()]
        rows.append(("database size (MB)", b["db_mb"], "build_cost"))
    if c := loaded.get("cold_start"):
        rows.append(("cold start: spawn to initialize reply (s)", c["initialize_s"], "cold_start, median"))
        rows += [(f"first answer needing the {k} (s)", v, "cold_start, median") for k, v in c["first_answer_s"].items()]
        rows.append(("resident memory after warm-up (MB)", c["rss_mb"], "cold_start, VmRSS"))
    if t := loaded.get("tool_latency"):
        for name, row in t["cases"].items():
            rows.append(
                (
                    f"{name} p50 / p95 (ms, MCP)",
                    f"{fmt(row['mcp'].get('p50_ms'))} / {fmt(row['mcp'].get('p95_ms'))}",
                    "tool_latency",
                )
            )
    if s := loaded.get("scaling"):
        for scale, data in s["scales"].items():
            latency = data.get("serving", {}).get("latency", {})
            for case in ("vec0 KNN k=10", "ALS recommendations (get_movie_recommendations)"):
                if case in latency:
                    rows.append((f"{scale}: {case} p50 (ms)", latency[case]["p50_ms"], "scaling"))
            train = data.get("training", {}).get("als", {})
            if train:
                rows.append((f"{scale}: ALS training (s)", train.get("train_seconds", train.get("status")), "scaling"))
    return rows


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(c if isinstance(c, str) else fmt(c) for c in row) + " |" for row in rows),
        "",
    ]


def markdown(summary: dict[str, Any], results_dir: Path) -> str:
    """The results as the Markdown tables of the README's Benchmarks section."""
    cores = sorted({str(m["cores"]) for m in summary["machine_per_part"].values()})
    loads = ", ".join(
        f"{part} {m['load_avg_start'][0]:.1f}" for part, m in summary["machine_per_part"].items() if m["load_avg_start"]
    )
    lines = [
        f"Measured on {', '.join(cores)} cores; 1-minute load average at the start of each part: {loads}.",
        "",
        *_md_table(["goal", "limit", "measured", "verdict", "measured on"], goal_rows(summary["goals"])),
    ]
    whole = [[name, value] for name, value, source in summary["key_figures"] if source.startswith(("build", "cold"))]
    if whole:
        lines += _md_table(["whole process", "value"], whole)
    if latency := _load(results_dir, "tool_latency"):
        rows = [
            [name, r["mcp"].get("p50_ms"), r["mcp"].get("p95_ms"), r["core"].get("p50_ms"), r["core"].get("p95_ms")]
            for name, r in latency["cases"].items()
        ]
        lines.append(f"In-process, warm, {latency['calls_per_case']} calls per row (ms):")
        lines.append("")
        lines += _md_table(["tool call", "MCP p50", "MCP p95", "core p50", "core p95"], rows)
    if scaling := _load(results_dir, "scaling"):
        from benchmarks.scaling import conclusions, scaling_rows

        names, rows = scaling_rows(scaling)
        lines += _md_table(["scaling (synthetic)", *names], rows)
        lines += [f"- {line}" for line in conclusions(scaling)]  # recomputed: same figures, current wording
    return "\n".join(lines) + "\n"


def print_summary(summary: dict[str, Any]) -> None:
    print(header("Summary of make bench", machine_info()))
    if summary["parts"]:
        print(
            table(["part", "status", "seconds"], [[p, r["status"], r["seconds"]] for p, r in summary["parts"].items()])
        )
    print(table(["goal", "limit", "measured", "verdict", "measured on"], goal_rows(summary["goals"])))
    print(table(["figure", "value", "from"], [[n, fmt(v), s] for n, v, s in summary["key_figures"]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these parts")
    parser.add_argument("--skip", nargs="+", choices=PARTS, default=[], help="skip these parts")
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast check (not for the record)")
    parser.add_argument("--calls", type=int, default=200, help="calls per latency case")
    parser.add_argument("--scales", type=int, nargs="+", help="scaling factors (default 1 10 100)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder for the JSON results")
    parser.add_argument("--summary-only", action="store_true", help="only summarise existing results")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"error: no database at {args.db}; build it first (make db)")

    parts_run: dict[str, Any] = {}
    if not args.summary_only:
        for part in args.only or PARTS:
            if part not in args.skip:
                parts_run[part] = run_part(part, args)
    summary = summarize(args.results, parts_run)
    write_json(args.results / "summary.json", summary)
    (args.results / "summary.md").write_text(markdown(summary, args.results), encoding="utf-8")
    print_summary(summary)
    print(f"\nresults: {args.results}/*.json; README tables: {args.results}/summary.md")
    if any(r["status"] != "ok" for r in parts_run.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
