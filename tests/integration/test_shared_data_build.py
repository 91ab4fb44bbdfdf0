"""A full build from the real Kaggle-layout copy in ../shared/data, then the tools on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from core.data.build import BuildReport, build_database
from core.search.embedder import Embedder
from tests.conftest import serve_in_memory

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def kaggle_build(tmp_path_factory: pytest.TempPathFactory, shared_data: Path, embedder: Embedder) -> BuildReport:
    db = tmp_path_factory.mktemp("kaggle") / "movies.db"
    return build_database(db, "movies-dataset", shared_data / "movies-dataset", embedder=embedder)


@pytest.fixture
async def kaggle_client(kaggle_build: BuildReport, embedder: Embedder) -> AsyncIterator[Client]:
    async with serve_in_memory(kaggle_build.db_path, embedder) as client:
        yield client


async def call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content or {}


def test_shared_data_build_reports_counts_and_coverage(kaggle_build: BuildReport) -> None:
    assert kaggle_build.counts["ratings"] == 100_004 and kaggle_build.counts["users"] == 671
    coverage = kaggle_build.coverage
    assert coverage["movies"] >= 9_112
    assert coverage["overview"] >= 9_000 and coverage["budget"] == 4_272 and coverage["revenue"] == 4_400
    assert coverage["embedding"] == coverage["movies"] == coverage["enrichment"]


async def test_shared_data_fight_club_is_joined_through_links(kaggle_client: Client) -> None:
    fight_club = await call(kaggle_client, "get_movie_details", {"movie_id": 2959})
    assert fight_club["title"] == "Fight Club" and fight_club["tmdb_id"] == 550
    assert fight_club["imdb_id"] == "tt0137523" and fight_club["budget"] == 63_000_000
    assert fight_club["ratings"]["count"] == 202 and fight_club["ratings"]["mean"] == pytest.approx(4.18, abs=0.005)
    threesome = await call(kaggle_client, "get_movie_details", {"movie_id": 550})
    assert threesome["title"] != "Fight Club" and threesome["tmdb_id"] != 550


async def test_shared_data_semantic_search_finds_plots(kaggle_client: Client) -> None:
    result = await call(
        kaggle_client, "semantic_search", {"query": "an insomniac office worker starts an underground fighting club"}
    )
    assert 2959 in [r["movie_id"] for r in result["results"][:3]]
    comedies = await call(
        kaggle_client, "semantic_search", {"query": "a dog", "k": 10, "genre": "Comedy", "max_year": 1980}
    )
    assert len(comedies["results"]) == 10
    assert all("Comedy" in r["genres"] and r["year"] <= 1980 for r in comedies["results"])


async def test_shared_data_recommendations_skip_rated_and_explain(kaggle_client: Client) -> None:
    rated = await call(kaggle_client, "get_user_ratings", {"user_id": 1, "limit": 100})
    recs = await call(kaggle_client, "get_movie_recommendations", {"user_id": 1, "n": 10})
    picks = {r["movie_id"] for r in recs["recommendations"]}
    assert len(picks) == 10 and not picks & {r["movie_id"] for r in rated["ratings"]}
    assert all(r["because"] for r in recs["recommendations"])
