"""Section "coldstart": recommendations for a new user described by 5 movies they liked.

Protocol
- Eligible users: at least `MIN_USER_RATINGS` ratings, of which at least `GIVEN` are ≥ 4 stars.
- A seeded random `HIDDEN_FRACTION` of them is hidden: every model trains on all ratings of the
  other users only. Each hidden user reveals `GIVEN` movies drawn at random from their ≥ 4-star
  ratings; the models see them exactly as `get_movie_recommendations(liked_movies=[...])` passes them
  (`recommend_from_liked({movie_id: 5.0, ...})`: a liked title carries no stars, so each counts as 5).
- Relevant: the user's other ratings (every rating a positive; the "≥4" variant: only those ≥ 4).
  Metrics R@10, nDCG@10 (and P@10, MAP@10) as defined in `core.evaluation.topn`, averaged over the
  hidden users. A revealed movie nobody else rated is unknown to the models and simply ignored.
- Models: most-popular (training counts, the 5 revealed movies excluded), then every registered top-N
  model (`core.models.registry`): ALS (engine=als, fold-in by solving the user's factors), EASE (x·B) and
  the default ease-als-ensemble — all with the parameters the tools use.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from core.evaluation.base import EvalContext, SectionResult, Target
from core.evaluation.topn import RELEVANT_STARS, K, ranking_metrics
from core.models import registry
from core.models.common import IdIndex

log = logging.getLogger(__name__)

MIN_USER_RATINGS = 20
GIVEN = 5
GIVEN_STARS = 5.0  # what the liked_movies path assigns to a liked title
HIDDEN_FRACTION = 0.2
TARGET_FACTOR = 2.0
DEFAULT_MODEL = registry.eval_label(registry.default_top_n_spec())

Recommend = Callable[[dict[int, float], int], list[tuple[int, float]]]


def hidden_users(ratings: pd.DataFrame, seed: int, fraction: float = HIDDEN_FRACTION) -> np.ndarray:
    """The eligible users (module docstring) drawn to be hidden, sorted; at least one when any is eligible."""
    counts = ratings.groupby("user_id").size()
    liked = ratings[ratings["rating"] >= RELEVANT_STARS].groupby("user_id").size()
    eligible = np.array(
        sorted(u for u, n in counts.items() if n >= MIN_USER_RATINGS and liked.get(u, 0) >= GIVEN), dtype=np.int64
    )
    if eligible.size == 0:
        return eligible
    size = max(1, round(fraction * eligible.size))
    return np.sort(np.random.default_rng(seed).choice(eligible, size=size, replace=False))


def reveal(ratings: pd.DataFrame, users: np.ndarray, seed: int) -> dict[int, tuple[list[int], pd.DataFrame]]:
    """Per hidden user: (the GIVEN revealed movie ids, the rest of their ratings)."""
    rng = np.random.default_rng(seed + 1)
    out: dict[int, tuple[list[int], pd.DataFrame]] = {}
    for user_id, own in ratings[ratings["user_id"].isin(users)].groupby("user_id", sort=True):
        own = own.sort_values("movie_id")
        liked = own.loc[own["rating"] >= RELEVANT_STARS, "movie_id"].to_numpy(np.int64)
        given = sorted(int(m) for m in rng.choice(liked, size=GIVEN, replace=False))
        out[int(user_id)] = (given, own[~own["movie_id"].isin(given)])
    return out


def evaluate(
    recommend: Recommend,
    cases: dict[int, tuple[list[int], pd.DataFrame]],
    movies: IdIndex,
    counts: np.ndarray,
) -> dict[str, float]:
    """R@10, nDCG@10, P@10, MAP@10 (both relevance variants), coverage and mean popularity of one model."""
    users = sorted(cases)
    top = np.full((len(users), K), -1, dtype=np.int64)
    relevant_all: list[np.ndarray] = []
    relevant_liked: list[np.ndarray] = []
    for row, user_id in enumerate(users):
        given, rest = cases[user_id]
        picks = [m for m, _ in recommend({m: GIVEN_STARS for m in given}, K)]
        idx = movies.indices_of(np.array(picks, dtype=np.int64))
        top[row, : len(idx)] = idx
        relevant_all.append(movies.indices_of(rest["movie_id"].to_numpy()))
        relevant_liked.append(movies.indices_of(rest.loc[rest["rating"] >= RELEVANT_STARS, "movie_id"].to_numpy()))
    # Movies unknown to the index are -1 in `indices_of`: make them -2 so they never match the -1 padding.
    relevant_all = [np.where(r >= 0, r, -2) for r in relevant_all]
    relevant_liked = [np.where(r >= 0, r, -2) for r in relevant_liked]
    a = ranking_metrics(top, relevant_all)
    liked = ranking_metrics(top, relevant_liked)
    picks = top[top >= 0]
    return {
        "ndcg@10": a["ndcg"],
        "r@10": a["r"],
        "p@10": a["p"],
        "map@10": a["map"],
        "ndcg@10 (≥4)": liked["ndcg"],
        "r@10 (≥4)": liked["r"],
        "coverage": float(np.unique(picks).size / max(1, int((counts > 0).sum()))),
        "mean_pop": float(counts[picks].mean()) if picks.size else 0.0,
        "users": a["users"],
    }


def most_popular(movies: IdIndex, counts: np.ndarray) -> Recommend:
    """Most-rated training movies, never one of the revealed ones."""
    order = np.argsort(-counts, kind="stable")
    ranked = [int(movies.id_at(int(i))) for i in order if counts[i] > 0]

    def recommend(liked: dict[int, float], n: int) -> list[tuple[int, float]]:
        picks = [m for m in ranked[: n + len(liked)] if m not in liked][:n]
        return [(m, 0.0) for m in picks]

    return recommend


def _ratio(by_name: dict[str, dict[str, object]], column: str) -> float:
    """Default model / most-popular on one column (inf when most-popular scores 0)."""
    popular = float(by_name["most-popular"][column])  # type: ignore[arg-type]
    default = float(by_name[DEFAULT_MODEL][column])  # type: ignore[arg-type]
    return default / popular if popular > 0 else float("inf")


def training_counts(ratings: pd.DataFrame, train: pd.DataFrame) -> tuple[IdIndex, np.ndarray]:
    """(every rated movie, each one's number of training ratings)."""
    movies = IdIndex.from_ids(ratings["movie_id"].to_numpy())
    counts = np.zeros(len(movies), dtype=np.int64)
    np.add.at(counts, movies.indices_of(train["movie_id"].to_numpy()), 1)
    return movies, counts


def models(train: pd.DataFrame, movies: IdIndex, counts: np.ndarray, seed: int) -> list[tuple[str, Recommend, float]]:
    """(row name, fold-in recommender, training seconds): most-popular, then every registered top-N model
    with the parameters the tools use (a composed model's seconds include its components')."""
    triples = registry.RatingTriples(
        train["user_id"].to_numpy(), train["movie_id"].to_numpy(), train["rating"].to_numpy()
    )
    specs = registry.top_n_models()
    trained = registry.train_models(specs, triples, seed=seed)
    out: list[tuple[str, Recommend, float]] = [("most-popular", most_popular(movies, counts), 0.0)]
    for spec in specs:
        model, seconds = trained[spec.name]
        out.append((registry.eval_label(spec), model.recommend_from_liked, seconds))
    return out


def run(context: EvalContext) -> SectionResult:
    """Hide users, reveal 5 liked movies each, score the rest (module docstring)."""
    started = time.perf_counter()
    ratings = context.ratings
    users = hidden_users(ratings, context.seed)
    if users.size == 0:
        return SectionResult(
            "coldstart",
            "no user has enough ratings for the cold-start protocol",
            [],
            notes=[f"needs users with ≥ {MIN_USER_RATINGS} ratings, {GIVEN} of them ≥ {RELEVANT_STARS:g}"],
            seconds=round(time.perf_counter() - started, 1),
        )
    cases = reveal(ratings, users, context.seed)
    train = ratings[~ratings["user_id"].isin(users)]
    movies, counts = training_counts(ratings, train)
    rows: list[dict[str, object]] = []
    for name, recommend, seconds in models(train, movies, counts, context.seed):
        figures = evaluate(recommend, cases, movies, counts)
        row: dict[str, object] = {"model": name}
        row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()})
        row["train_s"] = round(seconds, 1)
        rows.append(row)
        log.info("coldstart: %s nDCG@10 %.4f", name, figures["ndcg@10"])
    return _result(context, len(users), len(train), rows, started)


