"""What the EASE memory budget costs: the default recommender's nDCG@10 with EASE over the most-rated n movies.

`movie-mcp build` trains EASE over the most-rated movies that fit `MOVIE_MCP_EASE_MEMORY_GB` (4 GB: 14,142
movies, 24% of the one-third ml-32m-shaped catalogue); ALS ranks the rest inside the ensemble. This
measures that cut-off on real ratings: the evaluation's holdout (`movie-mcp eval --sections topn`: per-user
random 20%, seed 42), the default engine's ensemble exactly as served (`recommend_for_user`, float16 B),
with its EASE capped at shares of the movies it would model, ALS and the blend unchanged. Each row also
gives the share of training ratings the modelled movies hold, which is what carries over to other
catalogues (popularity is long-tailed everywhere).

    .venv/bin/python -m benchmarks.ease_cap [--db db/movies.db] [--shares 0.05,0.1,0.25,0.5,1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from core.config import Settings
from core.evaluation.runner import load_ratings
from core.evaluation.topn import Fold, evaluate_top, holdout_split, top_from_model
from core.models import registry
from core.models.ease import (
    BLAS_THREADS,
    EaseParams,
    EaseRecommender,
    cap_items,
    ease_weights,
    gram,
    interaction_matrix,
    modelled_items,
)

SHARES = (0.05, 0.1, 0.17, 0.25, 0.5, 0.75, 1.0)


def measure(db: Path, shares: tuple[float, ...], seed: int = 42) -> list[dict[str, float]]:
    train, test = holdout_split(load_ratings(db), seed)
    fold = Fold.build(train, test)
    triples = registry.RatingTriples(*(fold.train[c].to_numpy() for c in ("user_id", "movie_id", "rating")))
    defaults = registry.default_params()
    spec = registry.default_top_n_spec()
    parts = registry.components_of(spec)
    ease_name = next(c.name for c in parts if isinstance(defaults[c.name], EaseParams))
    ease_params: EaseParams = defaults[ease_name]
    others = [c for c in parts if c.name != ease_name]
    trained = registry.train_models(others, triples, defaults, seed=seed)  # ALS once, for every row
    candidates = modelled_items(fold.matrix, ease_params.min_item_ratings)
    counts = fold.item_counts
    x = interaction_matrix(fold.matrix, ease_params.binary)
    rows = []
    for share in shares:
        items = cap_items(fold.matrix, candidates, max(2, round(share * len(candidates))))
        started = time.perf_counter()
        with threadpool_limits(BLAS_THREADS, "blas"):
            b = ease_weights(gram(x, items), ease_params.l2)
        ease = EaseRecommender.from_dense_weights(fold.users, fold.movies, fold.matrix, ease_params, items, b)
        ease_seconds = time.perf_counter() - started
        prebuilt = {**trained, ease_name: registry.Trained(ease, ease_seconds)}
        model, _ = registry.train_models([spec], triples, defaults, seed=seed, prebuilt=prebuilt)[spec.name]
        metrics = evaluate_top(top_from_model(fold, model.recommend_for_user), fold)
        rows.append(
            {
                "share_of_movies": share,
                "modelled_movies": len(items),
                "share_of_ratings": round(float(counts[items].sum() / counts.sum()), 4),
                "ndcg@10": round(metrics["ndcg@10"], 4),
                "ndcg@10 (≥4)": round(metrics["ndcg@10 (≥4)"], 4),
                "ease_train_s": round(ease_seconds, 1),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Settings.from_env().db_path)
    parser.add_argument("--shares", default=",".join(str(s) for s in SHARES), help="shares of EASE's movies to model")
    args = parser.parse_args(argv)
    rows = measure(args.db, tuple(float(s) for s in args.shares.split(",")))
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
