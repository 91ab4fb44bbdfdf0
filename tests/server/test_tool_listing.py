"""What `tools/list` tells a model, tool by tool: a title, a description that tells it apart from its
siblings, annotations, documented input and output schemas, and a row in the README's tool table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import Tool

from tools import ALL_TOOLS

README = Path(__file__).resolve().parents[2] / "README.md"
TOOL_NAMES = [spec.name for spec in ALL_TOOLS]

# Sibling tools a model could confuse: each description must point to the other.
SIBLINGS = [
    ("search_movies", "semantic_search"),
    ("semantic_search", "search_movies"),
    ("predict_rating", "get_movie_recommendations"),
    ("get_movie_recommendations", "predict_rating"),
    ("get_user_ratings", "summarize_user_preferences"),
    ("summarize_user_preferences", "get_user_ratings"),
    ("get_random_movies", "get_movie_recommendations"),
    ("get_enriched_movies", "enrich_movies"),
]


async def listed(client: Client, name: str) -> Tool:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert name in tools, f"{name} is not in tools/list"
    return tools[name]


def readme_tool_table() -> dict[str, str]:
    """The README's tool table: tool name -> its row."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The eleven tools", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {re.match(r"\| `(\w+)", row).group(1): row for row in rows}  # type: ignore[union-attr]


def schema_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert schema.get("type") == "object"
    return schema.get("properties", {})


async def test_tools_list_is_exactly_the_eleven_registered_tools(client: Client) -> None:
    assert [tool.name for tool in (await client.list_tools()).tools] == TOOL_NAMES
    assert len(TOOL_NAMES) == 11


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_every_tool_is_fully_described(client: Client, name: str) -> None:
    tool = await listed(client, name)
    assert tool.title and tool.title[0].isupper()
    assert tool.description and len(tool.description) >= 150, "say what it answers, with units and when to use it"

    annotations = tool.annotations
    assert annotations is not None and annotations.title
    hints = (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint)
    assert None not in hints and annotations.open_world_hint is False  # local data only
    assert annotations.read_only_hint is (name != "enrich_movies")  # the one tool that writes
    assert annotations.destructive_hint is False

    inputs = schema_properties(tool.input_schema)
    assert inputs, "every tool takes arguments"
    for argument, schema in inputs.items():
        assert schema.get("description"), f"{name}.{argument} has no description"
    outputs = schema_properties(tool.output_schema or {})
    assert outputs, "structured output needs an output schema"


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_every_tool_has_a_row_in_the_readme_tool_table(name: str) -> None:
    table = readme_tool_table()
    assert name in table, f"README.md's tool table has no row for {name}"


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_every_bounded_number_says_its_range(client: Client, name: str) -> None:
    """Counts and pages are bounded, so a model never asks for an answer too large to read."""
    inputs = schema_properties((await listed(client, name)).input_schema)
    for argument in ("limit", "n", "k"):
        schema = inputs.get(argument)
        if schema is None:
            continue
        options = schema.get("anyOf", [schema])
        assert any("maximum" in option for option in options), f"{name}.{argument} has no maximum"


@pytest.mark.parametrize(("name", "sibling"), SIBLINGS)
async def test_descriptions_tell_siblings_apart(client: Client, name: str, sibling: str) -> None:
    tool = await listed(client, name)
    assert tool.description and sibling in tool.description, f"{name} should say when to use {sibling} instead"
