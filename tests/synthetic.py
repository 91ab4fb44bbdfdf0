"""A small synthetic catalogue with a known structure, used by core, tool and server tests.

Two taste blocks: "space" movies (Sci-Fi/Action) and "romance" movies (Romance/Comedy). Users 1-12
love space and dislike romance; users 13-24 the reverse. Each user leaves a few block movies unrated,
so the right recommendations are known: the unrated movies of the user's own block.
"""

from __future__ import annotations

import pandas as pd

from core.data.importers.base import Dataset, MovieRecord

SPACE_IDS = list(range(1, 13))  # 12 space movies
ROMANCE_IDS = list(range(101, 113))  # 12 romance movies
SPACE_FANS = list(range(1, 13))
ROMANCE_FANS = list(range(13, 25))
UNRATED_MOVIE_ID = 500  # in the catalogue, never rated

SPACE_OVERVIEWS = [
    "Astronauts travel through a wormhole to find a new home for humanity among distant stars.",
    "A starship crew battles an alien armada at the edge of the galaxy.",
    "A lone pilot is stranded on Mars and must grow food to survive until rescue.",
    "Robots rebel against their makers on a space station orbiting Jupiter.",
    "A smuggler and a princess fight an evil empire with laser swords and starfighters.",
    "Colonists on a frozen moon discover an ancient alien signal.",
    "An artificial intelligence takes control of a spaceship on a voyage to Saturn.",
    "Soldiers in power armour defend Earth from giant alien bugs.",
    "A time traveller from the future tries to stop a war between humans and machines.",
    "Miners on an asteroid face a deadly creature hiding in the dark tunnels.",
    "A rocket engineer races to launch the first mission to a comet.",
    "Space pirates hijack a cargo freighter carrying a dangerous weapon.",
]
ROMANCE_OVERVIEWS = [
    "Two strangers fall in love during a summer in Paris and share a wonderful, happy romance.",
    "A bookshop owner and a famous actress find friendship and love in London.",
    "A wedding planner falls for the groom in a charming comedy of errors.",
    "Childhood friends reunite years later and discover true love.",
    "A chef and a food critic bicker until they fall in love.",
    "A heartwarming story of a widower who finds hope and joy again.",
    "A musician and a dancer chase their dreams and each other in Los Angeles.",
    "Pen pals who hate each other in person fall in love through letters.",
    "A runaway bride learns to laugh and love again in a small town.",
    "A holiday house swap leads two women to unexpected romance.",
    "A speed-dating disaster becomes the start of a beautiful friendship.",
    "Two rival florists compete for a wedding contract and fall in love.",
]


def make_dataset() -> Dataset:
    movies: list[MovieRecord] = []
    for i, movie_id in enumerate(SPACE_IDS):
        movies.append(
            MovieRecord(
                movie_id=movie_id,
                title=f"Star Voyage {i + 1}" if i else "The Star Voyage",
                year=1990 + i,
                genres=["Sci-Fi", "Action"] if i % 2 == 0 else ["Sci-Fi", "Adventure"],
                imdb_id=f"tt{1000000 + movie_id:07d}",
                tmdb_id=9000 + movie_id,
                overview=SPACE_OVERVIEWS[i],
                budget=(20 + 20 * i) * 1_000_000 if i != 3 else None,
                revenue=(50 + 60 * i) * 1_000_000 if i not in (3, 5) else None,
                runtime=100.0 + 5 * i,
                release_date=f"{1990 + i}-06-01",
                language="en",
                mpaa="PG-13",
                akas=["Voyage to the Stars"] if i == 0 else [],
            )
        )
    for i, movie_id in enumerate(ROMANCE_IDS):
        movies.append(
            MovieRecord(
                movie_id=movie_id,
                title=f"Love in Paris {i + 1}" if i else "Amélie's Summer",
                year=2000 + i,
                genres=["Romance", "Comedy"] if i % 2 == 0 else ["Romance", "Drama"],
                overview=ROMANCE_OVERVIEWS[i],
                budget=(2 + i) * 1_000_000,
                revenue=(10 + 15 * i) * 1_000_000,
                runtime=90.0 + 2 * i,
                release_date=f"{2000 + i}-02-14",
                language="en",
                mpaa="PG",
            )
        )
    movies.append(MovieRecord(movie_id=UNRATED_MOVIE_ID, title="Nobody Saw This", year=1975, genres=["Documentary"]))

    rows: list[tuple[int, int, float, int]] = []
    timestamp = 1_000_000_000
    for fans, own, other in ((SPACE_FANS, SPACE_IDS, ROMANCE_IDS), (ROMANCE_FANS, ROMANCE_IDS, SPACE_IDS)):
        for k, user in enumerate(fans):
            # Each user leaves out 3 movies of their own block (a different 3 per user).
            held_out = {own[(k + j) % len(own)] for j in range(3)}
            for movie in own:
                if movie not in held_out:
                    timestamp += 1
                    rows.append((user, movie, 5.0 if (movie + user) % 3 else 4.5, timestamp))
            for movie in other[: 2 + k % 3]:
                timestamp += 1
                rows.append((user, movie, 1.5 if (movie + user) % 2 else 2.0, timestamp))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    tags = pd.DataFrame(
        [(1, 1, "space", timestamp), (2, 1, "Space", timestamp), (3, 1, "wormhole", timestamp)],
        columns=["user_id", "movie_id", "tag", "timestamp"],
    )
    return Dataset(source="synthetic", movies=movies, ratings=ratings, tags=tags, notes=["synthetic test data"])
