"""Load test: concurrent MCP clients over Streamable HTTP against the real server, on loopback only.

Starts `movie-mcp serve --transport streamable-http [--workers N]` on a free 127.0.0.1 port as a
subprocess (the load runs in this process, apart from the server's), opens `--clients` clients (default
50), and has each call a mix of the non-LLM tools with random real arguments for `--duration` seconds
(default 30), pausing `--think` seconds between its calls (default 0: back to back, the heaviest load).
Each client first calls every tool once, so the clock starts with every worker warm. Reports
throughput, p50/p95/p99/max latency overall and per tool, errors (exceptions and isError results; the
arguments are valid, so both count) and the 1-minute load average before and after. Bounded in time and
in calls (`--max-calls`), and it stops the server at the end.

Clients (`--client`): `raw` (default) posts stateless 2026-07-28 JSON-RPC requests over keep-alive
HTTP/1.1 (`benchmarks.raw_mcp_client`), cheap enough that on 2 cores the generator does not starve the
server; `sdk` opens full SDK `Client` sessions, as an MCP host does.

`--workers 1,2 --repeats 3` runs 1 and 2 worker processes in turn, three times each, and summarises the
medians and the speed-up. Also measures the cold start: seconds from launching `movie-mcp serve` (stdio)
to its `initialize` reply (`--cold-starts 0` skips it).

    .venv/bin/python -m benchmarks.load_http [--clients 50] [--duration 30] [--think 0] [--db db/movies.db]
    .venv/bin/python -m benchmarks.load_http --workers 1,2 --repeats 3 --cold-starts 0 --out /tmp/load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from mcp import Client

from benchmarks import proc_cpu
from benchmarks.raw_mcp_client import RawMcpClient
from core.config import Settings
from core.data import sqlite

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "server.cli"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}
QUERIES = ["matrix", "star", "love", "toy story", "god", "alien", "night", "king", "war", "dark"]
MEANINGS = ["a heist that goes wrong", "robots who learn to love", "a family road trip", "haunted house", "space war"]
ArgumentMaker = Callable[[random.Random], dict[str, Any]]
ClientKind = Literal["raw", "sdk"]
GENRES = ["Comedy", "Drama", "Action", "Thriller", "Romance", "Sci-Fi", "Horror", "Animation"]


@dataclass
class Catalogue:
    """Real ids to draw arguments from."""

    movie_ids: list[int]
    user_ids: list[int]

    @classmethod
    def load(cls, db: Path) -> Catalogue:
        conn = sqlite.connect_sync(db, read_only=True)
        try:
            movies = [r[0] for r in conn.execute("SELECT movie_id FROM movies WHERE rating_count >= 10")]
            users = [r[0] for r in conn.execute("SELECT user_id FROM users")]
        finally:
            conn.close()
        return cls(movies, users)


def tool_mix(cat: Catalogue) -> list[tuple[str, int, ArgumentMaker]]:
    """(tool, weight, argument maker): the read-only, non-LLM tools, lookups more often than heavy queries."""
    movie = lambda r: r.choice(cat.movie_ids)  # noqa: E731
    user = lambda r: r.choice(cat.user_ids)  # noqa: E731
    return [
        ("search_movies", 4, lambda r: {"query": r.choice(QUERIES)}),
        ("get_movie_details", 4, lambda r: {"movie_id": movie(r)}),
        ("get_user_ratings", 3, lambda r: {"user_id": user(r), "limit": 20}),
        ("get_random_movies", 2, lambda r: {"n": 5, "genre": r.choice(GENRES)}),
        ("get_movie_recommendations", 3, lambda r: {"user_id": user(r), "n": 10}),
        ("predict_rating", 3, lambda r: {"user_id": user(r), "movie_id": movie(r)}),
        ("semantic_search", 1, lambda r: {"query": r.choice(MEANINGS), "k": 10}),
        ("get_enriched_movies", 2, lambda r: {"genre": r.choice(GENRES), "limit": 10}),
        ("summarize_user_preferences", 1, lambda r: {"user_id": user(r)}),
        ("compare_movies", 2, lambda r: {"movie_ids": r.sample(cat.movie_ids, 3)}),
    ]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    calls: int = 0

    def record_error(self, sample: str, name: str) -> None:
        self.errors[name] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(sample)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MOVIE_MCP_TOKEN")}
    return {**env, "MOVIE_MCP_DB": str(db), "OPENBLAS_NUM_THREADS": "1"}


def cold_start_seconds(db: Path, runs: int = 3) -> list[float]:
    """Seconds from launching the stdio server to its `initialize` reply, `runs` times."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*SERVER, "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=server_env(db),
            cwd=ROOT,
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(INITIALIZE) + "\n")
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline())
            times.append(time.perf_counter() - started)
            assert reply["result"]["serverInfo"]["name"] == "movie-mcp", reply
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return times


