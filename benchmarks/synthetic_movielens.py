"""Generate an ml-32m-shaped synthetic data set in the MovieLens layout (for full-size benchmarks).

The real ml-32m (32,000,204 ratings, 200,948 users, 87,585 movies) may not be redistributed, so the
scaling benchmarks build this look-alike instead. It is deterministic for a seed and written to a
directory outside the repository (it is data, never committed):

- the 9,125 real movies of ml-latest-small come first (their titles, genres, links, tags) with
  their 100,004 real ratings by users 1-671; synthetic movies follow with plausible titles,
  MovieLens genres and years, and unique made-up IMDb/TMDB ids;
- movie popularity is Zipf-like (weight ∝ (rank + 30)^-1.2, the real movies spread over the most
  popular slots, busiest first), so a few movies have ~1% of all ratings and many have a handful;
- user activity is heavy-tailed (20 + a log-normal count: every user has at least 20 ratings, as
  MovieLens guarantees), scaled so the total is exact;
- stars are half-stars from μ + b_u + b_i + p_u·q_i + noise (genre-driven taste factors), so the
  ratings hold learnable structure; real movies take their bias from their real ratings.

Sizes: `--fraction F` of ml-32m (ratings and users ∝ F; the catalogue grows as F^0.35, at least the
9,125 real movies, so a third has ~60k movies like the issue's set) or `--preset third` (10M ratings,
70,000 users, 60,000 movies, the set of issue 13); `--ratings/--users/--movies` override.

    .venv/bin/python -m benchmarks.synthetic_movielens --preset third --out /tmp/scale/ml-third
    movie-mcp build --from movielens /tmp/scale/ml-third --db /tmp/scale/third.db
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

ML32M = {"ratings": 32_000_204, "users": 200_948, "movies": 87_585, "tags": 2_000_072}
PRESETS = {"third": {"ratings": 10_000_000, "users": 70_000, "movies": 60_000}}
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-latest-small"
CATALOGUE_EXPONENT = 0.35  # movies ∝ fraction^0.35: 1/3 of ml-32m's ratings → ~60k movies
MIN_USER_RATINGS = 20
ZIPF_EXPONENT, ZIPF_OFFSET = 1.2, 30.0
N_FACTORS = 8
_CHUNK_ROWS = 1_000_000
_VECTOR_ROUNDS = 6  # rounds of vectorised sampling before the stragglers go one by one

# Genre frequencies of MovieLens (share of movies carrying the genre, roughly as in ml-32m).
GENRES = {
    "Drama": 0.45, "Comedy": 0.30, "Thriller": 0.14, "Romance": 0.12, "Action": 0.12, "Horror": 0.10,
    "Documentary": 0.09, "Crime": 0.10, "Adventure": 0.07, "Sci-Fi": 0.06, "Children": 0.05,
    "Animation": 0.05, "Mystery": 0.05, "Fantasy": 0.05, "War": 0.03, "Western": 0.02, "Musical": 0.02,
    "Film-Noir": 0.005,
}  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ADJECTIVES = _words(
    "Silent Broken Golden Hidden Last Lost Dark Bright Wild Quiet Burning Frozen Crimson Distant Endless "
    "Forgotten Secret Savage Gentle Hollow Iron Lonely Midnight Northern Pale Restless Scarlet Shattered "
    "Southern Stolen Sudden Sweet Twisted Velvet Wicked Winter Electric Bitter Blue Final Little Long "
    "Perfect Red Second Strange True White Young Black Green Falling Rising Eternal Savage Sacred Small"
)
_NOUNS = _words(
    "River Road House City Night Garden Shadow Storm Heart Mountain Island Summer Dream Game Kingdom "
    "Stranger Mirror Promise Journey Letter Harbor Forest Empire Bridge Voice Fire Ocean Machine Border "
    "Hotel Station Circle Signal Witness Horizon Valley Season Frontier Orchard Mission Harvest Desert "
    "Lantern Secret Soldier Widow Sister Brother Daughter Father Hunter Thief Painter Doctor Angel Ghost "
    "Wolf Raven Tiger Crown Sword Castle Prison Village Planet Galaxy Engine Canyon Lighthouse Carnival "
    "Symphony Ballad Requiem Alibi Verdict Exile Rebellion Paradise Labyrinth Frontier Tide Echo"
)
_PLACES = _words(
    "Paris Tokyo Brooklyn Berlin Cairo Texas Alaska Rome Vienna Havana Lisbon Memphis Chicago Dublin "
    "Sicily Oslo Bombay Shanghai Nevada Montana Madrid Prague Istanbul Marseille Naples Seoul Sydney "
    "Kyoto Harlem Tangier Manila Quebec Glasgow Athens Warsaw Lagos Lima Bogota Hanoi Venice"
)


@dataclass(frozen=True)
class Sizes:
    ratings: int
    users: int
    movies: int
    tags: int

    @classmethod
    def of_fraction(cls, fraction: float) -> Sizes:
        """ml-32m scaled: ratings, users and tags ∝ fraction, movies ∝ fraction^0.35 (at least 9,125)."""
        movies = max(9_125, round(ML32M["movies"] * fraction**CATALOGUE_EXPONENT))
        return cls(
            round(ML32M["ratings"] * fraction),
            round(ML32M["users"] * fraction),
            min(movies, ML32M["movies"]),
            round(ML32M["tags"] * fraction),
        )


@dataclass(frozen=True)
class RealData:
    movies: pd.DataFrame
    links: pd.DataFrame
    ratings: pd.DataFrame
    tags: pd.DataFrame


def load_real(directory: Path, n_movies: int) -> RealData:
    """The first `n_movies` real movies (by id) of ml-latest-small, with their links, ratings and tags."""
    movies = pd.read_csv(directory / "movies.csv").sort_values("movieId").head(n_movies)
    keep = set(movies["movieId"])
    links = pd.read_csv(directory / "links.csv", dtype={"imdbId": str, "tmdbId": "Int64"})
    ratings = pd.read_csv(directory / "ratings.csv")
    tags = pd.read_csv(directory / "tags.csv")
    return RealData(
        movies.reset_index(drop=True),
        links[links["movieId"].isin(keep)].reset_index(drop=True),
        ratings[ratings["movieId"].isin(keep)].reset_index(drop=True),
        tags[tags["movieId"].isin(keep)].reset_index(drop=True),
    )


def _synthetic_titles(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct made-up titles ("The Silent River", "Harbor of Paris", "The Lost Echo of Rome")."""
    adjectives, nouns, places = _ADJECTIVES, sorted(set(_NOUNS)), _PLACES
    pool = [f"The {a} {n}" for a in adjectives for n in nouns]
    pool += [f"{n} of {p}" for n in nouns for p in places]
    pool += [f"The {a} {n} of {p}" for a in adjectives for n in nouns for p in places]
    pool = list(dict.fromkeys(pool))
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    titles = [pool[i] for i in picks]
    for i in range(len(titles), count):  # beyond the pool (never at ml-32m size): numbered sequels
        titles.append(f"{pool[i % len(pool)]} {i // len(pool) + 1}")
    return titles


