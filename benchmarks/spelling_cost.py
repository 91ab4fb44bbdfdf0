"""What typo mending adds to one plot search: `lexical.mended_words` timed over the tuning splits' queries.

    python -m benchmarks.spelling_cost --db /path/to/movies-dataset.db [--repeat 20]

The vocabulary is built once first (and its cost reported apart): it is read once per database, not per
query. Each query's content words are mended `repeat` times; the per-query time includes the index check
(one SQLite statement) for queries with a word no document holds. The test split is not read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from core.config import Settings
from core.evaluation.semantic_search import SPLITS, load_cases
from core.runtime import MovieApp
from core.search import lexical
from core.search.rewrite import rewrite_query

TUNING_SPLITS = ("committed", "dev", "dev2")


async def measure(db_path: Path, repeat: int) -> dict[str, float]:
    app = MovieApp(Settings(db_path=db_path), preload_embedder=False)
    await app.load()
    try:
        queries = [lexical.content_words(rewrite_query(c.query)) for s in TUNING_SPLITS for c in load_cases(SPLITS[s])]
        started = time.perf_counter()
        await lexical.mended_words(app, queries[0])  # builds the vocabulary
        vocabulary_ms = (time.perf_counter() - started) * 1000
        per_query = []
        for words in queries:
            started = time.perf_counter()
            for _ in range(repeat):
                await lexical.mended_words(app, words)
            per_query.append((time.perf_counter() - started) * 1000 / repeat)
        per_query.sort()
        return {
            "queries": len(per_query),
            "vocabulary_build_ms": round(vocabulary_ms, 1),
            "mean_ms": round(statistics.fmean(per_query), 4),
            "p50_ms": round(per_query[len(per_query) // 2], 4),
            "p95_ms": round(per_query[int(len(per_query) * 0.95)], 4),
            "max_ms": round(per_query[-1], 4),
        }
    finally:
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(asyncio.run(measure(args.db, args.repeat)))


if __name__ == "__main__":
    main()
