"""Section "profiles": hidden users brought back as imported IMDb and Letterboxd exports.

Protocol
- The cold-start section's hidden users (`coldstart.hidden_users`, same seed): the default
  ease-als-ensemble trains on the other users' ratings only.
- Each hidden user reveals a seeded random half of their ratings (all star values, low ones included);
  the other half is held out. Relevant: the held-out ratings ≥ 4 stars ("≥4", the headline) and all
  held-out ratings ("all"). "disliked@10": the share of the top 10 that the user rated below 3 stars
  in the held-out half (lower is better).
- The revealed half is written as an IMDb "Your ratings" CSV (stars × 2 on the 1–10 scale, Const when
  the catalogue has IMDb ids, else title and year) and as a Letterboxd ratings.csv (Name, Year, Rating),
  imported with `movie-mcp profile import`'s code into a scratch profiles file, and read back.
- Paths: liked_movies as the tool passes titles (each revealed movie as 5 stars); liked_movies with the
  stars; each imported profile with its ratings below 3 stars ignored (dropped from the likes) or used
  as dislikes that push similar movies down, at several weights; and the liked_movies and Letterboxd paths
  with their final lists genre-calibrated (`core.services.recommend.calibrate`) at several strengths λ.
  "miscalibration@10": the summed per-genre KL divergence between the user's revealed likes and the top 10.
- The hidden users are split in two seeded halves. On the "tune" half the dislike weight is chosen: of
  the weights within 1% of the best nDCG@10 (≥4), the one with the lowest disliked@10 (dislikes should
  keep disliked movies away at no real cost in accuracy), and λ the same way (of the strengths within 1%
  of the best nDCG@10 (≥4) of the calibrated Letterboxd path, the most calibrated). Every path is reported
  on both halves; the "test" half is the figure to quote.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import Settings
from core.data import sqlite
from core.data.genre_table import GenreTable
from core.data.store import profiles as profiles_store
from core.data.store.movies import GENRE_PAIRS_SQL
from core.errors import InvalidInputError
from core.evaluation.base import EvalContext, SectionResult, Target
from core.evaluation.coldstart import hidden_users
from core.evaluation.topn import RELEVANT_STARS, K, ranking_metrics
from core.models.als import AlsParams, AlsRecommender
from core.models.common import IdIndex
from core.models.ease import EaseParams, EaseRecommender
from core.models.ensemble import EnsembleParams, EnsembleRecommender
from core.profiles.matching import CatalogueIndex
from core.profiles.service import import_profile
from core.services.recommend.calibrate import (
    CALIBRATION_WEIGHT,
    FOCUSED_WEIGHT,
    default_weight,
    miscalibration,
    target_shares,
)
from core.services.recommend.dislikes import DISLIKE_WEIGHT
from core.services.recommend.rank import top_picks
from core.services.recommend.seeds import Seeds, profile_seeds
from core.services.users import DISLIKE_BELOW, UserRef

log = logging.getLogger(__name__)

REVEAL_FRACTION = 0.5
WEIGHTS = (0.25, 0.5, 1.0)  # dislike weights tried on the tune half (0: ignored, always reported)
# The served default: CALIBRATION_WEIGHT, or FOCUSED_WEIGHT for a person whose likes nearly all share a genre.
SERVED_DEFAULT = f"letterboxd, served default λ ({CALIBRATION_WEIGHT:g}, or {FOCUSED_WEIGHT:g} when focused)"
CALIBRATIONS = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3)  # genre-calibration strengths λ tried (0: off, reported)
ACCURACY_TOLERANCE = 0.01  # dislikes may cost at most 1% of the best tune nDCG@10 (≥4)
SAME_QUALITY = 0.98  # "the same quality": a profile path within 2% of liked_movies with stars

Case = tuple[pd.DataFrame, pd.DataFrame]  # (revealed ratings, held-out ratings) of one user
# (path name, source: liked|liked-stars|imdb|letterboxd, dislike weight, genre-calibration strength)
Ranker = tuple[str, str, float | None, float | None]  # name, seed source, dislike weight, λ (None: served default)
Tops = dict[str, list[list[int]]]  # per path, each user's top 10 (users in sorted order)


def split_cases(ratings: pd.DataFrame, users: np.ndarray, seed: int) -> dict[int, Case]:
    """Per hidden user, a seeded random half of their ratings revealed and the rest held out."""
    rng = np.random.default_rng(seed + 2)
    out: dict[int, Case] = {}
    for user_id, own in ratings[ratings["user_id"].isin(users)].groupby("user_id", sort=True):
        own = own.sort_values("movie_id")
        mask = np.zeros(len(own), dtype=bool)
        mask[rng.choice(len(own), size=max(1, round(REVEAL_FRACTION * len(own))), replace=False)] = True
        out[int(user_id)] = (own[mask], own[~mask])
    return out


def write_export(
    path: Path, fmt: str, revealed: pd.DataFrame, meta: dict[int, tuple[str, int | None, str | None]]
) -> None:
    """The revealed ratings as an IMDb or Letterboxd export file."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if fmt == "imdb":
            writer.writerow(["Const", "Your Rating", "Date Rated", "Title", "Title Type", "Year"])
        else:
            writer.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
        for r in revealed.itertuples(index=False):
            title, year, imdb_id = meta.get(int(r.movie_id), ("", None, None))
            date = pd.Timestamp(int(r.timestamp), unit="s").date().isoformat()
            if fmt == "imdb":
                writer.writerow([imdb_id or "", round(r.rating * 2), date, title, "movie", year or ""])
            else:
                writer.writerow([date, title, year or "", "", f"{r.rating:g}"])


