"""Benchmark (issue 13): our rating models against LensKit's and an `implicit` top-k similarity pass.

One seeded 80/20 split (fold 1 of `core.evaluation.rating.fold_assignment`: the eval's folds) of
either the built database's ratings (--db) or a MovieLens directory's ratings.csv (--movielens,
e.g. the synthetic ml-32m look-alike). Every model trains in its own process on the same split, so
its peak RSS (getrusage ru_maxrss: interpreter, data and model) is its own. Reported per model:
RMSE and MAE (predictions clamped to [0.5, 5]), train seconds (wall, on a shared machine: a cost
indication, not a timing benchmark) and peak RSS.

- ours: biased MF, item-kNN baseline and the neighbourhood model (one process: they share the
  similarity pass), the blend (the served model). Their similarity pass is `implicit`'s compiled
  candidate top-k with exact values (`core.models.similarity_candidates`, served since issue 13);
- dense pass: the same neighbourhood models and blend with `item_neighbors(..., exact=True)`, the
  hand-written pass over every co-rated pair in dense blocks (what was served before);
- LensKit: BiasedMFScorer and explicit ItemKNNScorer with their defaults, run by
  `benchmarks/lenskit_rating_runner.py` under --lenskit-python (default /work/lkvenv/bin/python), a
  separate environment: LensKit is not a project dependency. Skipped when that interpreter is absent.

    .venv/bin/python -m benchmarks.rating_libraries --db db/movies.db
    .venv/bin/python -m benchmarks.rating_libraries --movielens /tmp/lkcmp/ml3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.report import RESULTS_DIR, table, write_json

ROOT = Path(__file__).resolve().parents[1]
LENSKIT_PYTHON = Path("/work/lkvenv/bin/python")
LENSKIT_RUNNER = Path(__file__).resolve().parent / "lenskit_rating_runner.py"
OUR_WORKERS = ("mf", "neighbourhood", "blend", "neighbourhood-dense", "blend-dense")
LENSKIT_MODELS = {"biased-mf": "LensKit biased MF (ALS)", "item-knn": "LensKit item-kNN (explicit)"}


def load_split_source(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    """(user_id, movie_id, rating) frame and a label, from --db or --movielens."""
    if args.movielens:
        frame = pd.read_csv(args.movielens / "ratings.csv", usecols=["userId", "movieId", "rating"])
        frame.columns = ["user_id", "movie_id", "rating"]
        return frame, str(args.movielens)
    from core.evaluation.runner import load_ratings

    return load_ratings(args.db)[["user_id", "movie_id", "rating"]], str(args.db)


def write_split(ratings: pd.DataFrame, seed: int, folder: Path) -> Path:
    """Fold 1 of the eval's 5 seeded folds is the test set (20%), the rest the training set."""
    from core.evaluation.rating import N_FOLDS, fold_assignment

    test = fold_assignment(len(ratings), N_FOLDS, seed) == 0
    cols = {"user": "user_id", "item": "movie_id", "rating": "rating"}
    arrays = {f"train_{k}": ratings[c].to_numpy()[~test] for k, c in cols.items()}
    arrays |= {f"test_{k}": ratings[c].to_numpy()[test] for k, c in cols.items()}
    path = folder / "split.npz"
    np.savez(path, **arrays)
    return path


def _split(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "split.npz") as arrays:
        return {k: arrays[k] for k in arrays.files}


def _metrics(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    err = np.clip(pred, 0.5, 5.0) - truth
    return float(np.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def _neighbour_models(s: dict[str, np.ndarray], dense: bool) -> list[tuple[str, np.ndarray, float]]:
    """item-kNN baseline and neighbourhood model (served similarity pass, or the dense one)."""
    from core.evaluation.rating import _gnm_predict
    from core.models.blended_rating import BlendParams
    from core.models.common import build_rating_matrix
    from core.models.neighbors import NeighborhoodModel, baseline_biases, item_neighbors, knn_residual, neighbor_hits

    nb, started = BlendParams().neighborhood, time.perf_counter()
    users, movies, matrix = build_rating_matrix(s["train_user"], s["train_item"], s["train_rating"])
    baseline = baseline_biases(matrix)
    residuals = baseline.residuals(matrix)
    neighbors = item_neighbors(residuals, nb.max_neighbors, nb.shrinkage, nb.similarity_budget(), exact=dense)
    knn_s = time.perf_counter() - started
    gnm = NeighborhoodModel.train(residuals, baseline, neighbors, nb)
    gnm_s = time.perf_counter() - started
    tu, ti = users.indices_of(s["test_user"]), movies.indices_of(s["test_item"])
    knn = baseline.predict(tu, ti)
    order = np.flatnonzero((tu >= 0) & (ti >= 0))
    order = order[np.argsort(tu[order], kind="stable")]
    for group in np.split(order, np.flatnonzero(np.diff(tu[order])) + 1):
        if len(group):
            lo, hi = residuals.indptr[tu[group[0]]], residuals.indptr[tu[group[0]] + 1]
            hits = neighbor_hits(neighbors, residuals.indices[lo:hi], ti[group])
            sims = neighbors.data[hits.pair].astype(np.float64)
            part, _ = knn_residual(sims, residuals.data[lo:hi][hits.rated], hits.row, len(group), BlendParams().knn_k)
            knn[group] += part
    label = " (dense pass)" if dense else ""
    return [
        (f"item-kNN baseline{label}", knn, knn_s),
        (f"neighbourhood{label}", _gnm_predict(gnm, residuals, tu, ti), gnm_s),
    ]


def _blend(s: dict[str, np.ndarray], dense: bool) -> list[tuple[str, np.ndarray, float]]:
    """The served blend (or with the dense similarity pass patched in)."""
    import core.models.blended_rating as blended

    if dense:
        blended.item_neighbors = partial(blended.item_neighbors, exact=True)  # this worker process only
    started = time.perf_counter()
    model = blended.BlendedPredictor.train(s["train_user"], s["train_item"], s["train_rating"])
    seconds = time.perf_counter() - started
    label = "blend (dense pass)" if dense else "blend (served)"
    return [(label, model.predict_pairs(s["test_user"], s["test_item"]), seconds)]


def _mf(s: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray, float]]:
    from core.models.biased_mf import BiasedMF

    started = time.perf_counter()
    model = BiasedMF.train(s["train_user"], s["train_item"], s["train_rating"])
    seconds = time.perf_counter() - started
    users, movies = s["test_user"], s["test_item"]
    pred = np.empty(len(users))
    order = np.argsort(users, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(users[order])) + 1):
        if len(group):
            pred[group] = model.predict_many(int(users[group[0]]), movies[group])
    return [("biased MF", pred, seconds)]


