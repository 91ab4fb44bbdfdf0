"""Resources, prompts, argument completion and progress through the in-memory MCP client, on the synthetic
catalogue: every answer is checked against what the synthetic data makes known."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, PromptReference, ResourceTemplateReference

from core.config import Settings
from core.llm.config import LLMSettings
from core.runtime import MovieApp
from core.search.embedder import Embedder
from prompts._common import split_titles
from resources import ALL_RESOURCES
from tests.conftest import serve_in_memory
from tests.llm_double import LLMDouble
from tests.synthetic import ROMANCE_IDS, SPACE_FANS, SPACE_IDS, UNRATED_MOVIE_ID, make_dataset


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)


async def tool_json(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error and result.structured_content is not None, result.content
    return result.structured_content


def prompt_text(message: Any) -> str:
    return message.content.text


# --- resources --------------------------------------------------------------------------------------
async def test_resources_and_templates_are_listed_with_json_mime_types(client: Client) -> None:
    resources = (await client.list_resources()).resources
    assert [str(r.uri) for r in resources] == ["catalog://stats"]
    templates = {t.uri_template: t for t in (await client.list_resource_templates()).resource_templates}
    assert set(templates) == {"movie://{movie_id}", "user://{user_id}/profile"}
    for item in [*resources, *templates.values()]:
        assert item.mime_type == "application/json" and item.description and item.title


async def test_catalogue_stats_count_the_synthetic_catalogue(client: Client) -> None:
    dataset = make_dataset()
    stats = await read_json(client, "catalog://stats")
    assert stats["movies"] == len(dataset.movies)
    assert stats["ratings"] == len(dataset.ratings)
    assert stats["users"] == dataset.ratings["user_id"].nunique()
    assert stats["tags"] == len(dataset.tags)
    assert stats["user_ids"] == {"first": 1, "last": 24}
    assert sum(stats["rating_histogram"].values()) == len(dataset.ratings)
    assert stats["coverage"]["rated"] == len(dataset.movies) - 1  # all but the unrated documentary
    genres = {g["value"]: g["movies"] for g in stats["genres"]}
    assert genres["Sci-Fi"] == len(SPACE_IDS) and genres["Romance"] == len(ROMANCE_IDS)
    assert stats["enriched_movies"] == len(dataset.movies)  # the build enriches everything offline


async def test_the_movie_and_profile_resources_equal_their_tools(client: Client) -> None:
    assert await read_json(client, "movie://1") == await tool_json(client, "get_movie_details", {"movie_id": 1})
    profile = await read_json(client, f"user://{SPACE_FANS[0]}/profile")
    assert profile == await tool_json(client, "summarize_user_preferences", {"user_id": SPACE_FANS[0]})
    assert profile["genres"][0]["name"] in {"Sci-Fi", "Action"}  # a space fan


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("movie://999999", "movie 999999 does not exist"),
        ("movie://abc", "movie ids are whole numbers"),
        ("user://99999/profile", "user 99999 does not exist"),
        ("user://0/profile", "user ids are whole numbers"),
        ("user://nobody/profile", "no profile named 'nobody'"),
    ],
)
async def test_unknown_resources_are_errors_that_say_why(client: Client, uri: str, message: str) -> None:
    with pytest.raises(MCPError, match=message):
        await client.read_resource(uri)


async def test_without_a_database_every_primitive_says_how_to_build_it(embedder: Embedder, tmp_path: Path) -> None:
    """One error table: the same not-ready message reaches a tool, a resource and a prompt, each in its form."""
    async with serve_in_memory(tmp_path / "missing.db", embedder) as empty:
        tool = await empty.call_tool("get_movie_details", {"movie_id": 1})
        assert tool.is_error and "movie-mcp build" in tool.content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError, match="movie-mcp build") as resource:
            await empty.read_resource("movie://1")
        assert resource.value.error.code == INTERNAL_ERROR  # not ready is not "not found"
        with pytest.raises(MCPError, match="movie-mcp build") as prompt:
            await empty.get_prompt("compare", {"movies": "1; 2"})
        assert prompt.value.error.code == INVALID_PARAMS


def test_a_static_resource_is_bound_to_the_app_and_a_template_reaches_it_through_the_context(
    synthetic_db: Path,
) -> None:
    app = MovieApp(Settings(db_path=synthetic_db))
    by_uri = {spec.uri: spec for spec in ALL_RESOURCES}
    template, static = by_uri["movie://{movie_id}"], by_uri["catalog://stats"]
    assert template.is_template and template.bind(app) is template.fn
    assert "ctx" in inspect.signature(template.fn).parameters
    assert not static.is_template and not inspect.signature(static.bind(app)).parameters


# --- prompts ----------------------------------------------------------------------------------------
async def test_the_three_prompts_are_listed_with_their_arguments(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"recommend_from_liked", "explain_taste", "compare"}
    arguments = {name: {a.name: a.required for a in p.arguments or []} for name, p in prompts.items()}
    assert arguments == {
        "recommend_from_liked": {"liked_movies": True, "genre": False},
        "explain_taste": {"user_id": True},
        "compare": {"movies": True},
    }
    assert all(p.description and p.title for p in prompts.values())


async def test_recommend_from_liked_resolves_titles_to_ids_and_a_canonical_genre(client: Client) -> None:
    result = await client.get_prompt(
        "recommend_from_liked", {"liked_movies": "star voyage; Star Voyage 2; Zzyzx Nonexistent", "genre": "sci-fi"}
    )
    (message,) = result.messages
    text = prompt_text(message)
    assert message.role == "user"
    assert "The Star Voyage (1990, movie_id 1); Star Voyage 2 (1991, movie_id 2)" in text
    assert 'get_movie_recommendations with liked_movies=[1, 2], genres=["Sci-Fi"]' in text  # a typed filter
    assert "'Zzyzx Nonexistent'" in text  # the title that matched nothing is named


async def test_recommend_from_liked_splits_on_commas_when_there_is_no_semicolon(client: Client) -> None:
    result = await client.get_prompt("recommend_from_liked", {"liked_movies": "1, 101"})
    assert "liked_movies=[1, 101]" in prompt_text(result.messages[0])


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("recommend_from_liked", {"liked_movies": "Zzyzx Nonexistent"}, "no movie matches 'Zzyzx Nonexistent'"),
        ("recommend_from_liked", {"liked_movies": "1", "genre": "Opera"}, "unknown genre 'Opera'"),
        ("compare", {"movies": "The Star Voyage"}, "need at least 2 known movie"),
        ("explain_taste", {"user_id": "fifteen"}, "no profile named 'fifteen'"),
        ("explain_taste", {"user_id": "../x"}, "neither a MovieLens user id nor a profile name"),
        ("explain_taste", {"user_id": "99999"}, "user 99999 does not exist"),
    ],
)
async def test_prompt_arguments_that_cannot_work_are_errors_that_say_why(
    client: Client, name: str, args: dict[str, str], message: str
) -> None:
    with pytest.raises(MCPError, match=message):
        await client.get_prompt(name, args)


async def test_explain_taste_attaches_the_users_profile(client: Client) -> None:
    user = SPACE_FANS[0]
    result = await client.get_prompt("explain_taste", {"user_id": str(user)})
    instructions, attached = result.messages
    assert f"get_movie_recommendations(user_id={user}, n=3)" in prompt_text(instructions)
    assert attached.content.type == "resource"
    assert str(attached.content.resource.uri) == f"user://{user}/profile"
    embedded = json.loads(attached.content.resource.text)
    assert embedded == await read_json(client, f"user://{user}/profile")


async def test_compare_names_the_movies_and_the_tool_call(client: Client) -> None:
    result = await client.get_prompt("compare", {"movies": f"{SPACE_IDS[0]}; Amélie's Summer; {UNRATED_MOVIE_ID}"})
    text = prompt_text(result.messages[0])
    assert f"compare_movies with movie_ids=[1, 101, {UNRATED_MOVIE_ID}]" in text
    assert "Nobody Saw This (1975" in text


# --- completion -------------------------------------------------------------------------------------
async def complete(client: Client, ref: PromptReference | ResourceTemplateReference, name: str, value: str) -> Any:
    return (await client.complete(ref, {"name": name, "value": value})).completion


async def test_titles_complete_from_the_title_index_keeping_earlier_titles(client: Client) -> None:
    ref = PromptReference(name="compare")
    first = await complete(client, ref, "movies", "star voy")
    assert "The Star Voyage" in first.values and len(first.values) == len(SPACE_IDS)
    assert all("Star Voyage" in title for title in first.values)
    assert first.total == len(SPACE_IDS) and first.has_more is False
    second = await complete(client, ref, "movies", "The Star Voyage; amel")
    assert second.values == ["The Star Voyage; Amélie's Summer"]
    liked = await complete(client, PromptReference(name="recommend_from_liked"), "liked_movies", "")
    assert liked.values and len(liked.values) <= 20 and liked.has_more  # the most-rated titles to start from


async def test_genres_and_user_ids_complete(client: Client) -> None:
    genres = await complete(client, PromptReference(name="recommend_from_liked"), "genre", "s")
    assert genres.values == ["Sci-Fi"]
    users = await complete(client, PromptReference(name="explain_taste"), "user_id", "2")
    assert users.values == ["2", "20", "21", "22", "23", "24"]
    template = await complete(client, ResourceTemplateReference(uri="user://{user_id}/profile"), "user_id", "1")
    assert template.values[:3] == ["1", "10", "11"]
    assert (await complete(client, PromptReference(name="explain_taste"), "user_id", "x")).values == []


# --- progress ---------------------------------------------------------------------------------------
async def test_recommendations_report_progress_through_the_llm_rerank(
    synthetic_db: Path, embedder: Embedder, fake_llm: LLMDouble, tmp_path: Path
) -> None:
    db = tmp_path / "movies.db"  # a private copy: LLM answers are cached in the database
    shutil.copy(synthetic_db, db)
    llm = LLMSettings(
        base_url=fake_llm.base_url,
        api_key="test",
        model="fake-model",
        timeout=5.0,
        max_retries=0,
        transport=fake_llm.transport,  # in-process: tests/llm_double
    )
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with serve_in_memory(db, embedder, llm) as client:
        result = await client.call_tool(
            "get_movie_recommendations",
            {"user_id": SPACE_FANS[0], "n": 3, "engine": "llm"},
            progress_callback=on_progress,
        )
    assert not result.is_error and result.structured_content is not None
    assert result.structured_content["engine"] == "llm-rerank"
    assert [p for p, _, _ in seen] == [1, 2, 3, 4] and {t for _, t, _ in seen} == {4}
    assert "LLM" in (seen[1][2] or "") and "llm-rerank" in (seen[3][2] or "")


async def test_recommendations_without_an_llm_still_report_monotonic_progress(client: Client) -> None:
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    result = await client.call_tool(
        "get_movie_recommendations", {"user_id": SPACE_FANS[0], "n": 3}, progress_callback=on_progress
    )
    assert not result.is_error
    assert seen == sorted(seen) and seen[-1] == 4


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("Heat; The Godfather", ["Heat", "The Godfather"]),
        ("Heat\nThe Good, the Bad and the Ugly", ["Heat", "The Good, the Bad and the Ugly"]),  # ',' kept
        ("1, 101 ,", ["1", "101"]),
        (" ; ", []),
    ],
)
def test_titles_split_on_semicolons_or_lines_and_on_commas_only_without_them(text: str, titles: list[str]) -> None:
    assert split_titles(text) == titles