def synthetic_movies(rng: np.random.Generator, first_id: int, count: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """movies.csv and links.csv rows for `count` synthetic movies with ids from `first_id`."""
    names = list(GENRES)
    shares = np.array(list(GENRES.values()))
    has = rng.random((count, len(names))) < shares
    has[~has.any(axis=1), 0] = True  # every movie has a genre (Drama, the commonest, when none drawn)
    years = np.clip(np.round(2023 - rng.exponential(18.0, count)), 1915, 2023).astype(int)
    titles = _synthetic_titles(rng, count)
    genres = ["|".join(sorted(g for g, on in zip(names, row, strict=True) if on)) for row in has]
    ids = np.arange(first_id, first_id + count)
    movies = pd.DataFrame(
        {"movieId": ids, "title": [f"{t} ({y})" for t, y in zip(titles, years, strict=True)], "genres": genres}
    )
    links = pd.DataFrame(
        {
            "movieId": ids,
            "imdbId": [f"{9_000_000 + i:07d}" for i in range(count)],
            "tmdbId": 5_000_000 + np.arange(count),
        }
    )
    return movies, links


def popularity(rng: np.random.Generator, n_movies: int, real_counts: np.ndarray) -> np.ndarray:
    """Sampling weight per movie (sums to 1): Zipf over ranks, real movies on the top slots by real count."""
    weights = (np.arange(n_movies) + ZIPF_OFFSET) ** -ZIPF_EXPONENT
    n_real = len(real_counts)
    pool = min(n_movies, 3 * n_real)
    real_slots = np.sort(rng.choice(pool, size=n_real, replace=False))
    rest = np.setdiff1d(np.arange(n_movies), real_slots)
    rank = np.empty(n_movies, dtype=np.int64)
    rank[np.argsort(-real_counts, kind="stable")] = real_slots  # busiest real movie → best real slot
    rank[n_real:] = rng.permutation(rest)
    out = weights[rank]
    return out / out.sum()


def user_activity(rng: np.random.Generator, n_users: int, total: int, cap: int) -> np.ndarray:
    """Ratings per user: 20 + a log-normal (σ 1.3), scaled so the counts sum to `total`, each ≤ `cap`."""
    if n_users * MIN_USER_RATINGS > total:
        raise ValueError(f"{total:,} ratings cannot give {n_users:,} users {MIN_USER_RATINGS} ratings each")
    extra = rng.lognormal(0.0, 1.3, n_users)
    counts = MIN_USER_RATINGS + np.floor(extra * (total - MIN_USER_RATINGS * n_users) / extra.sum()).astype(np.int64)
    counts = np.minimum(counts, cap)
    short = total - int(counts.sum())
    while short > 0:  # hand the rounding remainder to users below the cap, one each
        room = np.flatnonzero(counts < cap)
        if len(room) == 0:
            raise ValueError(f"{total:,} ratings do not fit {n_users:,} users of at most {cap:,} movies")
        pick = rng.choice(room, size=min(short, len(room)), replace=False)
        counts[pick] += 1
        short -= len(pick)
    return counts


def sample_pairs(rng: np.random.Generator, counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user index, movie index) pairs, `counts[u]` distinct movies per user drawn by `weights`.

    A few vectorised rounds draw with replacement (oversampled), drop repeats within a user and trim
    overshoot; the few heavy users still short after them finish one by one without replacement.
    """
    cumulative = np.cumsum(weights)
    n_movies = len(weights)
    keys = np.empty(0, dtype=np.int64)
    need = counts.copy()
    for _ in range(_VECTOR_ROUNDS):
        short = np.flatnonzero(need > 0)
        if len(short) == 0:
            break
        draws = np.repeat(short, need[short] + need[short] // 4 + 2)
        movies = np.minimum(np.searchsorted(cumulative, rng.random(len(draws)) * cumulative[-1]), n_movies - 1)
        keys = _trim(rng, _sorted_unique(np.concatenate([keys, draws * n_movies + movies])), n_movies, counts)
        need = counts - np.bincount(keys // n_movies, minlength=len(counts))
    extra = [keys]
    log_weights = np.log(weights)
    for user in np.flatnonzero(need > 0):
        own = keys[(keys >= user * n_movies) & (keys < (user + 1) * n_movies)] % n_movies
        # Weighted sampling without replacement (Efraimidis-Spirakis): the k largest log(U)/w.
        race = np.log(rng.random(n_movies)) / np.exp(log_weights)
        race[own] = -np.inf
        picks = np.argpartition(-race, int(need[user]) - 1)[: int(need[user])]
        extra.append(user * n_movies + picks)
    keys = np.sort(np.concatenate(extra))
    return keys // n_movies, keys % n_movies


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is ~50× slower on 10M int64 keys)."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def _trim(rng: np.random.Generator, keys: np.ndarray, n_movies: int, counts: np.ndarray) -> np.ndarray:
    """Keep a random `counts[u]` of each user's keys (keys sorted, so grouped by user)."""
    users = keys // n_movies
    have = np.bincount(users, minlength=len(counts))
    if not np.any(have > counts):
        return keys
    order = np.lexsort((rng.random(len(keys)), users))
    users_sorted = users[order]
    first = np.searchsorted(users_sorted, users_sorted)
    keep = (np.arange(len(keys)) - first) < counts[users_sorted]
    return np.sort(keys[order[keep]])


def movie_biases(rng: np.random.Generator, n_movies: int, real: RealData, real_ids: np.ndarray) -> np.ndarray:
    """b_i per movie: synthetic N(0, 0.45); real movies their damped mean deviation (damping 10)."""
    bias = rng.normal(0.0, 0.45, n_movies)
    mu = real.ratings["rating"].mean()
    grouped = real.ratings.groupby("movieId")["rating"].agg(["sum", "count"])
    stats = grouped.reindex(real_ids).fillna(0.0)
    bias[: len(real_ids)] = ((stats["sum"] - mu * stats["count"]) / (stats["count"] + 10.0)).to_numpy()
    return bias


def genre_factors(rng: np.random.Generator, genres: pd.Series) -> np.ndarray:
    """q_i per movie: the mean of its genres' random taste vectors plus a movie-specific part."""
    names = [*GENRES, "(no genres listed)", "IMAX"]
    basis = {name: rng.normal(0.0, 0.5, N_FACTORS) for name in names}
    out = rng.normal(0.0, 0.25, (len(genres), N_FACTORS))
    for i, text in enumerate(genres):
        parts = [basis[g] for g in str(text).split("|") if g in basis]
        if parts:
            out[i] += np.mean(parts, axis=0)
    return out


def stars(rng: np.random.Generator, users: np.ndarray, movies: np.ndarray, movie_bias: np.ndarray,
          movie_factors: np.ndarray, n_users: int) -> np.ndarray:  # fmt: skip
    """Half-star ratings: μ 3.5 + b_u + b_i + p_u·q_i + noise, rounded to whole stars 60% of the time."""
    user_bias = rng.normal(0.0, 0.4, n_users)
    user_factors = rng.normal(0.0, 0.6, (n_users, N_FACTORS))
    out = np.empty(len(users), dtype=np.float32)
    for lo in range(0, len(users), _CHUNK_ROWS):
        u, m = users[lo : lo + _CHUNK_ROWS], movies[lo : lo + _CHUNK_ROWS]
        taste = np.einsum("ij,ij->i", user_factors[u], movie_factors[m])
        score = 3.5 + user_bias[u] + movie_bias[m] + taste + rng.normal(0.0, 0.75, len(u))
        whole = rng.random(len(u)) < 0.6
        out[lo : lo + _CHUNK_ROWS] = np.where(whole, np.round(score), np.round(score * 2) / 2)
    return np.clip(out, 0.5, 5.0)


def timestamps(rng: np.random.Generator, users: np.ndarray, n_users: int) -> np.ndarray:
    """Each user rates within a few years starting somewhere between 1996 and 2023."""
    start = rng.integers(820_000_000, 1_690_000_000, n_users)
    span = rng.exponential(2 * 365 * 86_400, n_users).astype(np.int64)
    out = start[users] + (rng.random(len(users)) * span[users]).astype(np.int64)
    return np.minimum(out, 1_697_000_000)


_TAG_WORDS = (
    "atmospheric", "twist ending", "dark comedy", "based on a book", "visually appealing", "funny",
    "thought-provoking", "classic", "slow", "surreal", "quirky", "violent", "cult film", "great soundtrack",
    "predictable", "romantic", "nostalgic", "inspirational", "satire", "bleak", "stylish", "witty dialogue",
    "overrated", "underrated", "beautiful cinematography",
)  # fmt: skip


def synthetic_tags(rng: np.random.Generator, users: np.ndarray, movies: np.ndarray, movie_ids: np.ndarray,
                   user_ids: np.ndarray, count: int) -> pd.DataFrame:  # fmt: skip
    """`count` tags on random rated (user, movie) pairs, words from a small vocabulary."""
    if count <= 0 or len(users) == 0:
        return pd.DataFrame(columns=["userId", "movieId", "tag", "timestamp"])
    pick = rng.integers(0, len(users), count)
    words = np.array(_TAG_WORDS)
    return pd.DataFrame(
        {
            "userId": user_ids[users[pick]],
            "movieId": movie_ids[movies[pick]],
            "tag": words[rng.integers(0, len(words), count)],
            "timestamp": rng.integers(1_100_000_000, 1_697_000_000, count),
        }
    )


def _write_ratings(path: Path, frame: pd.DataFrame) -> None:
    """ratings.csv in chunks (MovieLens formatting: stars with one decimal)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("userId,movieId,rating,timestamp\n")
        for lo in range(0, len(frame), _CHUNK_ROWS):
            frame.iloc[lo : lo + _CHUNK_ROWS].to_csv(handle, header=False, index=False, float_format="%.1f")


def generate(out: Path, sizes: Sizes, seed: int = 42, real_dir: Path = REAL_DATA) -> dict[str, int]:
    """Write movies.csv, links.csv, ratings.csv and tags.csv to `out`; returns the counts written."""
    rng = np.random.default_rng(seed)
    real = load_real(real_dir, sizes.movies)
    n_real_movies, n_synthetic = len(real.movies), sizes.movies - len(real.movies)
    first_id = int(real.movies["movieId"].max()) + 1
    syn_movies, syn_links = synthetic_movies(rng, first_id, n_synthetic)
    movies = pd.concat([real.movies, syn_movies], ignore_index=True)
    links = pd.concat([real.links, syn_links], ignore_index=True)
    movie_ids = movies["movieId"].to_numpy()
    real_users = np.sort(real.ratings["userId"].unique())
    n_syn_users = sizes.users - len(real_users)
    n_syn_ratings = sizes.ratings - len(real.ratings)
    if n_syn_users <= 0 or n_syn_ratings <= 0:
        raise ValueError(f"sizes {sizes} are smaller than the real data they include")
    real_counts = real.ratings["movieId"].value_counts().reindex(movie_ids[:n_real_movies]).fillna(0).to_numpy()
    weights = popularity(rng, sizes.movies, real_counts)
    counts = user_activity(rng, n_syn_users, n_syn_ratings, cap=max(MIN_USER_RATINGS, sizes.movies // 2))
    users, movie_index = sample_pairs(rng, counts, weights)
    bias = movie_biases(rng, sizes.movies, real, movie_ids[:n_real_movies])
    factors = genre_factors(rng, movies["genres"])
    user_ids = np.arange(int(real_users.max()) + 1, int(real_users.max()) + 1 + n_syn_users)
    synthetic = pd.DataFrame(
        {
            "userId": user_ids[users],
            "movieId": movie_ids[movie_index],
            "rating": stars(rng, users, movie_index, bias, factors, n_syn_users),
            "timestamp": timestamps(rng, users, n_syn_users),
        }
    )
    tags = synthetic_tags(rng, users, movie_index, movie_ids, user_ids, sizes.tags - len(real.tags))
    out.mkdir(parents=True, exist_ok=True)
    movies.to_csv(out / "movies.csv", index=False)
    links.to_csv(out / "links.csv", index=False)
    pd.concat([real.tags, tags], ignore_index=True).to_csv(out / "tags.csv", index=False)
    _write_ratings(out / "ratings.csv", pd.concat([real.ratings, synthetic], ignore_index=True))
    return {"movies": len(movies), "users": sizes.users, "ratings": sizes.ratings, "tags": len(real.tags) + len(tags)}


def _sizes_from_args(args: argparse.Namespace) -> Sizes:
    base = Sizes(**PRESETS[args.preset], tags=0) if args.preset else Sizes.of_fraction(args.fraction)
    if args.preset:
        base = Sizes(base.ratings, base.users, base.movies, round(ML32M["tags"] * base.ratings / ML32M["ratings"]))
    return Sizes(
        args.ratings or base.ratings,
        args.users or base.users,
        args.movies or base.movies,
        base.tags if args.tags is None else args.tags,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write (outside the repository)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--fraction", type=float, help="share of ml-32m (ratings and users scale linearly)")
    group.add_argument("--preset", choices=sorted(PRESETS), help="third: 10M ratings, 70k users, 60k movies")
    parser.add_argument("--ratings", type=int, help="override the number of ratings")
    parser.add_argument("--users", type=int, help="override the number of users")
    parser.add_argument("--movies", type=int, help="override the number of movies")
    parser.add_argument("--tags", type=int, help="override the number of tags (default: ml-32m's share)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    sizes = _sizes_from_args(args)
    started = time.perf_counter()
    counts = generate(args.out, sizes, args.seed)
    print(f"wrote {args.out}: {counts} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
