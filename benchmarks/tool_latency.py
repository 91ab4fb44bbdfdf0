"""Benchmark: warm in-process latency of every tool, through the MCP layer and directly on the core function.

One server over the database (default `db/movies.db`) is driven by the in-memory MCP client
(`mcp.Client`), so a call pays argument validation, the JSON-RPC round trip over memory streams and
output-model serialisation; the same `MovieApp` is also called directly through the core function,
so the difference is the MCP overhead. Each case gets its own realistic, varied arguments (different
users, movies, titles, descriptive queries and filters, drawn with a fixed seed from the database),
the two paths alternate call by call so background load hits both alike, and warm-up calls are not
counted. `enrich_movies(force=true)` writes, so it runs on a temporary copy of the database.

    .venv/bin/python -m benchmarks.tool_latency [--calls 200] [--db db/movies.db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.report import (
    GOAL_ALS_P50_MS,
    GOAL_SEMANTIC_P50_MS,
    GOAL_TOOL_P95_MS,
    RESULTS_DIR,
    Goal,
    finish,
    header,
    latency_stats,
    machine_info,
    make_offline,
    print_goals,
    process_memory_mb,
    quiet_logs,
    table,
    write_json,
)

make_offline()

from core.config import DEFAULT_DB_PATH, Settings  # noqa: E402

WARMUP_CALLS = 10

# Descriptive queries: who × what × where, so every semantic call embeds a different text.
_WHO = [
    "a detective",
    "two old friends",
    "a family",
    "a young woman",
    "an astronaut",
    "a group of teenagers",
    "a retired soldier",
    "a con artist",
    "a small-town sheriff",
    "a lonely robot",
    "a struggling musician",
    "a ghost",
]
_WHAT = [
    "hunts a serial killer",
    "falls in love",
    "plans a bank heist that goes wrong",
    "survives a natural disaster",
    "travels back in time",
    "fights an alien invasion",
    "searches for a lost treasure",
    "grows up and leaves home",
    "escapes from prison",
    "solves a murder mystery",
    "takes revenge on a gang",
    "tries to save a failing business",
]
_WHERE = [
    "in New York",
    "in outer space",
    "during World War II",
    "in a haunted house",
    "in the Wild West",
    "in a dystopian future",
    "on a road trip across America",
    "in high school",
    "in Paris",
    "on a ship at sea",
    "in a small village",
    "in ancient Rome",
]
# Requests in plain words for the recommender (the offline parser turns them into filters).
_REQUESTS = [
    "90s comedies",
    "action movies with high revenue",
    "family movies under 100 minutes",
    "dramas from the 80s",
    "sci-fi thrillers",
    "animated movies for kids",
    "horror movies from the 70s",
    "romantic comedies",
    "crime movies after 2000",
    "westerns",
    "war movies",
    "low budget dramas",
    "adventure movies from the 90s for kids",
    "short comedies under 90 minutes",
    "documentaries",
    "mysteries from the 60s",
]
_SENTIMENTS = ["positive", "negative", "neutral", "mixed"]
_BUDGET_TIERS = ["low", "medium", "high", "ultra_high", "unknown"]
_AUDIENCES = ["kids", "family", "teens", "adults"]
_ENRICHED_ORDERS = ["effectiveness", "rating", "popularity", "year", "revenue", "budget", "title"]
_RATING_SORTS = ["recent", "oldest", "highest", "lowest", "title"]


@dataclass(frozen=True)
class Case:
    """One benchmark row: a tool with one kind of arguments."""

    name: str
    tool: str
    goal: str | None = None  # "als", "semantic": which p50 goal applies (the p95 goal applies to every case)


CASES: tuple[Case, ...] = (
    Case("search_movies", "search_movies"),
    Case("get_movie_details", "get_movie_details"),
    Case("get_user_ratings", "get_user_ratings"),
    Case("get_random_movies", "get_random_movies"),
    Case("get_movie_recommendations", "get_movie_recommendations"),
    Case("get_movie_recommendations engine=als", "get_movie_recommendations", goal="als"),
    Case("get_movie_recommendations liked_movies", "get_movie_recommendations"),
    Case("get_movie_recommendations +query", "get_movie_recommendations"),
    Case("get_movie_recommendations hybrid", "get_movie_recommendations"),
    Case("predict_rating", "predict_rating"),
    Case("semantic_search", "semantic_search", goal="semantic"),
    Case("semantic_search +filters", "semantic_search"),
    Case("get_enriched_movies", "get_enriched_movies"),
    Case("summarize_user_preferences", "summarize_user_preferences"),
    Case("compare_movies", "compare_movies"),
    Case("enrich_movies force (temp copy)", "enrich_movies"),
)


def _title_query(rng: random.Random, title: str) -> str:
    """How people type titles: whole, a leading word or two, or a word cut short (prefix search)."""
    words = [w for w in title.replace(":", " ").split() if any(ch.isalnum() for ch in w)]
    kind = rng.random()
    if kind < 0.4 or len(words) < 2:
        return title.lower()
    if kind < 0.8:
        return " ".join(words[: rng.randint(1, min(2, len(words)))])
    word = max(words, key=len)
    return word[: max(3, len(word) - 2)]


def sample_arguments(db: Path | None, n: int, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """`n` argument sets per case, drawn reproducibly from the database's users, movies and titles."""
    from core.data import sqlite
    from core.data.genres import CANONICAL_GENRES

    conn = sqlite.connect_sync(db or DEFAULT_DB_PATH, read_only=True)
    try:
        users = [r[0] for r in conn.execute("SELECT user_id FROM users ORDER BY user_id")]
        rated = [tuple(r) for r in conn.execute("SELECT movie_id, title FROM movies WHERE rating_count > 0")]
        popular = [r[0] for r in conn.execute("SELECT title FROM movies ORDER BY rating_count DESC LIMIT 500")]
        genres = [g for (g,) in conn.execute("SELECT name FROM genres") if g in CANONICAL_GENRES]
        movies_by_user: dict[int, list[int]] = {}
        for user, movie in conn.execute("SELECT user_id, movie_id FROM ratings WHERE rating >= 4"):
            movies_by_user.setdefault(user, []).append(movie)
    finally:
        conn.close()
    rng = random.Random(seed)
    descriptions = [f"{w} {x} {y}" for w in _WHO for x in _WHAT for y in _WHERE]
    rng.shuffle(descriptions)
    movie_ids = [m for m, _ in rated]

    def user() -> int:
        return rng.choice(users)

    def title() -> str:  # half from the popular head, half from the whole catalogue: the long tail
        return rng.choice(popular) if rng.random() < 0.5 else rng.choice(rated)[1]

    def year_range() -> tuple[int, int]:
        start = rng.randrange(1930, 2011, 10)
        return start, start + rng.choice([9, 19, 29])

    def semantic_filters() -> dict[str, Any]:
        low, high = year_range()
        args: dict[str, Any] = {"genre": rng.choice(genres), "min_year": low, "max_year": high}
        if rng.random() < 0.3:
            args["max_runtime"] = rng.choice([90, 100, 120])
        return args

    def random_movies() -> dict[str, Any]:
        args: dict[str, Any] = {"n": rng.randint(1, 20), "seed": rng.randrange(10**6)}
        if rng.random() < 0.5:
            args["genre"] = rng.choice(genres)
        if rng.random() < 0.4:
            args["min_year"], args["max_year"] = year_range()
        if rng.random() < 0.2:
            args["enriched_only"] = True
        return args

    def enriched() -> dict[str, Any]:
        args: dict[str, Any] = {"order_by": rng.choice(_ENRICHED_ORDERS), "limit": rng.choice([10, 20])}
        for key, values, p in (
            ("sentiment", _SENTIMENTS, 0.4),
            ("budget_tier", _BUDGET_TIERS, 0.4),
            ("target_audience", _AUDIENCES, 0.4),
            ("genre", genres, 0.3),
        ):
            if rng.random() < p:
                args[key] = rng.choice(values)
        return args

    def liked() -> list[int | str]:
        pool = movies_by_user[rng.choice(list(movies_by_user))]
        picks: list[int | str] = list(rng.sample(pool, min(len(pool), rng.randint(1, 8))))
        if rng.random() < 0.3:
            picks[0] = title()  # titles resolve through the title index
        return picks

    generators: dict[str, Callable[[int], dict[str, Any]]] = {
        "search_movies": lambda i: {"query": _title_query(rng, title()), "limit": rng.choice([5, 10, 20])},
        "get_movie_details": lambda i: {"movie_id": rng.choice(movie_ids)} if i % 5 else {"title": title()},
        "get_user_ratings": lambda i: {
            "user_id": user(),
            "limit": rng.choice([10, 20, 50]),
            "offset": rng.choice([0, 0, 0, 20]),
            "sort": rng.choice(_RATING_SORTS),
        },
        "get_random_movies": lambda i: random_movies(),
        "get_movie_recommendations": lambda i: {"user_id": user(), "n": 10},
        "get_movie_recommendations engine=als": lambda i: {"user_id": user(), "n": 10, "engine": "als"},
        "get_movie_recommendations liked_movies": lambda i: {"liked_movies": liked(), "n": 10},
        "get_movie_recommendations +query": lambda i: {"user_id": user(), "n": 10, "query": rng.choice(_REQUESTS)},
        "get_movie_recommendations hybrid": lambda i: {
            "user_id": user(),
            "n": 10,
            "engine": "hybrid",
            "query": rng.choice(_REQUESTS) if i % 2 else descriptions[-1 - i % len(descriptions)],
        },
        "predict_rating": lambda i: {"user_id": user(), "movie_id": rng.choice(movie_ids)},
        "semantic_search": lambda i: {"query": descriptions[i % len(descriptions)], "k": 10},
        "semantic_search +filters": lambda i: {
            "query": descriptions[(i * 7 + 3) % len(descriptions)],
            "k": 10,
            **semantic_filters(),
        },
        "get_enriched_movies": lambda i: enriched(),
        "summarize_user_preferences": lambda i: {"user_id": user()},
        "compare_movies": lambda i: {"movie_ids": rng.sample(movie_ids, rng.randint(2, 5))},
        "enrich_movies force (temp copy)": lambda i: {"movie_ids": rng.sample(movie_ids, 10), "force": True},
    }
    # Warm-up calls take the first WARMUP_CALLS sets, so the measured ones start after them.
    return {case.name: [generators[case.name](i) for i in range(n + WARMUP_CALLS)] for case in CASES} | {
        case.tool: [generators[case.tool](i) for i in range(n)] for case in CASES if case.tool == case.name
    }