def _result(
    context: EvalContext, n_hidden: int, n_train: int, rows: list[dict[str, object]], started: float
) -> SectionResult:
    """The section's protocol, table, target and notes."""
    by_name = {str(r["model"]): r for r in rows}
    default_ndcg = float(by_name[DEFAULT_MODEL]["ndcg@10"])  # type: ignore[arg-type]
    popular_ndcg = float(by_name["most-popular"]["ndcg@10"])  # type: ignore[arg-type]
    ratio = default_ndcg / popular_ndcg if popular_ndcg > 0 else float("inf")
    protocol = (
        f"{n_hidden} of the users with ≥{MIN_USER_RATINGS} ratings (and ≥{GIVEN} rated ≥ {RELEVANT_STARS:g}) hidden "
        f"(seed {context.seed}); models train on the other users' {n_train:,} ratings; each hidden user reveals "
        f"{GIVEN} random ≥{RELEVANT_STARS:g}-star movies through the liked_movies fold-in (each as {GIVEN_STARS:g} "
        "stars); relevant = the rest of their ratings ('≥4': only those ≥ 4); metrics at 10 as in topn."
    )
    ceiling = 1.0 / popular_ndcg if popular_ndcg > 0 else float("inf")
    default = registry.default_top_n_spec()
    defaults = registry.default_params()
    notes = [
        f"default / most-popular nDCG@10 = {ratio:.2f}× (≥4 variant: "
        f"{_ratio(by_name, 'ndcg@10 (≥4)'):.2f}×); a perfect ranking (nDCG@10 = 1) would be {ceiling:.2f}×: "
        "hidden users keep all their other ratings as relevant, so the most-rated movies are hits for most of them",
        "parameters: " + ", ".join(str(defaults[s.name]) for s in (*registry.components_of(default), default)),
    ]
    if context.quick:
        notes.append("quick run on small data: not a reportable figure")
    return SectionResult(
        name="coldstart",
        protocol=protocol,
        table=rows,
        targets=[
            Target(
                "cold start (5 liked movies): default nDCG@10 ≥ 2× most-popular",
                default_ndcg,
                f"≥ {TARGET_FACTOR * popular_ndcg:.4f} (2 × {popular_ndcg:.4f})",
                default_ndcg >= TARGET_FACTOR * popular_ndcg,
            )
        ],
        notes=notes,
        seconds=round(time.perf_counter() - started, 1),
    )
