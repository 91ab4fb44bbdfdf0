"""Every user tool, the resource and the prompt serve an imported profile; disliked_movies for everyone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from core.config import Settings
from core.profiles.service import import_profile
from core.search.embedder import Embedder
from tests.conftest import serve_in_memory
from tests.synthetic import ROMANCE_IDS, SPACE_IDS
from tests.tools.test_tools import error_text, ok

SEEN_SPACE = SPACE_IDS[:8]  # rated 4.5-5 stars
UNSEEN_SPACE = SPACE_IDS[8:]
DISLIKED_ROMANCE = ROMANCE_IDS[:3]  # rated 1 star
WATCHED = ROMANCE_IDS[3]  # in watched.csv: seen, no stars


def _letterboxd(path: Path) -> Path:
    lines = ["Date,Name,Year,Letterboxd URI,Rating"]
    for i, movie_id in enumerate(SEEN_SPACE):
        name = "The Star Voyage" if movie_id == 1 else f"Star Voyage {movie_id}"
        lines.append(f"2024-01-{i + 1:02d},{name},{1989 + movie_id},https://boxd.it/x{movie_id},{5 if i % 2 else 4.5}")
    for i, movie_id in enumerate(DISLIKED_ROMANCE):
        name = "Amélie's Summer" if movie_id == 101 else f"Love in Paris {movie_id - 100}"
        lines.append(f"2024-02-{i + 1:02d},{name},{1899 + movie_id},https://boxd.it/y{movie_id},1")
    lines.append("2024-03-01,A Film Nobody Made,1999,https://boxd.it/zz,4")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def profile_client(synthetic_db: Path, embedder: Embedder, tmp_path: Path) -> AsyncIterator[Client]:
    profiles = tmp_path / "profiles.db"
    settings = Settings(db_path=synthetic_db, profiles_override=profiles)
    report = import_profile(settings, _letterboxd(tmp_path / "ratings.csv"), "ripley")
    assert (report.matched, report.unmatched) == (11, 1)
    watched = tmp_path / "watched.csv"
    watched.write_text("Date,Name,Year,Letterboxd URI\n2024-04-01,Love in Paris 4,2003,u\n", encoding="utf-8")
    assert import_profile(settings, watched, "ripley").watched == 1
    async with serve_in_memory(synthetic_db, embedder, profiles=profiles) as c:
        yield c


async def test_recommendations_for_a_profile_skip_rated_watched_and_disliked(profile_client: Client) -> None:
    answer = await ok(profile_client, "get_movie_recommendations", {"user_id": "ripley", "n": 5})
    picks = [r["movie_id"] for r in answer["recommendations"]]
    assert answer["user_id"] == "ripley"
    assert not set(picks) & {*SEEN_SPACE, *DISLIKED_ROMANCE, WATCHED}
    assert set(picks[: len(UNSEEN_SPACE)]) == set(UNSEEN_SPACE)  # their own block first
    assert {m["movie_id"] for m in answer["disliked_movies"]} == set(DISLIKED_ROMANCE)
    because = {e["movie_id"] for r in answer["recommendations"][:4] for e in r["because"]}
    assert because and because <= set(SEEN_SPACE)  # explained from the person's own ratings


async def test_predict_rating_folds_the_profile_in(profile_client: Client) -> None:
    space = await ok(profile_client, "predict_rating", {"user_id": "ripley", "movie_id": UNSEEN_SPACE[0]})
    romance = await ok(profile_client, "predict_rating", {"user_id": "ripley", "movie_id": ROMANCE_IDS[-1]})
    assert space["predicted_rating"] > romance["predicted_rating"] + 1.0
    assert space["ratings_used"] == len(SEEN_SPACE) + len(DISLIKED_ROMANCE)
    assert space["user_id"] == "ripley" and space["confidence"] > 0


async def test_ratings_summary_resource_and_prompt_take_the_profile_name(profile_client: Client) -> None:
    page = await ok(profile_client, "get_user_ratings", {"user_id": "Ripley", "sort": "lowest", "limit": 3})
    assert page["user_id"] == "ripley" and page["total"] == 11 and page["watched_only"] == 1
    assert [r["rating"] for r in page["ratings"]] == [1.0, 1.0, 1.0]
    summary = await ok(profile_client, "summarize_user_preferences", {"user_id": "ripley"})
    assert summary["genres"][0]["name"] == "Sci-Fi"
    assert summary["summary"].startswith("Profile ripley has rated 11 movies")
    resource = await profile_client.read_resource("user://ripley/profile")
    assert json.loads(resource.contents[0].text)["genres"][0]["name"] == "Sci-Fi"
    prompt = await profile_client.get_prompt("explain_taste", {"user_id": "ripley"})
    assert "get_movie_recommendations(user_id='ripley', n=3)" in prompt.messages[0].content.text


async def test_unknown_and_malformed_profile_names_are_clear_errors(profile_client: Client) -> None:
    assert "no profile named 'nobody'" in await error_text(profile_client, "get_user_ratings", {"user_id": "nobody"})
    text = await error_text(profile_client, "predict_rating", {"user_id": "a/../b", "movie_id": 1})
    assert "neither a MovieLens user id nor a profile name" in text
    with pytest.raises(MCPError, match="no profile named"):
        await profile_client.read_resource("user://nobody/profile")


async def test_disliked_movies_are_never_returned_and_are_echoed(client: Client) -> None:
    liked = [SPACE_IDS[0], ROMANCE_IDS[0]]
    plain = await ok(client, "get_movie_recommendations", {"liked_movies": liked, "n": 20})
    assert ROMANCE_IDS[1] in [r["movie_id"] for r in plain["recommendations"]]  # the exclusion is what removes it
    answer = await ok(
        client,
        "get_movie_recommendations",
        {"liked_movies": liked, "disliked_movies": [f"Love in Paris {ROMANCE_IDS[1] - 100}"], "n": 20},
    )
    assert ROMANCE_IDS[1] not in [r["movie_id"] for r in answer["recommendations"]]
    assert [m["movie_id"] for m in answer["disliked_movies"]] == [ROMANCE_IDS[1]]


async def test_a_movie_both_liked_and_disliked_is_an_error(client: Client) -> None:
    text = await error_text(
        client, "get_movie_recommendations", {"liked_movies": [SPACE_IDS[0]], "disliked_movies": [SPACE_IDS[0]]}
    )
    assert "both liked and disliked" in text


async def test_every_server_over_the_same_file_sees_an_import_at_once(
    synthetic_db: Path, embedder: Embedder, tmp_path: Path
) -> None:
    """Over HTTP all callers share one profiles file; two servers stand in for two sessions here."""
    profiles = tmp_path / "profiles.db"
    settings = Settings(db_path=synthetic_db, profiles_override=profiles)
    async with (
        serve_in_memory(synthetic_db, embedder, profiles=profiles) as first,
        serve_in_memory(synthetic_db, embedder, profiles=profiles) as second,
    ):
        assert "no profile named 'ripley'" in await error_text(first, "get_user_ratings", {"user_id": "ripley"})
        import_profile(settings, _letterboxd(tmp_path / "ratings.csv"), "ripley")  # while both are running
        for client in (first, second):
            assert (await ok(client, "get_user_ratings", {"user_id": "ripley"}))["total"] == 11
