"""Calibrated recommendations (Steck, RecSys 2018): the final list's genres in the proportions of the
person's own likes, so thirty science-fiction favourites are not answered with ten films their neighbours
also liked in other genres.

The collaborative models rank by co-occurrence, and the movies co-rated with science fiction are largely
popular action-adventure films; calibration re-ranks the model's best candidates greedily, each step
adding the movie that maximises (1 − λ)·(sum of normalised model scores) − λ·miscalibration. Genres are
multi-label (a film is Action and Sci-Fi), so miscalibration is the sum over genres of the Bernoulli KL
divergence between the share of the person's likes carrying the genre and the share of the list carrying
it, the list's share mixed with α of the person's to keep it finite (Steck's smoothing).

λ was chosen on the tune half of `movie-mcp eval --sections profiles` (module docstring there).
"""

from __future__ import annotations

import numpy as np

from core.data.genre_table import GenreTable
from core.errors import InvalidInputError

CALIBRATION_WEIGHT = 0.03  # λ: chosen on the tune half of the profiles evaluation (see the module docstring)
# A person whose likes nearly all share one genre has said what they want: at least FOCUSED_LIKES likes,
# FOCUSED_SHARE of them carrying one genre (fewer than 1% of MovieLens users' likes are that focused),
# get the list calibrated at FOCUSED_WEIGHT by default (`default_weight`).
FOCUSED_SHARE = 0.9
FOCUSED_LIKES = 10
FOCUSED_WEIGHT = 0.3
CANDIDATES = 100  # the model's best this many movies are re-ranked (Steck re-ranks the top 100)
LIKE_STARS = 3.0  # ratings at or above this count towards the person's genre mix (their likes)
SMOOTHING = 0.01  # α: the list's genre shares are mixed with this much of the person's
EPSILON = 1e-3  # shares are kept inside (ε, 1 − ε) so every log is finite

Picks = list[tuple[int, float]]


def calibration_weight(
    requested: float | None, table: GenreTable | None = None, rated: dict[int, float] | None = None
) -> float:
    """The λ a request asked for, checked to lie in 0-1; None: `default_weight` for the person's ratings."""
    if requested is None:
        return default_weight(table, rated or {})
    if not 0.0 <= requested <= 1.0:
        raise InvalidInputError(f"genre_calibration must be between 0 and 1 (got {requested:g}); 0 turns it off")
    return float(requested)


def default_weight(table: GenreTable | None, rated: dict[int, float]) -> float:
    """The λ a request gets when it names none: CALIBRATION_WEIGHT, or FOCUSED_WEIGHT for a focused taste."""
    if table is None:
        return CALIBRATION_WEIGHT
    likes = sum(stars >= LIKE_STARS for stars in rated.values())
    target = target_shares(table, rated) if likes >= FOCUSED_LIKES else None
    return FOCUSED_WEIGHT if target is not None and target.max() >= FOCUSED_SHARE else CALIBRATION_WEIGHT


def target_shares(table: GenreTable, rated: dict[int, float]) -> np.ndarray | None:
    """Per genre, the star-weighted share of the person's likes that carry it; None without likes."""
    ids = np.fromiter(rated.keys(), dtype=np.int64, count=len(rated))
    stars = np.fromiter(rated.values(), dtype=np.float64, count=len(rated))
    likes = stars >= LIKE_STARS
    if not likes.any():
        return None
    return table.shares(ids[likes], stars[likes])


def miscalibration(target: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Summed per-genre Bernoulli KL(target ‖ shares) for each row of `shares` (lists × genres)."""
    p = np.clip(target, EPSILON, 1 - EPSILON)
    q = np.clip((1 - SMOOTHING) * shares + SMOOTHING * target, EPSILON, 1 - EPSILON)
    # Σ p·log(p/q) + (1−p)·log((1−p)/(1−q)), with the sums over genres as dot products (a few per step).
    own = float(p @ np.log(p) + (1 - p) @ np.log1p(-p))
    return own - (np.log(q) @ p + np.log1p(-q) @ (1 - p))


def _genre_terms(p: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Per genre (last axis), −[p·log q + (1−p)·log(1−q)] for the list's shares, smoothed and clipped: the part
    of the Bernoulli KL that depends on the list."""
    q = np.clip((1 - SMOOTHING) * shares + SMOOTHING * p, EPSILON, 1 - EPSILON)
    return -(p * np.log(q) + (1 - p) * np.log1p(-q))


def calibrate(picks: Picks, rated: dict[int, float], table: GenreTable, size: int, weight: float) -> Picks:
    """The `size` picks chosen greedily from `picks` (best first) for score and calibration, in chosen order.
    Each pick keeps its model score. Without likes, genres or a weight, the first `size` picks as they are.
    """
    target = target_shares(table, rated)
    if target is None or weight <= 0 or len(picks) <= 1 or not table.genres:
        return picks[:size]
    genres = table.rows(m for m, _ in picks)
    scores = np.array([s for _, s in picks], dtype=np.float64)
    spread = scores.max() - scores.min()
    relevance = (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)
    steps = min(size, len(picks))
    # A list of `step + 1` movies, `count` of them carrying genre j, costs terms[count, step, j]; every count
    # and length a greedy run can meet, computed in one go.
    counts = np.arange(steps + 1, dtype=np.float64)[:, None, None]
    lengths = np.arange(1, steps + 1, dtype=np.float64)[None, :, None]
    terms = _genre_terms(np.clip(target, EPSILON, 1 - EPSILON), counts / lengths)
    columns = np.arange(len(table.genres))
    chosen: list[int] = []
    carried = np.zeros(len(table.genres), dtype=np.int64)  # how many chosen movies carry each genre
    gained = 0.0  # the chosen movies' summed relevance
    free = np.ones(len(picks), dtype=bool)
    for step in range(steps):
        # A candidate moves each genre's count up by one or not at all, and the KL sums over genres, so
        # every candidate's cost is a base plus its genre row times the per-genre change.
        without = terms[carried, step, columns]
        cost = without.sum() + genres @ (terms[carried + 1, step, columns] - without)
        value = (1 - weight) * (gained + relevance) - weight * cost  # KL's own-entropy part is the same for all
        best = int(np.argmax(np.where(free, value, -np.inf)))
        chosen.append(best)
        free[best] = False
        carried += genres[best].astype(np.int64)
        gained += relevance[best]
    return [picks[i] for i in chosen]