def worker(name: str, folder: Path) -> None:
    """Train one of OUR_WORKERS on the split in `folder`; print its rows as JSON."""
    s = _split(folder)
    jobs: dict[str, Callable[[], list[tuple[str, np.ndarray, float]]]] = {
        "mf": lambda: _mf(s),
        "neighbourhood": lambda: _neighbour_models(s, dense=False),
        "neighbourhood-dense": lambda: _neighbour_models(s, dense=True),
        "blend": lambda: _blend(s, dense=False),
        "blend-dense": lambda: _blend(s, dense=True),
    }
    results = jobs[name]()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = []
    for model, pred, seconds in results:
        rmse, mae = _metrics(pred, s["test_rating"])
        rows.append({"model": model, "rmse": rmse, "mae": mae, "train_s": seconds, "peak_rss_mb": peak_mb})
    print(json.dumps(rows))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "LK_NUM_THREADS": "1"}


def run_ours(folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in OUR_WORKERS:
        cmd = [sys.executable, "-m", "benchmarks.rating_libraries", "--worker", name, "--split", str(folder)]
        done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=True)
        rows.extend(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {name}: done", file=sys.stderr)
    return rows


def run_lenskit(python: Path, folder: Path, knn_k: int) -> tuple[list[dict[str, Any]], str]:
    """LensKit's rows via its own interpreter, or none and the reason."""
    if not python.exists():
        return [], f"LensKit not installed: skipped (no interpreter at {python})"
    truth = _split(folder)["test_rating"]
    rows, version = [], ""
    for model, label in LENSKIT_MODELS.items():
        cmd = [str(python), str(LENSKIT_RUNNER), "--split", str(folder), "--model", model, "--knn-k", str(knn_k)]
        done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=True)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        rmse, mae = _metrics(np.load(out["predictions"]), truth)
        version = out["lenskit"]
        cost = {"train_s": out["train_s"], "peak_rss_mb": out["peak_rss_mb"]}
        rows.append({"model": label, "rmse": rmse, "mae": mae, **cost})
        print(f"  lenskit {model}: done", file=sys.stderr)
    return rows, f"LensKit {version} (Python {python})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "db" / "movies.db")
    parser.add_argument("--movielens", type=Path, help="a MovieLens-layout folder (ratings.csv) instead of --db")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lenskit-python", type=Path, default=LENSKIT_PYTHON)
    parser.add_argument("--lenskit-knn-k", type=int, default=20, help="LensKit item-kNN neighbours (its default)")
    parser.add_argument("--worker", choices=OUR_WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--split", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.split)
        return
    ratings, source = load_split_source(args)
    with tempfile.TemporaryDirectory(prefix="rating-libraries-") as tmp:
        write_split(ratings, args.seed, Path(tmp))
        rows = run_ours(Path(tmp))
        lk_rows, lk_note = run_lenskit(args.lenskit_python, Path(tmp), args.lenskit_knn_k)
    rows += lk_rows
    print(f"\n== rating models vs libraries: {source}, {len(ratings):,} ratings, 80/20 split (seed {args.seed}) ==")
    print(lk_note)
    cells = [
        [r["model"], f"{r['rmse']:.4f}", f"{r['mae']:.4f}", f"{r['train_s']:.1f}", f"{r['peak_rss_mb']:.0f}"]
        for r in rows
    ]
    print(table(["model", "RMSE", "MAE", "train s", "peak RSS MB"], cells))
    data = {"source": source, "ratings": len(ratings), "seed": args.seed, "lenskit": lk_note, "rows": rows}
    print("wrote", write_json(RESULTS_DIR / f"rating_libraries_{Path(source).stem}.json", data))


if __name__ == "__main__":
    main()
