"""A Letterboxd export of 30 science-fiction favourites and 5 disliked romantic comedies, over MCP, on the
default database (`MOVIE_MCP_DB` or db/movies.db, built by `make db`): the synthetic catalogue has only
12 science-fiction movies, too few for the person the acceptance describes."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from core.config import Settings
from core.profiles.service import import_profile
from core.search.embedder import Embedder
from core.services.recommend.calibrate import FOCUSED_WEIGHT
from tests.conftest import serve_in_memory
from tests.tools.test_tools import ok

FILE = Path(__file__).resolve().parent.parent / "fixtures" / "profiles" / "letterboxd_scifi_fan.csv"
SCIFI_CLASSIC = 924  # 2001: A Space Odyssey (1968), not in the file
ROMCOM = 2671  # Notting Hill (1999), not in the file


@pytest.fixture(scope="module")
def default_db() -> Path:
    path = Settings.from_env().db_path
    assert path.exists(), f"{path} is missing; build it with `make db` (or set MOVIE_MCP_DB)"
    return path


@pytest.fixture
async def fan(default_db: Path, embedder: Embedder, tmp_path: Path) -> AsyncIterator[Client]:
    settings = Settings(db_path=default_db, profiles_override=tmp_path / "profiles.db")
    report = import_profile(settings, FILE, "scifan")
    assert (report.format, report.matched, report.unmatched, report.rated) == ("letterboxd", 35, 0, 35)
    async with serve_in_memory(default_db, embedder, profiles=tmp_path / "profiles.db") as client:
        yield client


def _file_titles() -> set[str]:
    with FILE.open(encoding="utf-8") as f:
        return {row["Name"] for row in csv.DictReader(f)}


async def test_the_science_fiction_fan_over_mcp(fan: Client) -> None:
    answer = await ok(fan, "get_movie_recommendations", {"user_id": "scifan", "n": 10})
    picks = answer["recommendations"]
    assert not {p["title"] for p in picks} & _file_titles()  # none of the 35
    rated = {e["movie_id"] for p in picks for e in p["because"]}
    assert len(answer["disliked_movies"]) == 5 and not rated & {m["movie_id"] for m in answer["disliked_movies"]}
    # All 30 liked films are science fiction (a focused taste), so by default the list is calibrated at the
    # focused strength and is mostly science fiction; the population's default strength gives 4 of 10 (the
    # others the action-adventure films sci-fi fans co-rate, such as Raiders of the Lost Ark).
    assert answer["genre_calibration"] == FOCUSED_WEIGHT
    assert sum("Sci-Fi" in p["genres"] for p in picks) >= 6, [(p["title"], p["genres"]) for p in picks]
    broad = await ok(fan, "get_movie_recommendations", {"user_id": "scifan", "n": 10, "genre_calibration": 0.03})
    assert sum("Sci-Fi" in p["genres"] for p in broad["recommendations"]) < 6
    assert not {p["title"] for p in broad["recommendations"]} & _file_titles()
    classic = await ok(fan, "predict_rating", {"user_id": "scifan", "movie_id": SCIFI_CLASSIC})
    romcom = await ok(fan, "predict_rating", {"user_id": "scifan", "movie_id": ROMCOM})
    assert classic["predicted_rating"] > romcom["predicted_rating"]
    assert classic["ratings_used"] == 35

    taste = await ok(fan, "summarize_user_preferences", {"user_id": "scifan"})
    assert taste["genres"][0]["name"] == "Sci-Fi"
    assert "They watch mostly Sci-Fi" in taste["summary"]
