"""Shared pieces of the benchmark suite: machine facts, latency statistics, goals, tables and JSON output.

Every part writes one JSON file under `bench-results/` whose `machine` block records the core count and
the load average before and after the run, so a figure taken on a busy machine can be recognised later.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path("bench-results")

# The benchmark goals: latency, cold start and memory targets for `make bench`.
GOAL_ALS_P50_MS = 5.0
GOAL_SEMANTIC_P50_MS = 30.0
GOAL_TOOL_P95_MS = 50.0
GOAL_COLD_START_S = 1.0
GOAL_RSS_MB = 800.0

# Benchmarks measure the offline engines: an endpoint set in the shell must not turn calls into LLM requests.
LLM_ENV_VARS = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MOVIE_MCP_LLM_MODEL")


def offline_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no LLM endpoint, no hub downloads, one BLAS thread."""
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV_VARS}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def make_offline() -> None:
    """Apply `offline_env` to this process (call before anything imports the LLM settings or torch)."""
    for name in LLM_ENV_VARS:
        os.environ.pop(name, None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    quiet_logs()


def quiet_logs() -> None:
    """Progress logs would bury the tables (call again after something reconfigures logging)."""
    for name in ("core", "core.runtime", "mcp", "sentence_transformers", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def console_script(name: str = "movie-mcp") -> Path:
    """The venv's console script next to the running interpreter (what MCP clients start)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; install the project first (make setup)")
    return path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict[str, Any]:
    """Facts that decide how to read the figures: cores, CPU, memory, load, versions."""
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": _cpu_model(),
        "mem_total_gb": _mem_total_gb(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def header(title: str, machine: dict[str, Any]) -> str:
    """The first line of every printed report."""
    load = ", ".join(f"{x:.2f}" for x in machine["load_avg"])
    return (
        f"\n== {title} ==\n"
        f"machine: {machine['cores']} cores ({machine['cpu']}), {machine['mem_total_gb']} GB;"
        f" load average at start {load}"
    )


# --- statistics -----------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (0-100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def latency_stats(seconds: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p95, mean and max in milliseconds."""
    values = sorted(s * 1000 for s in seconds)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "mean_ms": round(statistics.fmean(values), 3),
        "max_ms": round(values[-1], 3),
    }


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """`with timer() as t: ...` then `t["seconds"]`."""
    box: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - started


# --- memory ----------------------------------------------------------------------------------------


def process_memory_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, from /proc/PID/status."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(rest.split()[0]) / 1024, 1)  # kB -> MB
    except (OSError, ValueError, IndexError):
        pass
    return out


# --- goals -----------------------------------------------------------------------------------------


@dataclass
class Goal:
    """One benchmark goal, with the measured figure and whether it is met."""

    goal: str
    value: float | None
    limit: float
    unit: str
    measured_on: str

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value < self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def goal_rows(goals: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for g in goals:
        value = "n/a" if g["value"] is None else f"{fmt(g['value'])} {g['unit']}"
        verdict = {True: "met", False: "NOT met", None: "not measured"}[g["met"]]
        rows.append([g["goal"], f"< {g['limit']:g} {g['unit']}", value, verdict, g["measured_on"]])
    return rows


def print_goals(goals: Sequence[dict[str, Any]]) -> None:
    print(table(["goal", "limit", "measured", "verdict", "measured on"], goal_rows(goals)))


# --- output ----------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: numbers to `digits` significant figures, None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 10**digits:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; the first column is left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])])


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Write `data` as indented JSON, creating the folder; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def finish(data: dict[str, Any], machine: dict[str, Any]) -> None:
    """Record the load average at the end of a part (it shows whether the machine stayed busy)."""
    machine["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    data["machine"] = machine
