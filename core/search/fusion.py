"""Fusing ranked lists, and putting a franchise's original above its sequels."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set

# Reciprocal-rank fusion's damping constant, as Cormack et al. (2009) use it.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[int, float]]:
    """(id, fused score) best first: each list adds weight / (k + rank) for every id it holds (rank from 1).

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    weights = weights if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def with_popularity(
    scored: Sequence[tuple[int, float]], popularity: Mapping[int, float], boost: float
) -> list[tuple[int, float]]:
    """`scored` re-sorted after multiplying each score by 1 + boost × ln(1 + popularity), a film's rating
    count (or one scaled for its release year): near-equal counts barely matter, while a film seen by
    thousands outranks an obscure one with a similar score."""
    boosted = [(item, score * (1.0 + boost * math.log1p(popularity.get(item, 0)))) for item, score in scored]
    return sorted(boosted, key=lambda pair: -pair[1])


def originals_first(
    ranked: Sequence[int], franchise_of: Mapping[int, str], original_of: Mapping[str, int], fits: Set[int]
) -> list[int]:
    """`ranked` with each franchise's original placed just above the franchise's best-ranked film, when
    the original is in `fits` (the query fits it about as well); the original is not repeated later.

    `franchise_of`: id -> franchise for ranked ids; `original_of`: franchise -> its earliest film,
    which need not be in `ranked` (a sequel can outrank an original the retrievers missed).
    """
    out: list[int] = []
    seen: set[str] = set()
    for item in ranked:
        name = franchise_of.get(item)
        if name is not None and name not in seen:
            seen.add(name)
            original = original_of.get(name)
            if original is not None and original in fits:
                out.append(original)
        out.append(item)
    return list(dict.fromkeys(out))  # an original moved up is not repeated at its old place


def clear_winner_first(
    fused: Sequence[tuple[int, float]], scored: Sequence[tuple[int, float]], margin: float
) -> list[tuple[int, float]]:
    """`fused` with `scored`'s best moved to the front when its score beats the runner-up's by `margin` or
    more (`scored` best first): a prior that breaks near-ties must not bury a clear winner."""
    if len(scored) < 2 or scored[0][1] - scored[1][1] < margin:
        return list(fused)
    best = scored[0][0]
    return sorted(fused, key=lambda pair: pair[0] != best)  # stable: the others keep their order
