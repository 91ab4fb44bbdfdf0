"""Benchmark: exact vs two-stage vector search at a large catalogue, and the two-stage search's recall.

Latency. The default data replicated k times (benchmarks/scaling.py's synthetic catalogue; k=7 gives
63,462 movies) through the build's catalogue and enrichment stages, with random unit vectors (the scan
costs the same whatever the vectors hold) and the two-stage tables the build writes above
TWO_STAGE_MIN_VECTORS. Then, warm, p50/p95 of: the exact vec0 KNN and the two-stage KNN at k=10 and
k=50 (what semantic_search asks for: the hybrid's depth), with and without a year + genre filter,
and `semantic_search` itself, MiniLM query embedding included, through the two-stage tables and with
them ignored (the exact scan on the same file).

Recall@k of the two-stage search against the exact top-k (what the candidate count is chosen from),
computed in numpy on the same sign bits vec0 keeps, for several candidate counts, on:
- the default database's real MiniLM vectors (9,066), queries: 300 movies' own vectors (themselves
  excluded) and the descriptive queries of core/evaluation/data (test split left out), embedded;
- 60,000 random unit vectors (no neighbour structure: the worst case for sign bits);
- with --minilm-cache, 60,000 MiniLM vectors of real overviews from ../shared/data plus mixes of two
  (the first half of one overview, the second half of another), embedded once and cached (~4 min on
  a quiet 2-core machine, much longer when busy).
The recall of the real SQL path (knn against exact_knn) is also measured on the latency database's vectors.

    .venv/bin/python -m benchmarks.vector_search [--scale 7] [--calls 200] [--minilm-cache /tmp/minilm60k.npy]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import RESULTS_DIR, finish, header, latency_stats, machine_info, make_offline, table, write_json

make_offline()

from core.config import DEFAULT_DB_PATH  # noqa: E402
from core.data.schema import EMBEDDING_DIM  # noqa: E402
from core.data.store.vectors import CANDIDATES_PER_RESULT, TWO_STAGE_CANDIDATES  # noqa: E402

CANDIDATE_COUNTS = (100, 200, 400, 600, 800, 1200)
RECALL_KS = (10, 50)
EVAL_QUERY_FILES = ("semantic_queries_dev.json", "semantic_queries.json", "queries.json")  # not the test split
SHARED_OVERVIEWS = Path("../shared/data/movies-dataset/movies_metadata.csv")


# --- recall -----------------------------------------------------------------------------------------


def bit_recall(vectors: np.ndarray, queries: np.ndarray, exclude: np.ndarray | None = None) -> dict[str, float]:
    """Recall@k of "nearest candidates by Hamming distance of the sign bits, re-scored by cosine" against
    the exact cosine top-k, per k in RECALL_KS and candidate count; `exclude[i]` is query i's own row."""
    exact_scores = queries @ vectors.T
    agreement = np.where(queries > 0, 1.0, -1.0).astype(np.float32) @ np.where(vectors > 0, 1.0, -1.0).T.astype(
        np.float32
    )  # = dimensions - 2 × Hamming distance
    if exclude is not None:
        rows = np.arange(len(queries))
        exact_scores[rows, exclude] = agreement[rows, exclude] = -np.inf
    by_bits = np.argsort(-agreement, axis=1, kind="stable")[:, : max(CANDIDATE_COUNTS)]
    out: dict[str, float] = {}
    for k in RECALL_KS:
        exact = np.argsort(-exact_scores, axis=1)[:, :k]
        for candidates in CANDIDATE_COUNTS:
            found = by_bits[:, :candidates]
            rescored = np.take_along_axis(found, np.argsort(-np.take_along_axis(exact_scores, found, 1), axis=1), 1)
            hits = [len(set(a) & set(b[:k])) / k for a, b in zip(exact, rescored, strict=True)]
            out[f"recall@{k}, {candidates} candidates"] = round(float(np.mean(hits)), 3)
    return out


def _default_vectors(db: Path) -> np.ndarray:
    from core.data import sqlite

    conn = sqlite.connect_sync(db, read_only=True)
    try:
        blobs = [r[0] for r in conn.execute("SELECT embedding FROM movie_vectors")]
    finally:
        conn.close()
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), EMBEDDING_DIM)


def _eval_queries() -> list[str]:
    folder = Path(__file__).resolve().parents[1] / "core" / "evaluation" / "data"
    return [q["query"] for name in EVAL_QUERY_FILES for q in json.loads((folder / name).read_text())["queries"]]