def import_case(
    settings: Settings, index: CatalogueIndex, folder: Path, user_id: int, fmt: str, case: Case, meta: dict
) -> UserRef:
    """Write, import and read back one hidden user's revealed ratings as a profile."""
    path = folder / f"{fmt}-{user_id}.csv"
    write_export(path, fmt, case[0], meta)
    name = f"u{user_id}-{fmt}"
    import_profile(settings, path, name, fmt, folder / f"{name}.unmatched.csv", index=index)
    rows = profiles_store.profile_ratings(settings.profiles_path, name)
    return UserRef(profile=name, rated={r.movie_id: r.rating for r in rows if r.rating is not None})


def seeds_for(model: EnsembleRecommender, source: str, case: Case, profile: UserRef | None) -> Seeds:
    revealed = dict(zip(case[0]["movie_id"].astype(int), case[0]["rating"].astype(float), strict=True))
    if source == "liked":
        return Seeds(None, dict.fromkeys(revealed, 5.0))
    if source == "liked-stars":
        return Seeds(None, revealed)
    assert profile is not None
    return profile_seeds(model, profile, [])


def score(
    top: list[list[int]], cases: dict[int, Case], users: list[int], movies: IdIndex, miscalibrated: list[float]
) -> dict[str, float]:
    """nDCG@10 and R@10 (≥4 and all held-out ratings), disliked@10 and miscalibration@10 over `users`."""
    picks = np.full((len(users), K), -1, dtype=np.int64)
    rel_liked, rel_all, disliked = [], [], []
    for row, user in enumerate(users):
        idx = movies.indices_of(np.array(top[row][:K], dtype=np.int64))
        picks[row, : len(idx)] = idx
        held = cases[user][1]
        rel_liked.append(movies.indices_of(held.loc[held["rating"] >= RELEVANT_STARS, "movie_id"].to_numpy()))
        rel_all.append(movies.indices_of(held["movie_id"].to_numpy()))
        low = set(held.loc[held["rating"] < DISLIKE_BELOW, "movie_id"].astype(int))
        disliked.append(sum(m in low for m in top[row][:K]) / K)
    liked = ranking_metrics(picks, [np.where(r >= 0, r, -2) for r in rel_liked])
    every = ranking_metrics(picks, [np.where(r >= 0, r, -2) for r in rel_all])
    return {
        "ndcg@10 (≥4)": liked["ndcg"],
        "r@10 (≥4)": liked["r"],
        "ndcg@10 (all)": every["ndcg"],
        "disliked@10": float(np.mean(disliked)) if disliked else 0.0,
        "miscalibration@10": float(np.mean(miscalibrated)) if miscalibrated else 0.0,
        "users": liked["users"],
    }