def core_functions() -> dict[str, Callable[..., Awaitable[Any]]]:
    """Tool name -> the core function its adapter calls (same keyword arguments)."""
    from core.enrichment import service as enrich
    from core.search.filters import RandomFilters, SemanticFilters
    from core.services import catalogue, compare, predict, ratings, recommend
    from core.services import preferences as profile
    from core.services import semantic_search as semantic

    async def semantic_search(app: Any, query: str, k: int = 10, **filters: Any) -> Any:
        # The tool's flat filter arguments become one `SemanticFilters`, as its adapter does.
        return await semantic.semantic_search(app, query, k, SemanticFilters(**filters))

    async def get_random_movies(
        app: Any, n: int = 5, enriched_only: bool = False, seed: int | None = None, **filters: Any
    ) -> Any:
        return await catalogue.get_random_movies(app, n, RandomFilters(**filters), enriched_only, seed)

    return {
        "search_movies": catalogue.search_movies,
        "get_movie_details": catalogue.get_movie_details,
        "get_user_ratings": ratings.get_user_ratings,
        "get_random_movies": get_random_movies,
        "get_movie_recommendations": recommend.get_movie_recommendations,
        "predict_rating": predict.predict_rating,
        "semantic_search": semantic_search,
        "get_enriched_movies": catalogue.get_enriched_movies,
        "summarize_user_preferences": profile.summarize_user_preferences,
        "compare_movies": compare.compare_movies,
        "enrich_movies": enrich.enrich_movies,
    }


