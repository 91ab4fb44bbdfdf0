"""Load test: concurrent MCP clients over Streamable HTTP against the real server, on loopback only.

Starts `movie-mcp serve --transport streamable-http` on a free 127.0.0.1 port as a subprocess, opens
`--clients` SDK client sessions (default 50), and has each call a mix of the non-LLM tools with random
real arguments for `--duration` seconds (default 30), pausing `--think` seconds between its calls
(default 0: back to back, the heaviest load). Reports throughput, p50/p95/p99/max latency overall and per
tool, and errors (exceptions and isError results; the arguments are valid, so both count). Bounded in
time and in calls (`--max-calls`), and it stops the server at the end.

Also measures the cold start: seconds from launching `movie-mcp serve` (stdio) to its `initialize` reply.

    .venv/bin/python -m benchmarks.load_http [--clients 50] [--duration 30] [--think 0] [--db db/movies.db]
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp import Client

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


def tool_mix(cat: Catalogue) -> list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]]:
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


async def client_loop(
    url: str,
    mix: list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]],
    rng: random.Random,
    results: Results,
    *,
    connected: asyncio.Barrier,
    start: asyncio.Event,
    deadline: list[float],
    think: float,
    max_calls: int,
) -> None:
    """One MCP session: connect, wait for everyone, then call tools until the deadline."""
    names = [name for name, _, _ in mix]
    weights = [weight for _, weight, _ in mix]
    makers = {name: maker for name, _, maker in mix}
    async with Client(url, read_timeout_seconds=30) as client:
        await client.list_tools()  # what every real client does first; also warms the session
        await connected.wait()
        await start.wait()
        while time.perf_counter() < deadline[0] and results.calls < max_calls:
            name = rng.choices(names, weights)[0]
            arguments = makers[name](rng)
            results.calls += 1
            began = time.perf_counter()
            try:
                result = await client.call_tool(name, arguments)
                elapsed = time.perf_counter() - began
                if result.is_error:
                    results.errors[name] += 1
                    if len(results.error_samples) < 5:
                        results.error_samples.append(f"{name}{arguments}: {result.content[0].text[:200]}")
                else:
                    results.latencies[name].append(elapsed)
            except Exception as exc:  # a transport failure is an error of the run, not of the benchmark
                results.errors[name] += 1
                if len(results.error_samples) < 5:
                    results.error_samples.append(f"{name}{arguments}: {type(exc).__name__}: {exc}")
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))  # mean `think` seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else float("nan")


async def warm_up(url: str, mix: list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]]) -> None:
    """Call every tool once, so the clock starts with everything loaded (the embedding model takes seconds)."""
    rng = random.Random(-1)
    async with Client(url, read_timeout_seconds=300) as client:
        for name, _, maker in mix:
            result = await client.call_tool(name, maker(rng))
            if result.is_error:
                raise RuntimeError(f"warm-up call {name} failed: {result.content[0].text}")


async def run_load(url: str, db: Path, clients: int, duration: float, think: float, max_calls: int) -> dict[str, Any]:
    mix = tool_mix(Catalogue.load(db))
    await warm_up(url, mix)
    results = Results()
    connected = asyncio.Barrier(clients + 1)
    start = asyncio.Event()
    deadline = [float("inf")]
    tasks = [
        asyncio.create_task(
            client_loop(
                url,
                mix,
                random.Random(seed),
                results,
                connected=connected,
                start=start,
                deadline=deadline,
                think=think,
                max_calls=max_calls,
            )
        )
        for seed in range(clients)
    ]
    await asyncio.wait_for(connected.wait(), timeout=120)  # every session open before the clock starts
    began = time.perf_counter()
    deadline[0] = began + duration
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 120)
    elapsed = time.perf_counter() - began
    everything = [x for values in results.latencies.values() for x in values]
    ms = lambda x: round(x * 1000, 1)  # noqa: E731
    return {
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Settings.from_env().db_path, help="database (default: db/movies.db)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a client's calls, seconds")
    parser.add_argument("--max-calls", type=int, default=200_000, help="stop after this many calls in all")
    parser.add_argument("--cold-starts", type=int, default=3, help="stdio cold starts to time (0 to skip)")
    args = parser.parse_args(argv)
    db = args.db.resolve()
    if not db.exists():
        print(f"no database at {db}; run `make db`", file=sys.stderr)
        return 2

    report: dict[str, Any] = {"database": str(db)}
    if args.cold_starts:
        times = cold_start_seconds(db, args.cold_starts)
        report["cold_start_to_initialize_s"] = {"median": round(statistics.median(times), 2), "runs": times}

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [*SERVER, "serve", "--transport", "streamable-http", "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=server_env(db),
        cwd=ROOT,
    )
    try:
        wait_for_health(url, proc)
        report["load"] = asyncio.run(
            run_load(f"{url}/mcp", db, args.clients, args.duration, args.think, args.max_calls)
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    load = report["load"]
    lat = load["latency_ms"]
    print(json.dumps(report, indent=2))
    print(
        f"load_http: {load['clients']} clients x {load['duration_s']}s (think {load['think_s']}s):"
        f" {load['throughput_per_s']} calls/s, p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms,"
        f" errors {load['errors']}/{load['calls']}",
        file=sys.stderr,
    )
    if "cold_start_to_initialize_s" in report:
        print(f"cold start to initialize: {report['cold_start_to_initialize_s']['median']} s (median)", file=sys.stderr)
    return 0 if load["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
