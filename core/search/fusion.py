"""Fusing ranked lists, and putting a franchise's original above its sequels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def originals_first(
    ranked: Sequence[tuple[int, float]], franchise_of: Mapping[int, tuple[str, str]], min_share: float
) -> list[tuple[int, float]]:
    """`ranked` with each franchise's earliest film moved up to its franchise's best place, when the
    earliest film scores at least `min_share` of its franchise's best score (the query fits it too).

    `franchise_of`: id -> (franchise, release date as sortable text). The moved film takes the best
    place; the franchise's other films keep their relative order after it. Scores stay as computed.
    """
    best: dict[str, tuple[int, float]] = {}  # franchise -> (position of its best film, its score)
    earliest: dict[str, tuple[str, int]] = {}  # franchise -> (release, id) of its earliest ranked film
    for position, (item, score) in enumerate(ranked):
        if item not in franchise_of:
            continue
        name, released = franchise_of[item]
        best.setdefault(name, (position, score))
        if name not in earliest or released < earliest[name][0]:
            earliest[name] = (released, item)
    promote: dict[int, int] = {}  # position of a franchise's best film -> id of its original
    for name, (position, top_score) in best.items():
        original = earliest[name][1]
        score = next(s for i, s in ranked if i == original)
        if original != ranked[position][0] and score >= min_share * top_score:
            promote[position] = original
    if not promote:
        return list(ranked)
    moved = set(promote.values())
    score_of = dict(ranked)
    out: list[tuple[int, float]] = []
    for position, (item, score) in enumerate(ranked):
        if position in promote:
            out.append((promote[position], score_of[promote[position]]))
        if item not in moved:
            out.append((item, score))
    return out
