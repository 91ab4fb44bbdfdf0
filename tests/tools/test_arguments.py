"""spread_model_argument: a model's fields published as a tool's top-level arguments, and rebuilt per call."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools.base import Tool
from pydantic import BaseModel, Field

from core.search.filters import SemanticFilters
from tools._arguments import spread_model_argument
from tools.semantic_search import TOOL as SEMANTIC_SEARCH


class Window(BaseModel):
    start: Annotated[int, Field(ge=0, description="first row")] = 0
    size: Annotated[int, Field(ge=1, le=10, description="rows")]
    tags: list[str] = Field(default_factory=list, description="labels")


async def rows(what: str, ctx: Context, *, window: Window) -> dict[str, Any]:
    return {"what": what, "window": window}


def test_the_tool_schema_is_the_model_fields_beside_the_own_arguments() -> None:
    tool = Tool.from_function(spread_model_argument(rows, "window"), name="rows")
    properties = tool.parameters["properties"]
    assert list(properties) == ["what", "start", "size", "tags"]  # ctx is injected, not an argument
    declared = Window.model_json_schema()["properties"]
    assert {k: properties[k] for k in ("start", "size")} == {k: declared[k] for k in ("start", "size")}
    assert properties["tags"] == {**declared["tags"], "default": []}  # a default factory's value is published
    assert set(tool.parameters["required"]) == {"what", "size"}
    assert tool.context_kwarg == "ctx"


async def test_a_call_rebuilds_the_model_from_the_flat_arguments() -> None:
    spread = spread_model_argument(rows, "window")
    answer = await spread("x", None, size=3, tags=["a"])
    assert answer == {"what": "x", "window": Window(start=0, size=3, tags=["a"])}


def test_semantic_search_publishes_every_semantic_filter_as_declared() -> None:
    tool = Tool.from_function(SEMANTIC_SEARCH.fn, name=SEMANTIC_SEARCH.name, structured_output=True)
    properties = tool.parameters["properties"]
    assert list(properties) == ["query", "k", *SemanticFilters.model_fields]
    assert {k: properties[k] for k in SemanticFilters.model_fields} == SemanticFilters.model_json_schema()["properties"]
    assert tool.parameters["title"] == "semantic_searchArguments"  # the adapter keeps the tool function's name


async def clash(size: int, *, window: Window) -> None:
    return None


async def untyped(*, window: dict[str, int]) -> None:
    return None


@pytest.mark.parametrize(("fn", "message"), [(clash, "already has arguments"), (untyped, "pydantic model")])
def test_spreading_refuses_what_it_cannot_publish(fn: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        spread_model_argument(fn, "window")