# Seconds the Python SDK client spent re-validating each answer against the tool's output schema (pure-Python
# jsonschema: ~2 ms for ten recommendations). A client's own cost, not the server's: reported beside the p50.
_validation_seconds: list[float] = []


def _time_client_validation() -> None:
    """Wrap the SDK client's output-schema validation so each call's share of the MCP time is known."""
    from mcp.client.session import ClientSession

    validate = ClientSession.validate_tool_result
    if getattr(validate, "timed", False):
        return

    async def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await validate(self, *args, **kwargs)
        finally:
            _validation_seconds.append(time.perf_counter() - started)

    timed.timed = True  # type: ignore[attr-defined]
    ClientSession.validate_tool_result = timed  # type: ignore[method-assign]


async def _timed_mcp(client: Any, tool: str, args: dict[str, Any]) -> tuple[float, str | None]:
    """One call through the MCP client: (seconds, error text or None)."""
    started = time.perf_counter()
    result = await client.call_tool(tool, args)
    seconds = time.perf_counter() - started
    error = " ".join(getattr(c, "text", "") for c in result.content)[:200] if result.is_error else None
    return seconds, error


async def _timed_core(fn: Callable[..., Awaitable[Any]], app: Any, args: dict[str, Any]) -> tuple[float, str | None]:
    """One direct call of the core function: (seconds, error text or None)."""
    started = time.perf_counter()
    try:
        await fn(app, **args)
    except Exception as exc:  # recorded, not fatal: the table shows the error count
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200]
    return time.perf_counter() - started, None