def _train(ratings: pd.DataFrame, hidden: np.ndarray, seed: int) -> EnsembleRecommender:
    train = ratings[~ratings["user_id"].isin(hidden)]
    triples = (train["user_id"].to_numpy(), train["movie_id"].to_numpy(), train["rating"].to_numpy())
    als = AlsRecommender.train(*triples, AlsParams())
    ease = EaseRecommender.train(*triples, EaseParams())
    return EnsembleRecommender.calibrate(ease, als, EnsembleParams(), seed=seed)


def _catalogue(db_path: Path) -> tuple[CatalogueIndex, dict[int, tuple[str, int | None, str | None]], bool]:
    with closing(sqlite.connect_sync(db_path, read_only=True)) as db:
        rows = profiles_store.catalogue_movies(db)
    meta = {int(r["movie_id"]): (r["title"], r["year"], r["imdb_id"]) for r in rows}
    return CatalogueIndex.from_rows(rows), meta, any(r["imdb_id"] for r in rows)


def _genre_table(db_path: Path) -> GenreTable:
    with closing(sqlite.connect_sync(db_path, read_only=True)) as db:
        return GenreTable(db.execute(GENRE_PAIRS_SQL).fetchall())


def _paths() -> list[Ranker]:
    paths: list[Ranker] = [
        ("liked_movies (each 5★)", "liked", None, 0.0),
        ("liked_movies with stars", "liked-stars", None, 0.0),
    ]
    for fmt in ("imdb", "letterboxd"):
        paths.append((f"{fmt} profile, low ratings ignored", fmt, 0.0, 0.0))
        paths += [(f"{fmt} profile, dislikes w={w:g}", fmt, w, 0.0) for w in WEIGHTS]
    paths += [(f"liked_movies with stars, calibrated λ={c:g}", "liked-stars", None, c) for c in CALIBRATIONS]
    paths += [(_calibrated(c), "letterboxd", DISLIKE_WEIGHT, c) for c in CALIBRATIONS]
    paths.append((SERVED_DEFAULT, "letterboxd", DISLIKE_WEIGHT, None))
    return paths


def _calibrated(strength: float) -> str:
    if strength == 0:
        return f"letterboxd profile, dislikes w={DISLIKE_WEIGHT:g}"
    return f"letterboxd, calibrated λ={strength:g}"


def _rank_all(
    model: EnsembleRecommender, cases: dict[int, Case], profiles: dict[tuple[int, str], UserRef], genres: GenreTable
) -> tuple[Tops, dict[str, list[float]]]:
    """Each path's top 10 per hidden user (users in sorted order), and each list's miscalibration."""
    tops: Tops = {}
    miscalibrated: dict[str, list[float]] = {}
    for name, source, weight, strength in _paths():
        tops[name], miscalibrated[name] = [], []
        for user in sorted(cases):
            try:
                seeds = seeds_for(model, source, cases[user], profiles.get((user, source)))
            except InvalidInputError:  # none of their revealed movies is known to the model: no picks
                tops[name].append([])
                miscalibrated[name].append(0.0)
                continue
            served = default_weight(genres, seeds.rated) if strength is None else strength
            picks = top_picks(model, seeds, None, K, weight or 0.0, genres=genres, calibration=served)
            tops[name].append([m for m, _ in picks])
            miscalibrated[name].append(_miscalibration(genres, seeds.rated, tops[name][-1]))
    return tops, miscalibrated


def _miscalibration(genres: GenreTable, rated: dict[int, float], top: list[int]) -> float:
    target = target_shares(genres, rated)
    return 0.0 if target is None or not top else float(miscalibration(target, genres.rows(top).mean(axis=0)))


