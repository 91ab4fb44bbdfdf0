"""Benchmark: whole-process cold start of `movie-mcp serve` over stdio, and resident memory after warm-up.

Each run spawns the console script (`.venv/bin/movie-mcp serve`, as an MCP client does) on a private
copy of the database, writes an `initialize` JSON-RPC line at once and times the reply from the moment
the process was spawned. Right after the handshake it sends three calls together, each needing one
loaded piece, and times their answers from the same origin:

- `search_movies`: the database (opened by the background load),
- `get_movie_recommendations`: the recommenders (loaded with the database, after it),
- `semantic_search`: the embedding model (torch + MiniLM, loaded last).

Then it calls every tool once and reads the server's VmRSS / VmHWM from /proc. One run first warms
the OS caches (and migrates the copy if needed) and is not counted; the figures are medians.

    .venv/bin/python -m benchmarks.cold_start [--runs 5] [--stdio-calls 50]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.report import (
    GOAL_COLD_START_S,
    GOAL_RSS_MB,
    RESULTS_DIR,
    Goal,
    console_script,
    finish,
    header,
    latency_stats,
    machine_info,
    offline_env,
    print_goals,
    process_memory_mb,
    table,
    write_json,
)
from core.config import DEFAULT_DB_PATH

PROTOCOL_VERSION = "2025-06-18"  # what current desktop clients send

# One realistic call of every tool (ids from the default data: 1 Toy Story, 2571 The Matrix, 2959 Fight Club).
EVERY_TOOL: dict[str, dict[str, Any]] = {
    "search_movies": {"query": "star wars"},
    "get_movie_details": {"movie_id": 2571},
    "get_user_ratings": {"user_id": 15, "limit": 20},
    "get_random_movies": {"n": 5, "genre": "Comedy", "seed": 7},
    "get_movie_recommendations": {"user_id": 42, "n": 10, "query": "90s comedies under 100 minutes"},
    "predict_rating": {"user_id": 15, "movie_id": 2959},
    "semantic_search": {"query": "a group of friends plan a bank heist that goes wrong", "k": 10},
    "get_enriched_movies": {"budget_tier": "high", "order_by": "effectiveness", "limit": 10},
    "summarize_user_preferences": {"user_id": 73},
    "compare_movies": {"movie_ids": [1, 2571, 2959]},
    "enrich_movies": {"movie_ids": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "force": True},
}
# The first call that needs each piece loaded in the background.
READINESS_PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "database": ("search_movies", {"query": "toy story"}),
    "recommenders (ALS + predictor)": ("get_movie_recommendations", {"user_id": 15, "n": 10}),
    "embedding model": ("semantic_search", {"query": "a lonely robot falls in love", "k": 10}),
}
STDIO_LATENCY_TOOLS = ("search_movies", "get_movie_recommendations", "semantic_search")


class StdioServer:
    """`movie-mcp serve` as a child process, with a reader thread so every wait can time out."""

    def __init__(self, db: Path) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(console_script()), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=offline_env(MOVIE_MCP_DB=str(db)),
        )
        self._replies: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._next_id = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            arrived = time.perf_counter()
            message = json.loads(line)
            if "id" in message and "method" not in message:  # replies only; notifications are ignored
                self._replies.put((arrived, message))

    def send(self, method: str, params: dict[str, Any] | None = None, *, notification: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        request_id = -1
        if not notification:
            self._next_id += 1
            request_id = message["id"] = self._next_id
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        return request_id

    def call_tool(self, name: str, arguments: dict[str, Any]) -> int:
        return self.send("tools/call", {"name": name, "arguments": arguments})

    def wait_for(self, ids: set[int], timeout: float) -> dict[int, tuple[float, dict[str, Any]]]:
        """Replies to `ids` with their arrival times; raises TimeoutError when one is late."""
        deadline = time.perf_counter() + timeout
        got: dict[int, tuple[float, dict[str, Any]]] = {}
        while ids - got.keys():
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or self.proc.poll() is not None:
                raise TimeoutError(f"no reply to {sorted(ids - got.keys())} (server exit code {self.proc.poll()})")
            try:
                arrived, message = self._replies.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            got[message["id"]] = (arrived, message)
        return got

    def request(self, method: str, params: dict[str, Any], timeout: float) -> tuple[float, dict[str, Any]]:
        request_id = self.send(method, params)
        return self.wait_for({request_id}, timeout)[request_id]

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()  # end of input: the stdio server shuts down cleanly
            self.proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
            self.proc.kill()
            self.proc.wait(timeout=10)


def _tool_error(message: dict[str, Any]) -> str | None:
    if "error" in message:
        return str(message["error"])
    result = message.get("result", {})
    if result.get("isError"):
        return " ".join(c.get("text", "") for c in result.get("content", []))
    return None


def one_run(db: Path, timeout: float, stdio_calls: int = 0) -> dict[str, Any]:
    """One cold start: handshake, readiness probes, every tool once, memory; optional stdio latencies."""
    server = StdioServer(db)
    errors: list[str] = []
    try:
        arrived, reply = server.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
            timeout,
        )
        run: dict[str, Any] = {"initialize_s": arrived - server.started}
        if "result" not in reply:
            raise RuntimeError(f"initialize failed: {reply}")
        server.send("notifications/initialized", notification=True)
        probes = {piece: server.call_tool(tool, args) for piece, (tool, args) in READINESS_PROBES.items()}
        replies = server.wait_for(set(probes.values()), timeout)
        run["first_answer_s"] = {piece: replies[rid][0] - server.started for piece, rid in probes.items()}
        errors += [f"{piece}: {e}" for piece, rid in probes.items() if (e := _tool_error(replies[rid][1]))]
        for tool, args in EVERY_TOOL.items():
            _, message = server.request("tools/call", {"name": tool, "arguments": args}, timeout)
            if error := _tool_error(message):
                errors.append(f"{tool}: {error}")
        run["memory_after_warmup_mb"] = process_memory_mb(server.proc.pid)
        if stdio_calls:
            run["stdio_latency"] = _stdio_latency(server, db, stdio_calls, timeout)
        run["errors"] = errors
        return run
    finally:
        server.close()


def _stdio_latency(server: StdioServer, db: Path, calls: int, timeout: float) -> dict[str, Any]:
    """Round trips through the real process and pipes (JSON encoding both ways included)."""
    from benchmarks.tool_latency import sample_arguments

    out: dict[str, Any] = {}
    samples = sample_arguments(db, calls)
    for tool in STDIO_LATENCY_TOOLS:
        times = []
        for args in samples[tool]:
            sent = time.perf_counter()
            arrived, _ = server.request("tools/call", {"name": tool, "arguments": args}, timeout)
            times.append(arrived - sent)
        out[tool] = latency_stats(times)
    return out


def import_breakdown(runs: int) -> dict[str, float]:
    """Median wall time of a bare interpreter and of importing what `serve` imports before answering."""
    commands = {
        "python start (python -c pass)": [sys.executable, "-c", "pass"],
        "python start + import server.cli, server.app": [sys.executable, "-c", "import server.cli, server.app"],
    }
    out: dict[str, float] = {}
    for name, command in commands.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, env=offline_env(), timeout=120)
            times.append(time.perf_counter() - started)
        out[name] = round(statistics.median(times), 3)
    return out


def run(source_db: Path, runs: int, timeout: float, stdio_calls: int) -> dict[str, Any]:
    machine = machine_info()
    results: dict[str, Any] = {"db": str(source_db), "runs": runs, "command": f"{console_script()} serve"}
    with tempfile.TemporaryDirectory(prefix="movie-mcp-bench-cold-") as tmp:
        db = Path(tmp) / "movies.db"
        shutil.copy(source_db, db)  # enrich_movies writes: never on the real database
        one_run(db, timeout)  # warms the page cache and byte-code, migrates the copy; not counted
        measured = [one_run(db, timeout, stdio_calls if i == runs - 1 else 0) for i in range(runs)]
    results["per_run"] = measured
    results["breakdown_s"] = import_breakdown(runs)

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    results["initialize_s"] = median([r["initialize_s"] for r in measured])
    results["first_answer_s"] = {
        piece: median([r["first_answer_s"][piece] for r in measured]) for piece in READINESS_PROBES
    }
    results["rss_mb"] = median([r["memory_after_warmup_mb"].get("VmRSS", float("nan")) for r in measured])
    results["peak_rss_mb"] = median([r["memory_after_warmup_mb"].get("VmHWM", float("nan")) for r in measured])
    results["stdio_latency"] = measured[-1].get("stdio_latency", {})
    results["errors"] = sorted({e for r in measured for e in r["errors"]})
    results["goals"] = [
        Goal(
            "cold start: spawn to initialize reply", results["initialize_s"], GOAL_COLD_START_S, "s", "stdio"
        ).as_dict(),
        Goal("resident memory after warm-up", results["rss_mb"], GOAL_RSS_MB, "MB", "stdio server VmRSS").as_dict(),
    ]
    finish(results, machine)
    return results


def print_report(results: dict[str, Any]) -> None:
    print(
        header(f"Cold start and memory: `movie-mcp serve` over stdio (median of {results['runs']})", results["machine"])
    )
    rows: list[list[Any]] = [["initialize reply", results["initialize_s"]]]
    rows += [[f"first answer needing the {piece}", s] for piece, s in results["first_answer_s"].items()]
    rows += [[f"(for comparison) {name}", s] for name, s in results.get("breakdown_s", {}).items()]
    print(table(["from process spawn to", "seconds"], rows))
    print(
        f"resident memory after one call of every tool: {results['rss_mb']} MB (VmRSS),"
        f" peak {results['peak_rss_mb']} MB (VmHWM)"
    )
    if results["stdio_latency"]:
        rows = [[tool, s["n"], s["p50_ms"], s["p95_ms"]] for tool, s in results["stdio_latency"].items()]
        print("round trips over stdio (whole process, warm):")
        print(table(["tool", "calls", "p50 ms", "p95 ms"], rows))
    for error in results["errors"]:
        print(f"error: {error}")
    print_goals(results["goals"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for any one reply")
    parser.add_argument("--stdio-calls", type=int, default=50, help="warm round trips per tool over stdio (0: none)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "cold_start.json")
    args = parser.parse_args()
    results = run(args.db, args.runs, args.timeout, args.stdio_calls)
    write_json(args.out, results)
    print_report(results)


if __name__ == "__main__":
    main()