async def _measure(db: Path, calls: int, cases: list[Case]) -> dict[str, Any]:
    from mcp import Client

    from core.runtime import MovieApp
    from server.app import create_server

    arguments = sample_arguments(db, calls)
    functions = core_functions()
    _time_client_validation()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="movie-mcp-bench-latency-") as tmp:
        copy = Path(tmp) / "movies.db"
        shutil.copy(db, copy)
        app = MovieApp(Settings(db_path=db))
        writer = MovieApp(Settings(db_path=copy), embedder=app.embedder)  # shares the loaded model
        async with (
            Client(create_server(movie_app=app), raise_exceptions=False) as client,
            Client(create_server(movie_app=writer), raise_exceptions=False) as write_client,
        ):
            quiet_logs()
            await app.embedder_ready()
            await writer.ready()
            loaded = time.perf_counter() - started
            import torch  # already imported by the embedding model; its thread count matters under load

            torch_threads = torch.get_num_threads()
            rows: dict[str, Any] = {}
            for case in cases:
                writes = case.tool == "enrich_movies"
                target, mcp_client = (writer, write_client) if writes else (app, client)
                fn = functions[case.tool]
                mcp_times: list[float] = []
                core_times: list[float] = []
                validation_times: list[float] = []
                errors: list[str] = []
                for i, args in enumerate(arguments[case.name]):
                    # Alternate which path goes first, so neither always runs on a cache the other warmed.
                    for use_mcp in (True, False) if i % 2 else (False, True):
                        if use_mcp:
                            _validation_seconds.clear()
                            seconds, error = await _timed_mcp(mcp_client, case.tool, args)
                            if i >= WARMUP_CALLS:
                                validation_times.append(sum(_validation_seconds))
                        else:
                            seconds, error = await _timed_core(fn, target, args)
                        if i >= WARMUP_CALLS:
                            (mcp_times if use_mcp else core_times).append(seconds)
                        if error:
                            errors.append(error)
                rows[case.name] = {
                    "tool": case.tool,
                    "mcp": latency_stats(mcp_times),
                    "core": latency_stats(core_times),
                    "client_validation": latency_stats(validation_times),
                    "mcp_without_client_validation": latency_stats(
                        [t - v for t, v in zip(mcp_times, validation_times, strict=True)]
                    ),
                    "errors": len(errors),
                    "first_errors": sorted(set(errors))[:3],
                    "example_arguments": arguments[case.name][WARMUP_CALLS],
                }
    return {"load_seconds": round(loaded, 2), "torch_threads": torch_threads, "cases": rows}


