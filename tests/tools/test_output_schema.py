"""Compacted output schemas accept exactly the documents the generated ones accept, and clients get them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema.validators import Draft202012Validator
from mcp import Client
from pydantic import BaseModel, Field

from tools._schema import compact_output_schema


class Reason(BaseModel):
    movie_id: int
    rating: float | None = Field(default=None, description="the user's own stars")


class Pick(BaseModel):
    title: str
    year: int | None = None
    because: list[Reason] = []
    best: Reason | None = None


class Answer(BaseModel):
    user: int | str | None
    picks: list[Pick]


class Node(BaseModel):  # recursive: cannot be inlined
    name: str
    children: list[Node] = []


VALID: list[dict[str, Any]] = [
    {"user": 1, "picks": []},
    {"user": "alice", "picks": [{"title": "Alien", "year": 1979, "because": [{"movie_id": 2, "rating": 4.5}]}]},
    {"user": None, "picks": [{"title": "Heat", "year": None, "best": {"movie_id": 3}}]},
]
INVALID: list[dict[str, Any]] = [
    {"picks": []},  # a required field missing
    {"user": 1.5, "picks": []},  # a type outside the union
    {"user": 1, "picks": [{"title": "Alien", "year": "1979"}]},
    {"user": 1, "picks": [{"title": "Alien", "because": [{"movie_id": 2, "rating": "high"}]}]},
    {"user": 1, "picks": [{"title": "Alien", "best": {"rating": 4.0}}]},  # nested required field missing
    {"user": 1, "picks": [{"title": "Alien", "best": 7}]},
]


def _accepts(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    return Draft202012Validator(schema).is_valid(document)


def test_compacted_schema_has_no_refs_or_type_only_unions_and_accepts_the_same_documents() -> None:
    original = Answer.model_json_schema()
    compacted = compact_output_schema(original)
    text = json.dumps(compacted)
    assert "$ref" not in text and "$defs" not in text and "anyOf" in json.dumps(original)
    assert compacted["properties"]["picks"]["items"]["properties"]["year"]["type"] == ["integer", "null"]
    # a field's own annotations survive the inlining of the model it refers to
    reason = compacted["properties"]["picks"]["items"]["properties"]["because"]["items"]
    assert reason["properties"]["rating"]["description"] == "the user's own stars"
    Draft202012Validator.check_schema(compacted)
    for document in VALID:
        assert _accepts(original, document) and _accepts(compacted, document), document
    for document in INVALID:
        assert not _accepts(original, document) and not _accepts(compacted, document), document


def test_a_union_with_a_model_branch_stays_an_anyof() -> None:
    compacted = compact_output_schema(Pick.model_json_schema())
    best = compacted["properties"]["best"]
    assert "anyOf" in best and {"type": "null"} in best["anyOf"]
    assert any(branch.get("type") == "object" for branch in best["anyOf"])


def test_a_recursive_model_keeps_the_definition_it_needs() -> None:
    original = Node.model_json_schema()
    compacted = compact_output_schema(original)
    Draft202012Validator.check_schema(compacted)
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    assert _accepts(compacted, tree)
    assert not _accepts(compacted, {"name": "a", "children": [{"name": "b", "children": [{"children": []}]}]})
    assert "$defs" in compacted


@pytest.mark.parametrize("tool", ["get_movie_recommendations", "semantic_search", "compare_movies"])
async def test_served_output_schemas_are_compacted_and_still_checked(client: Client, tool: str) -> None:
    listed = {t.name: t for t in (await client.list_tools()).tools}
    schema = listed[tool].output_schema
    assert schema is not None
    assert "$ref" not in json.dumps(schema)
    Draft202012Validator.check_schema(schema)
