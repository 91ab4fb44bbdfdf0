"""Benchmark: LLM enrichment of 200 movies, batched and concurrent vs one movie per request in sequence.

Runs against a fake OpenAI-compatible server (benchmarks/fake_openai_server.py) with 500 ms of latency per
request, on copies of the built database (each run gets a fresh copy, so the LLM cache cannot help either).

    .venv/bin/python -m benchmarks.llm_enrichment [--movies 200] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.fake_openai_server import FakeOpenAIServer
from core.config import DEFAULT_DB_PATH, Settings
from core.enrichment.service import MAX_PER_CALL, enrich_movies
from core.llm.config import LLMSettings
from core.runtime import MovieApp


async def _enrich(db: Path, llm: LLMSettings, movies: int) -> dict[str, Any]:
    app = MovieApp(Settings(db_path=db, llm=llm), preload_embedder=False)
    await app.load()
    await app.ready()
    ids = [
        r[0]
        for r in await (
            await app.db.execute("SELECT movie_id FROM movies ORDER BY rating_count DESC LIMIT ?", (movies,))
        ).fetchall()
    ]
    started = time.perf_counter()
    enriched = fell_back = 0
    for start in range(0, len(ids), MAX_PER_CALL):
        report = await enrich_movies(app, movie_ids=ids[start : start + MAX_PER_CALL], force=True)
        enriched += len(report.enriched)
        fell_back += len(report.fell_back_to_offline)
    seconds = time.perf_counter() - started
    usage = app.engine.usage()
    await app.close()
    return {"seconds": round(seconds, 2), "enriched": enriched, "fell_back": fell_back, **usage}


def run(source_db: Path, movies: int, latency: float) -> dict[str, Any]:
    results: dict[str, Any] = {"movies": movies, "latency_s": latency, "cores": os.cpu_count()}
    with FakeOpenAIServer(latency=latency) as fake, tempfile.TemporaryDirectory() as tmp:
        base = LLMSettings(base_url=fake.base_url, api_key="bench", model="fake-model", timeout=30.0)
        variants = {
            "sequential, 1 movie per request": dataclasses.replace(base, batch_size=1, concurrency=1),
            "batched (10 per request), 8 in flight": dataclasses.replace(base, batch_size=10, concurrency=8),
        }
        for name, settings in variants.items():
            db = Path(tmp) / f"{len(results)}.db"
            shutil.copy(source_db, db)
            results[name] = asyncio.run(_enrich(db, settings, movies))
    slow, fast = (results[name]["seconds"] for name in variants)
    results["speedup"] = round(slow / fast, 1) if fast else None
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--movies", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=Path("bench-results/llm_enrichment.json"))
    args = parser.parse_args()
    results = run(args.db, args.movies, args.latency)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"LLM enrichment of {args.movies} movies, {args.latency * 1000:.0f} ms per request, {results['cores']} cores")
    print(f"{'variant':42} {'seconds':>8} {'requests':>9} {'prompt tok':>11} {'compl. tok':>11} {'fallbacks':>9}")
    for name, row in results.items():
        if isinstance(row, dict):
            print(
                f"{name:42} {row['seconds']:>8} {row.get('requests', 0):>9} {row.get('prompt_tokens', 0):>11}"
                f" {row.get('completion_tokens', 0):>11} {row['fell_back']:>9}"
            )
    print(f"speed-up: {results['speedup']}x (goal: at least 20x)")


if __name__ == "__main__":
    main()
