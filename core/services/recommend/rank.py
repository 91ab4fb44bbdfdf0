"""Stage 4: the engine's model ranks the allowed movies for the seeds.

The engine is looked up in `core.models.registry`; a database that lacks its model answers with the
engine's registered fallback, and says so. Ranking and (when no re-ranking follows) explaining share one
worker-thread hand-off, since each hand-off costs a few tenths of a millisecond on a ~2 ms call; an engine
whose whole rank is that cheap (ALS) skips the hand-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread
import numpy as np

from core.data.genre_table import GenreTable
from core.errors import NotReadyError
from core.models import registry
from core.models.protocols import TopNModel
from core.runtime import MovieApp
from core.services.recommend.calibrate import CALIBRATION_WEIGHT, CANDIDATES, calibrate
from core.services.recommend.dislikes import DISLIKE_WEIGHT, fetch_size, push_down
from core.services.recommend.explain import Picks, contributions
from core.services.recommend.seeds import Seeds

if TYPE_CHECKING:  # scipy-backed models load in the background; the server answers `initialize` first
    from core.models.common import Evidence as Contributions


def choose_model(app: MovieApp, engine: str) -> tuple[registry.ModelEngine, TopNModel, list[str]]:
    """(the engine that ranks, its loaded model, notes) for a requested engine or request mode."""
    served = registry.model_engine(engine)
    notes: list[str] = []
    model = app.top_n_model(served.model)
    while model is None and served.fallback is not None:
        notes.append(served.missing_note)
        served = registry.model_engine(served.fallback)
        model = app.top_n_model(served.model)
    if model is None:
        title = registry.model_spec(served.model).title
        raise NotReadyError(f"no {title} model in the database; rebuild it with `movie-mcp build`")
    return served, model, notes


@dataclass(frozen=True)
class Ranked:
    picks: Picks  # best first, up to the pool size
    explanations: list[Contributions] | None  # of the first n picks, when they are final


def top_picks(
    model: TopNModel,
    seeds: Seeds,
    allowed: np.ndarray | None,
    pool: int,
    dislike_weight: float = DISLIKE_WEIGHT,
    genres: GenreTable | None = None,
    calibration: float = CALIBRATION_WEIGHT,
) -> Picks:
    """The model's best `pool` unrated, unwatched, undisliked movies among `allowed` (None: all); with a
    genre table, chosen from its best CANDIDATES for a genre mix like the seeds' likes (`calibrate`)."""
    if allowed is not None and allowed.size == 0:
        return []
    excluded = seeds.excluded
    calibrating = genres is not None and calibration > 0
    fetch = fetch_size(max(pool, CANDIDATES) if calibrating else pool, seeds.disliked, excluded)
    if seeds.user_id is not None:
        picks = model.recommend_for_user(seeds.user_id, fetch, allowed)
    else:
        picks = model.recommend_from_liked(seeds.rated, fetch, allowed)
    picks = [p for p in picks if p[0] not in excluded]
    picks = push_down(model, picks, seeds.disliked, dislike_weight)
    if genres is not None and calibrating:
        return calibrate(picks[: max(pool, CANDIDATES)], seeds.rated, genres, pool, calibration)
    return picks[:pool]


async def rank(
    model: TopNModel,
    seeds: Seeds,
    allowed: np.ndarray | None,
    pool: int,
    n: int,
    *,
    final: bool,
    genres: GenreTable | None = None,
    calibration: float = CALIBRATION_WEIGHT,
    inline: bool = False,
) -> Ranked:
    """The top `pool` picks (genre-calibrated with `genres`); with `final` (no re-ranking follows), the first
    `n` explained in the same hand-off. `inline` ranks on the event loop (see `ModelEngine.ranks_inline`)."""

    def rank_and_explain() -> Ranked:
        picks = top_picks(model, seeds, allowed, pool, genres=genres, calibration=calibration)
        return Ranked(picks, contributions(model, seeds, picks[:n]) if final else None)

    if inline:
        return rank_and_explain()
    return await anyio.to_thread.run_sync(rank_and_explain)