def wait_for_health(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited during start-up (status {proc.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer /health")


class ToolCaller(Protocol):
    """What a load-test client needs: call a tool, get (ok, error text)."""

    async def __call__(self, name: str, arguments: dict[str, Any]) -> tuple[bool, str]: ...


@asynccontextmanager
async def connect(kind: ClientKind, url: str, timeout: float = 30.0) -> AsyncIterator[ToolCaller]:
    """A caller over `kind`: "raw" posts stateless 2026-07-28 requests on one keep-alive connection (cheap:
    the generator must not be what limits the server); "sdk" is a full SDK `Client` session (what an MCP
    host runs, at several times the client CPU per call)."""
    if kind == "raw":
        async with RawMcpClient(url, timeout=timeout) as raw:
            await raw.list_tools()  # what every real client does first

            async def call_raw(name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
                result = await raw.call_tool(name, arguments)
                return not result.get("isError"), (result.get("content") or [{}])[0].get("text", "")

            yield call_raw
        return
    async with Client(url, read_timeout_seconds=timeout) as client:
        await client.list_tools()

        async def call_sdk(name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
            result = await client.call_tool(name, arguments)
            return not result.is_error, getattr(result.content[0], "text", "") if result.content else ""

        yield call_sdk


async def warm_up(call: ToolCaller, mix: list[tuple[str, int, ArgumentMaker]]) -> None:
    """Call every tool once: the clock starts with everything loaded in the process serving this connection
    (the embedding model takes seconds), whichever worker that is."""
    rng = random.Random(-1)
    for name, _, maker in mix:
        ok, text = await call(name, maker(rng))
        if not ok:
            raise RuntimeError(f"warm-up call {name} failed: {text}")


async def client_loop(
    kind: ClientKind,
    url: str,
    mix: list[tuple[str, int, ArgumentMaker]],
    rng: random.Random,
    results: Results,
    *,
    warm: list[tuple[str, int, ArgumentMaker]],
    connected: asyncio.Barrier,
    start: asyncio.Event,
    deadline: list[float],
    think: float,
    max_calls: int,
) -> None:
    """One client: connect and warm up, wait for everyone, then call tools until the deadline."""
    names = [name for name, _, _ in mix]
    weights = [weight for _, weight, _ in mix]
    makers = {name: maker for name, _, maker in mix}
    async with connect(kind, url, timeout=300) as call:
        await warm_up(call, warm)
        await connected.wait()
        await start.wait()
        while time.perf_counter() < deadline[0] and results.calls < max_calls:
            name = rng.choices(names, weights)[0]
            arguments = makers[name](rng)
            results.calls += 1
            began = time.perf_counter()
            try:
                ok, text = await call(name, arguments)
                if ok:
                    results.latencies[name].append(time.perf_counter() - began)
                else:
                    results.record_error(f"{name}{arguments}: {text[:200]}", name)
            except Exception as exc:  # a transport failure is an error of the run, not of the benchmark
                results.record_error(f"{name}{arguments}: {type(exc).__name__}: {exc}", name)
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))  # mean `think` seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else float("nan")


async def run_load(
    kind: ClientKind,
    url: str,
    db: Path,
    clients: int,
    duration: float,
    think: float,
    max_calls: int,
    server_pid: int | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    full_mix = tool_mix(Catalogue.load(db))
    mix = [entry for entry in full_mix if only is None or entry[0] == only]
    results = Results()
    connected = asyncio.Barrier(clients + 1)
    start = asyncio.Event()
    deadline = [float("inf")]
    tasks = [
        asyncio.create_task(
            client_loop(
                kind,
                url,
                mix,
                random.Random(seed),
                results,
                # Warmed with every tool even under --only: a server still loading its embedding model
                # in the background would add that CPU (about 5 s) to the one tool's figures.
                warm=full_mix,
                connected=connected,
                start=start,
                deadline=deadline,
                think=think,
                max_calls=max_calls,
            )
        )
        for seed in range(clients)
    ]
    await asyncio.wait_for(connected.wait(), timeout=300)  # every client connected and warm before the clock starts
    cpu_before = (time.process_time(), proc_cpu.sample(server_pid) if server_pid else None)
    began = time.perf_counter()
    deadline[0] = began + duration
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 120)
    elapsed = time.perf_counter() - began
    cpu = cpu_figures(cpu_before, proc_cpu.sample(server_pid) if server_pid else None, elapsed)
    everything = [x for values in results.latencies.values() for x in values]
    ms = lambda x: round(x * 1000, 1)  # noqa: E731
    return {
        "cpu": {**cpu, "ms_per_call": _per_call(cpu, len(everything), elapsed)},
        "client": kind,
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "think_s": think,
        "calls": results.calls,
        "ok": len(everything),
        "errors": sum(results.errors.values()),
        "throughput_per_s": round(len(everything) / elapsed, 1),
        "latency_ms": {
            "p50": ms(percentile(everything, 50)),
            "p95": ms(percentile(everything, 95)),
            "p99": ms(percentile(everything, 99)),
            "max": ms(max(everything, default=float("nan"))),
            "mean": ms(statistics.fmean(everything)) if everything else None,
        },
        "per_tool": {
            name: {
                "calls": len(values),
                "errors": results.errors.get(name, 0),
                "p50_ms": ms(percentile(values, 50)),
                "p99_ms": ms(percentile(values, 99)),
            }
            for name, values in sorted(results.latencies.items())
        },
        "error_samples": results.error_samples,
    }


def cpu_figures(
    before: tuple[float, proc_cpu.CpuSample | None], server_after: proc_cpu.CpuSample | None, elapsed: float
) -> dict[str, Any]:
    """Cores used during the timed run: by the load generator (this process), by the server's processes, and
    by their main (event-loop) threads; independent of how busy the rest of the machine is."""
    figures: dict[str, Any] = {"client_cores": round((time.process_time() - before[0]) / elapsed, 3)}
    if before[1] is not None and server_after is not None:
        used = server_after - before[1]
        figures["server_cores"] = round(used.total / elapsed, 3)
        figures["server_main_thread_cores"] = round(used.main_threads / elapsed, 3)
        figures["server_processes"] = server_after.processes
    return figures


def _per_call(cpu: dict[str, Any], calls: int, elapsed: float) -> dict[str, float]:
    """CPU milliseconds per successful call, client and server."""
    if not calls:
        return {}
    keys = {"client_cores": "client", "server_cores": "server", "server_main_thread_cores": "server_main_threads"}
    return {name: round(cpu[key] * elapsed * 1000 / calls, 2) for key, name in keys.items() if key in cpu}


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`movie-mcp serve --transport streamable-http --workers N` on 127.0.0.1:port, its output discarded."""
    return subprocess.Popen(
        [*SERVER, "serve", "--transport", "streamable-http", "--host", "127.0.0.1", "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=server_env(db),
        cwd=ROOT,
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # the supervisor stops its workers and waits for them
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(args: argparse.Namespace, db: Path, workers: int) -> dict[str, Any]:
    """One load run against a fresh server of `workers` processes; the 1-minute load average beside it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(db, port, workers)
    try:
        wait_for_health(url, proc)
        load_before = os.getloadavg()[0]
        result = asyncio.run(
            run_load(
                args.client,
                f"{url}/mcp",
                db,
                args.clients,
                args.duration,
                args.think,
                args.max_calls,
                proc.pid,
                args.only,
            )
        )
    finally:
        stop_server(proc)
    return {"workers": workers, "loadavg_1m_before": round(load_before, 2), "loadavg_1m_after": _load1(), **result}


def _load1() -> float:
    return round(os.getloadavg()[0], 2)


def one_line(run: dict[str, Any]) -> str:
    lat = run["latency_ms"]
    return (
        f"workers {run['workers']}, {run['clients']} {run['client']} clients x {run['duration_s']}s"
        f" (think {run['think_s']}s): {run['throughput_per_s']} calls/s, p50 {lat['p50']} ms, p95 {lat['p95']} ms,"
        f" p99 {lat['p99']} ms, errors {run['errors']}/{run['calls']}, load {run['loadavg_1m_before']}"
        f" -> {run['loadavg_1m_after']}; cores used: server {run['cpu'].get('server_cores')},"
        f" client {run['cpu']['client_cores']}; CPU ms per call: {run['cpu']['ms_per_call']}"
    )


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per worker count: the median calls/s and p99 over the repetitions, and the ratio to the fewest workers."""
    by_workers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_workers[run["workers"]].append(run)
    summary = {
        str(w): {
            "runs": len(rs),
            "median_calls_per_s": statistics.median(r["throughput_per_s"] for r in rs),
            "median_p50_ms": statistics.median(r["latency_ms"]["p50"] for r in rs),
            "median_p99_ms": statistics.median(r["latency_ms"]["p99"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
        }
        for w, rs in sorted(by_workers.items())
    }
    base = summary[str(min(by_workers))]["median_calls_per_s"]
    for figures in summary.values():
        figures["speed_up"] = round(figures["median_calls_per_s"] / base, 2) if base else None
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Settings.from_env().db_path, help="database (default: db/movies.db)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a client's calls, seconds")
    parser.add_argument("--max-calls", type=int, default=200_000, help="stop after this many calls in all")
    parser.add_argument("--cold-starts", type=int, default=3, help="stdio cold starts to time (0 to skip)")
    parser.add_argument(
        "--workers", default="1", help="server processes; a comma list (1,2) runs each in turn (default 1)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs of each worker count, alternating (default 1)")
    parser.add_argument(
        "--client", choices=["raw", "sdk"], default="raw", help="raw stateless POSTs (cheap) or SDK sessions"
    )
    parser.add_argument("--only", help="call only this tool (its server CPU per call, alone)")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    db = args.db.resolve()
    if not db.exists():
        print(f"no database at {db}; run `make db`", file=sys.stderr)
        return 2
    try:
        counts = [int(w) for w in args.workers.split(",")]
    except ValueError:
        print(f"--workers takes numbers separated by commas, e.g. 1,2; got {args.workers!r}", file=sys.stderr)
        return 2

    if args.only is not None and args.only not in {name for name, _, _ in tool_mix(Catalogue.load(db))}:
        print(
            f"--only takes one of the mix's tools: {', '.join(n for n, _, _ in tool_mix(Catalogue.load(db)))}",
            file=sys.stderr,
        )
        return 2
    report: dict[str, Any] = {"database": str(db), "cpus": os.cpu_count()}
    if args.cold_starts:
        times = cold_start_seconds(db, args.cold_starts)
        report["cold_start_to_initialize_s"] = {"median": round(statistics.median(times), 2), "runs": times}
    runs = []
    for _ in range(args.repeats):
        for workers in counts:  # alternating, so a change in the machine's load falls on every count alike
            runs.append(measure(args, db, workers))
            print(f"load_http: {one_line(runs[-1])}", file=sys.stderr)
    report["runs"] = runs
    report["summary"] = summarise(runs)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    for workers, figures in report["summary"].items():
        print(f"load_http summary: workers {workers}: {json.dumps(figures)}", file=sys.stderr)
    if "cold_start_to_initialize_s" in report:
        print(f"cold start to initialize: {report['cold_start_to_initialize_s']['median']} s (median)", file=sys.stderr)
    return 0 if all(r["errors"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