def run(context: EvalContext) -> SectionResult:
    """Hidden users as imported exports against the liked_movies path (module docstring)."""
    started = time.perf_counter()
    ratings = context.ratings
    hidden = hidden_users(ratings, context.seed)
    cases = split_cases(ratings, hidden, context.seed)
    cases = {u: c for u, c in cases.items() if (c[0]["rating"] >= DISLIKE_BELOW).any()}
    if not cases:
        note = "needs users eligible for the cold-start protocol (coldstart.hidden_users)"
        return SectionResult("profiles", "no user to hide", [], notes=[note])
    model = _train(ratings, hidden, context.seed)
    index, meta, has_imdb = _catalogue(context.db_path)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        settings = Settings(db_path=context.db_path, profiles_override=folder / "profiles.db")
        profiles = {
            (u, fmt): import_case(settings, index, folder, u, fmt, c, meta)
            for u, c in cases.items()
            for fmt in ("imdb", "letterboxd")
        }
    matched = {fmt: sum(len(profiles[(u, fmt)].rated) for u in cases) for fmt in ("imdb", "letterboxd")}
    revealed = sum(len(c[0]) for c in cases.values())
    tops, miscalibrated = _rank_all(model, cases, profiles, _genre_table(context.db_path))
    users = sorted(cases)
    order = np.random.default_rng(context.seed + 3).permutation(len(users))
    halves = {
        "tune": sorted(users[i] for i in order[: len(users) // 2]),
        "test": sorted(users[i] for i in order[len(users) // 2 :]),
    }
    rows = []
    for name, *_ in _paths():
        row: dict[str, object] = {"path": name}
        for half, members in halves.items():
            positions = [users.index(u) for u in members]
            top, off = [tops[name][p] for p in positions], [miscalibrated[name][p] for p in positions]
            figures = score(top, cases, members, model.ease.movie_index, off)
            row.update({f"{half} {k}": round(v, 4) if isinstance(v, float) else v for k, v in figures.items()})
        rows.append(row)
    counts = _Counts(len(hidden), len(cases), revealed, matched, has_imdb)
    return _result(context, rows, counts, time.perf_counter() - started)


@dataclass
class _Counts:
    hidden: int
    cases: int
    revealed: int  # revealed ratings over all cases
    matched: dict[str, int]  # per format: revealed ratings that matched on import
    has_imdb: bool


def _chosen_weight(by: dict[str, dict[str, object]], fmt: str) -> float:
    """On the tune half: of the weights (0: ignored) within ACCURACY_TOLERANCE of the best nDCG@10 (≥4),
    the one that recommends the fewest movies the user disliked."""

    def tune(weight: float, column: str) -> float:
        return float(by[_name(fmt, weight)][f"tune {column}"])  # type: ignore[arg-type]

    weights = (0.0, *WEIGHTS)
    best = max(tune(w, "ndcg@10 (≥4)") for w in weights)
    close = [w for w in weights if tune(w, "ndcg@10 (≥4)") >= (1 - ACCURACY_TOLERANCE) * best]
    return min(close, key=lambda w: (tune(w, "disliked@10"), w))


def _chosen_calibration(by: dict[str, dict[str, object]]) -> float:
    """On the tune half: of the strengths (0: off) whose calibrated Letterboxd path is within
    ACCURACY_TOLERANCE of the best nDCG@10 (≥4), the one with the least miscalibration."""

    def tune(strength: float, column: str) -> float:
        return float(by[_calibrated(strength)][f"tune {column}"])  # type: ignore[arg-type]

    strengths = (0.0, *CALIBRATIONS)
    best = max(tune(c, "ndcg@10 (≥4)") for c in strengths)
    close = [c for c in strengths if tune(c, "ndcg@10 (≥4)") >= (1 - ACCURACY_TOLERANCE) * best]
    return min(close, key=lambda c: (tune(c, "miscalibration@10"), c))


def _calibration_targets(by: dict[str, dict[str, object]], chosen: float) -> list[Target]:
    """The served default's test figures against no calibration: as accurate (within the tolerance), closer mix."""
    off, on = by[_calibrated(0.0)], by[_calibrated(CALIBRATION_WEIGHT)]
    ndcg_off, ndcg_on = float(off["test ndcg@10 (≥4)"]), float(on["test ndcg@10 (≥4)"])  # type: ignore[arg-type]
    mis_off, mis_on = float(off["test miscalibration@10"]), float(on["test miscalibration@10"])  # type: ignore[arg-type]
    floor = (1 - ACCURACY_TOLERANCE) * ndcg_off
    return [
        Target(f"served calibration λ={CALIBRATION_WEIGHT:g} (tune chose {chosen:g}): test nDCG@10 (≥4) within"
               " 1% of uncalibrated", ndcg_on, f"≥ {floor:.4f}", ndcg_on >= floor),
        Target("…and a genre mix closer to the user's likes (test miscalibration@10)", mis_on, f"< {mis_off:.4f}",
               mis_on < mis_off),
    ]  # fmt: skip


def _targets(by: dict[str, dict[str, object]], best: dict[str, float]) -> list[Target]:
    headline = "test ndcg@10 (≥4)"
    liked = float(by["liked_movies with stars"][headline])  # type: ignore[arg-type]
    out = []
    for fmt, weight in best.items():
        ignored = float(by[_name(fmt, 0.0)]["test disliked@10"])  # type: ignore[arg-type]
        used = float(by[_name(fmt, weight)]["test disliked@10"])  # type: ignore[arg-type]
        out.append(
            Target(f"{fmt} profile: dislikes used recommend fewer disliked movies than ignored (test)",
                   used, f"< {ignored:.4f}", used < ignored)
        )  # fmt: skip
        value = float(by[_name(fmt, weight)][headline])  # type: ignore[arg-type]
        out.append(
            Target(
                f"{fmt} profile (dislike weight {weight:g}, chosen on tune) test nDCG@10 (≥4)"
                f" ≥ {SAME_QUALITY:g} × liked_movies with stars",
                value,
                f"≥ {SAME_QUALITY * liked:.4f}",
                value >= SAME_QUALITY * liked,
            )
        )
    return out


def _result(context: EvalContext, rows: list[dict[str, object]], counts: _Counts, seconds: float) -> SectionResult:
    by = {str(r["path"]): r for r in rows}
    best = {fmt: _chosen_weight(by, fmt) for fmt in ("imdb", "letterboxd")}
    calibration = _chosen_calibration(by)
    protocol = (
        f"{counts.hidden} hidden users (seed {context.seed}, as in coldstart), {counts.cases} with a revealed rating"
        f" ≥ {DISLIKE_BELOW:g}; each reveals {REVEAL_FRACTION:.0%} of their ratings as IMDb and Letterboxd files"
        " imported as profiles; the ensemble trains on the other users; relevant = held-out ratings ≥ 4 (or all);"
        " dislike weight tuned on the 'tune' half, quoted on 'test'."
    )
    notes = [
        f"matched on import: IMDb {counts.matched['imdb']:,} / Letterboxd {counts.matched['letterboxd']:,}"
        f" of {counts.revealed:,} revealed ratings"
        + ("" if counts.has_imdb else " (this database has no IMDb ids: the IMDb files match by title and year)"),
        f"dislike weight chosen on the tune half: IMDb {best['imdb']:g}, Letterboxd {best['letterboxd']:g}",
        f"genre calibration chosen on the tune half: λ={calibration:g} (served default {CALIBRATION_WEIGHT:g})",
    ]
    if context.quick:
        notes.append("quick run on small data: not a reportable figure")
    targets = _targets(by, best) + _calibration_targets(by, calibration)
    return SectionResult("profiles", protocol, rows, targets, notes, round(seconds, 1))


def _name(fmt: str, weight: float) -> str:
    return f"{fmt} profile, low ratings ignored" if weight == 0 else f"{fmt} profile, dislikes w={weight:g}"