def _goals(cases: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {c.name: c for c in CASES}
    goals: list[dict[str, Any]] = []
    for name, row in cases.items():
        case = by_name[name]
        if case.goal == "als":
            goals.append(Goal("ALS recommendations p50", row["mcp"]["p50_ms"], GOAL_ALS_P50_MS, "ms", name).as_dict())
        if case.goal == "semantic":
            goals.append(
                Goal(
                    "semantic_search p50 (query embedding included)",
                    row["mcp"]["p50_ms"],
                    GOAL_SEMANTIC_P50_MS,
                    "ms",
                    name,
                ).as_dict()
            )
    # No LLM is configured here, so every case is a non-LLM tool.
    worst = max(cases.items(), key=lambda kv: kv[1]["mcp"].get("p95_ms", 0.0), default=None)
    if worst is not None:
        goals.append(
            Goal(
                "every non-LLM tool p95 (worst case shown)", worst[1]["mcp"]["p95_ms"], GOAL_TOOL_P95_MS, "ms", worst[0]
            ).as_dict()
        )
    return goals


def run(db: Path, calls: int, only: list[str] | None = None) -> dict[str, Any]:
    machine = machine_info()
    cases = [c for c in CASES if not only or c.name in only or c.tool in only]
    measured = asyncio.run(_measure(db, calls, cases))
    results: dict[str, Any] = {
        "db": str(db),
        "calls_per_case": calls,
        "warmup_calls": WARMUP_CALLS,
        "engine": "offline (no LLM configured)",
        **measured,
        "in_process_memory_mb": process_memory_mb(),
    }
    results["goals"] = _goals(results["cases"])
    finish(results, machine)
    return results


def print_report(results: dict[str, Any]) -> None:
    print(
        header(
            f"Tool latency in-process, warm: {results['calls_per_case']} calls per row, MCP client vs core function",
            results["machine"],
        )
    )
    rows = []
    for name, row in results["cases"].items():
        mcp, core = row["mcp"], row["core"]
        overhead = mcp["p50_ms"] - core["p50_ms"] if mcp.get("n") and core.get("n") else None
        rows.append(
            [
                name,
                mcp.get("p50_ms"),
                mcp.get("p95_ms"),
                core.get("p50_ms"),
                core.get("p95_ms"),
                overhead,
                row["client_validation"].get("p50_ms"),
                row["mcp_without_client_validation"].get("p50_ms"),
                row["errors"],
            ]
        )
    headers = ["case", "MCP p50 ms", "MCP p95 ms", "core p50 ms", "core p95 ms", "MCP overhead p50"]
    print(table([*headers, "client validation p50", "MCP p50 less validation", "errors"], rows))
    for name, row in results["cases"].items():
        for error in row["first_errors"]:
            print(f"error in {name}: {error}")
    memory = results["in_process_memory_mb"]
    print(f"this process (server + client + benchmark) after the run: {memory.get('VmRSS')} MB resident")
    print_goals(results["goals"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--calls", type=int, default=200, help="measured calls per case (after warm-up)")
    parser.add_argument("--only", nargs="*", help="case or tool names to run (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "tool_latency.json")
    args = parser.parse_args()
    results = run(args.db, args.calls, args.only)
    write_json(args.out, results)
    print_report(results)


if __name__ == "__main__":
    main()
