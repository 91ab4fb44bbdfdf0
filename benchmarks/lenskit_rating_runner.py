"""Train one LensKit rating model on a split written by `benchmarks.rating_libraries` and predict its test set.

Runs in a separate virtual environment that has LensKit (never the project's), as a script: it
imports nothing from the project. Reads --split/split.npz (train_user, train_item, train_rating,
test_user, test_item: npz, since the project's environment has no parquet engine), writes
{"predictions": path, "train_s", "peak_rss_mb", "lenskit"} as JSON on stdout and the predictions
(in the test arrays' order) to --split/lenskit-<model>.npy.

    /work/lkvenv/bin/python benchmarks/lenskit_rating_runner.py --split DIR --model biased-mf
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _scorer(model: str, knn_k: int, save_nbrs: int) -> object:
    """The LensKit scorer for `model` with its shipped defaults; save_nbrs > 0 bounds item-kNN's stored lists."""
    if model == "biased-mf":
        from lenskit.als import BiasedMFScorer

        return BiasedMFScorer()
    if model == "item-knn":
        from lenskit.knn import ItemKNNScorer

        return ItemKNNScorer(max_nbrs=knn_k, save_nbrs=save_nbrs or None, feedback="explicit")
    raise SystemExit(f"unknown model {model}")


def _predict(pipe: object, test: pd.DataFrame) -> np.ndarray:
    """Predictions for every test row, in its order (the pipeline's bias fallback fills the gaps).

    One pipeline run per user: `lenskit.batch.predict` rejects item-kNN's output when the lists'
    `nbr_counts` field types differ between users (int32 vs double from the fallback).
    """
    from lenskit.data import ItemList

    out = np.full(len(test), np.nan)
    for user, rows in test.groupby("user_id").indices.items():
        items = ItemList(item_ids=test["item_id"].to_numpy()[rows])
        scored = pipe.run("rating-predictor", query=user, items=items)
        out[rows] = scored.scores()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--model", choices=("biased-mf", "item-knn"), required=True)
    parser.add_argument("--knn-k", type=int, default=20, help="neighbours averaged (LensKit's default 20)")
    # LensKit's default keeps every positive similarity; 100 (our K) cost 0.05 RMSE on ml-latest-small.
    parser.add_argument("--save-nbrs", type=int, default=0, help="neighbours stored per item (0: all, the default)")
    args = parser.parse_args()
    import lenskit
    from lenskit.data import from_interactions_df
    from lenskit.pipeline import predict_pipeline

    with np.load(args.split / "split.npz") as arrays:
        train = pd.DataFrame({c: arrays[f"train_{c}"] for c in ("user", "item", "rating")})
        test = pd.DataFrame({c: arrays[f"test_{c}"] for c in ("user", "item")})
    train.columns, test.columns = ["user_id", "item_id", "rating"], ["user_id", "item_id"]
    started = time.perf_counter()
    pipe = predict_pipeline(_scorer(args.model, args.knn_k, args.save_nbrs), fallback=True)
    pipe.train(from_interactions_df(train, user_col="user_id", item_col="item_id", rating_col="rating"))
    train_s = time.perf_counter() - started
    path = args.split / f"lenskit-{args.model}.npy"
    np.save(path, _predict(pipe, test))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"predictions": str(path), "train_s": train_s, "peak_rss_mb": peak_mb, "lenskit": lenskit.__version__}
        )
    )


if __name__ == "__main__":
    main()