def mixed_overview_texts(n: int, seed: int = 7) -> list[str]:
    """The shared data's real overviews (over 80 characters), then mixes of two until there are n."""
    import pandas as pd

    column = pd.read_csv(SHARED_OVERVIEWS, usecols=["overview"], low_memory=False)["overview"]
    real = [o for o in column.dropna().astype(str) if len(o) > 80]
    rng = random.Random(seed)
    texts = list(real)
    while len(texts) < n:
        a, b = (re.split(r"(?<=[.!?])\s+", rng.choice(real).strip()) for _ in range(2))
        texts.append(" ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :]))
    return texts[:n]


def recall_figures(base_db: Path, minilm_cache: Path | None, embedder: Any) -> dict[str, Any]:
    """bit_recall on the real vectors (movie and text queries), random vectors and, optionally, 60k MiniLM."""
    out: dict[str, Any] = {}
    real = _default_vectors(base_db)
    picks = np.random.default_rng(0).choice(len(real), 300, replace=False)
    out[f"default data, {len(real):,} MiniLM vectors, 300 movie queries"] = bit_recall(real, real[picks], picks)
    texts = _eval_queries()
    out[f"default data, {len(texts)} descriptive text queries"] = bit_recall(real, embedder.encode(texts))
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((60_000, EMBEDDING_DIM), dtype=np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    out["60,000 random unit vectors, 300 of them as queries"] = bit_recall(noise, noise[:300], np.arange(300))
    del noise
    if minilm_cache is not None:
        if not minilm_cache.exists():
            np.save(minilm_cache, embedder.encode(mixed_overview_texts(60_000)))
        mixed = np.load(minilm_cache)
        picks = np.random.default_rng(2).choice(len(mixed), 300, replace=False)
        name = f"{len(mixed):,} MiniLM vectors of real and mixed overviews"
        out[f"{name}, 300 movie queries"] = bit_recall(mixed, mixed[picks], picks)
        out[f"{name}, {len(texts)} descriptive text queries"] = bit_recall(mixed, embedder.encode(texts))
    return out


# --- latency ----------------------------------------------------------------------------------------


def build_catalogue(scale: int, workdir: Path, base_db: Path) -> dict[str, Any]:
    """The scaled synthetic catalogue through the build's stages, with random vectors and the two-stage
    tables the build writes above TWO_STAGE_MIN_VECTORS (benchmarks/scaling.py writes both)."""
    from benchmarks.scaling import _base, _write_vectors, scaled_dataset
    from core.data import sqlite
    from core.data.build import BuildReport, _Builder
    from core.data.schema import DDL

    dataset = scaled_dataset(_base(base_db), scale)
    conn = sqlite.connect_sync(workdir / "movies.db")
    conn.executescript(DDL)
    report = BuildReport(db_path=workdir / "movies.db", source=dataset.source, seconds=0.0, counts={}, coverage={})
    # The real build's stages (a private class, used on purpose: it is the code measured).
    builder = _Builder(conn, None, dataset, lambda *_: None, report)
    seconds: dict[str, float] = {}
    for name, step in (
        ("catalogue", builder.write_catalogue),
        ("enrich", builder.write_enrichments),
        ("vectors and two-stage tables", lambda: _write_vectors(conn, dataset.movies, scale)),
        ("meta", lambda: builder.write_meta(dataset.source, None)),
    ):
        started = time.perf_counter()
        with conn:
            step()
        seconds[name] = round(time.perf_counter() - started, 2)
    conn.execute("PRAGMA optimize")
    conn.close()
    return {"vectors": len(dataset.movies), "build_stage_seconds": seconds}


async def measure_latency(db: Path, calls: int) -> dict[str, Any]:
    """p50/p95 of the exact and the two-stage KNN and of semantic_search, warm, in one serving process."""
    from benchmarks.tool_latency import _WHAT, _WHERE, _WHO
    from core.config import Settings
    from core.data.store import vectors
    from core.runtime import MovieApp
    from core.search.filters import SemanticFilters, make_filters, vector_conditions
    from core.services.semantic_search import semantic_search

    app = MovieApp(Settings(db_path=db))
    await app.load()
    await app.ready()
    await app.embedder_ready()
    rng = np.random.default_rng(3)
    queries = rng.standard_normal((calls + 5, EMBEDDING_DIM), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    texts = [f"{who} {what} {where}" for who in _WHO for what in _WHAT for where in _WHERE]
    random.Random(4).shuffle(texts)
    filtered = vector_conditions(make_filters(genres=["Comedy"], min_year=1990, max_year=1999))
    cases: dict[str, Any] = {}
    for name, search in (("exact", vectors.exact_knn), ("two-stage", vectors.two_stage_knn)):
        for k in (10, 50):
            cases[f"{name} KNN k={k}"] = lambda i, s=search, k=k: s(app.db, queries[i].tobytes(), k, ([], []))
            cases[f"{name} KNN k={k}, year+genre filter"] = lambda i, s=search, k=k: s(
                app.db, queries[i].tobytes(), k, filtered
            )
    for tables in ("two-stage", "exact"):
        cases[f"semantic_search k=10, query embedding included ({tables})"] = lambda i: semantic_search(
            app, texts[i % len(texts)], 10, SemanticFilters()
        )
    latency: dict[str, Any] = {}
    for name, call in cases.items():
        if name.endswith("(exact)"):
            vectors._two_stage_of[app.db] = False  # the same file with its two-stage tables ignored
        for i in range(3):
            await call(calls + i)  # warm-up
        times, cpu = [], []
        for i in range(calls):
            started, cpu_started = time.perf_counter(), time.process_time()
            await call(i)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        # CPU time of the process per call: on a busy machine closer to the quiet wall time than the wall time is.
        latency[name] = {**latency_stats(times), "cpu_p50_ms": round(float(np.median(cpu)) * 1000, 3)}
    recall = await sql_recall(app, queries[:100])
    await app.close()
    return {"latency": latency, "sql_path_recall": recall}


async def sql_recall(app: Any, queries: np.ndarray) -> dict[str, float]:
    """Recall@10 and @50 of `knn` (two-stage) against `exact_knn` through the SQL actually served."""
    from core.data.store import vectors

    out = {}
    for k in RECALL_KS:
        hits = []
        for q in queries:
            exact = {mid for mid, _ in await vectors.exact_knn(app.db, q.tobytes(), k, ([], []))}
            found = {mid for mid, _ in await vectors.two_stage_knn(app.db, q.tobytes(), k, ([], []))}
            hits.append(len(exact & found) / k)
        out[f"recall@{k}, {vectors.candidate_count(k)} candidates"] = round(float(np.mean(hits)), 3)
    return out


# --- orchestration ----------------------------------------------------------------------------------


def run(scale: int, calls: int, base_db: Path, minilm_cache: Path | None) -> dict[str, Any]:
    from core.search.embedder import Embedder

    machine = machine_info()
    results: dict[str, Any] = {
        "scale": scale,
        "calls_per_case": calls,
        "candidates": {"minimum": TWO_STAGE_CANDIDATES, "per_result": CANDIDATES_PER_RESULT},
    }
    workdir = Path(tempfile.mkdtemp(prefix="movie-mcp-bench-vectors-"))
    try:
        results["catalogue"] = build_catalogue(scale, workdir, base_db)
        results.update(asyncio.run(measure_latency(workdir / "movies.db", calls)))
        results["load_avg_after_latency"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["recall"] = recall_figures(base_db, minilm_cache, Embedder())
    finish(results, machine)
    return results


def print_report(results: dict[str, Any]) -> None:
    print(header(f"Vector search at {results['catalogue']['vectors']:,} vectors", results["machine"]))
    rows = [[name, s["p50_ms"], s["p95_ms"], s["cpu_p50_ms"]] for name, s in results["latency"].items()]
    print(table(["case", "p50 ms", "p95 ms", "CPU p50 ms"], rows))
    print(f"build stages, s: {results['catalogue']['build_stage_seconds']}; SQL-path recall (random vectors):")
    print("  " + ", ".join(f"{k} {v}" for k, v in results["sql_path_recall"].items()))
    for name, figures in results["recall"].items():
        print(f"{name}:")
        for k in RECALL_KS:
            print(
                f"  recall@{k}: " + ", ".join(f"{c} {figures[f'recall@{k}, {c} candidates']}" for c in CANDIDATE_COUNTS)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("MOVIE_MCP_DB", DEFAULT_DB_PATH)))
    parser.add_argument("--scale", type=int, default=7, help="copies of the default data (7: 63,462 vectors)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--minilm-cache", type=Path, help="60k MiniLM vectors of real + mixed overviews (.npy)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "vector_search.json")
    args = parser.parse_args()
    results = run(args.scale, args.calls, args.db, args.minilm_cache)
    write_json(args.out, results)
    print_report(results)


if __name__ == "__main__":
    main()
