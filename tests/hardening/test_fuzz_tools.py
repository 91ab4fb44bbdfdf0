"""Fuzz every tool's input schema through the in-memory client (hypothesis, bounded and derandomised).

Each call must come back as a result or as a tool error whose text is short (under 2,000 characters),
gives a reason (not the SDK's bare "Error executing tool NAME") and names the argument or the state at
fault. Afterwards the database file is byte-for-byte what it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools import ALL_TOOLS

T = TypeVar("T")
EXAMPLES_PER_TOOL = 40
MAX_ERROR_CHARS = 2000
# Errors about the state rather than an argument name it in one of these phrases.
STATE_PHRASES = ("does not exist", "no movie", "database", "not ready", "no ratings", "matches no", "nothing")


class Loop:
    """An event loop in a thread holding one MCP client, so synchronous hypothesis tests can call it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, synthetic_db: Path, embedder: Any) -> Iterator[Any]:
    """(call a tool, the tools' schemas, the database path, its checksum before any call)."""
    from tests.conftest import serve_in_memory

    db_path = tmp_path_factory.mktemp("fuzz") / "movies.db"
    shutil.copy(synthetic_db, db_path)
    before = checksum(db_path)
    loop = Loop()
    context = serve_in_memory(db_path, embedder)
    client = loop.run(context.__aenter__())
    schemas = {t.name: t.input_schema for t in loop.run(client.list_tools()).tools}

    def call(name: str, arguments: dict[str, Any]) -> Any:
        return loop.run(client.call_tool(name, arguments))

    yield call, schemas, db_path, before
    loop.run(context.__aexit__(None, None, None))
    loop.stop()


# --- strategies from a JSON schema --------------------------------------------------------------
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.just("x" * 5000),
    st.lists(st.integers(), max_size=3),
)


def of_schema(schema: dict[str, Any], *, only_valid: bool = False) -> st.SearchStrategy[Any]:
    """Mostly valid values (so calls reach the database), then values at or past the schema's edges, then
    anything at all."""
    valid: list[st.SearchStrategy[Any]] = []
    edge: list[st.SearchStrategy[Any]] = []
    for sub in schema.get("anyOf", [schema]):
        kind = sub.get("type")
        if "enum" in sub:
            valid.append(st.sampled_from(sub["enum"]))
        elif kind == "integer":
            low, high = sub.get("minimum", 0), sub.get("maximum", 2**63)
            valid.append(st.integers(low, min(high, low + 300)))
            edge.append(st.sampled_from([low - 1, high, high + 1, 2**64, -(2**63) - 1]))
        elif kind == "number":
            low, high = sub.get("minimum", -1e9), sub.get("maximum", 1e9)
            valid.append(st.floats(low, high))
            edge.append(st.sampled_from([low - 1, high + 1, 1e308]))
        elif kind == "string":
            valid.append(st.sampled_from(["Comedy", "Toy Story", "space", "1", "love in Paris"]))
            edge.append(st.text(max_size=sub.get("maxLength", 60) + 5))
        elif kind == "array":
            items = of_schema(sub.get("items", {}), only_valid=only_valid)
            valid.append(st.lists(items, min_size=sub.get("minItems", 0), max_size=sub.get("maxItems", 5)))
            edge.append(st.lists(items, max_size=sub.get("maxItems", 5) + 2))
        elif kind == "boolean":
            valid.append(st.booleans())
        elif kind == "null":
            valid.append(st.none())
    if not valid:
        return ANYTHING
    valid_value = st.one_of(*valid)
    edge_value = st.one_of(*edge) if edge else ANYTHING
    return valid_value if only_valid else st.one_of(valid_value, edge_value, edge_value, ANYTHING)


def arguments_for(schema: dict[str, Any], *, only_valid: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the tool's arguments (the required ones always); with `only_valid`, each within its schema,
    otherwise any of them may be out of range or of the wrong type, and undeclared ones may come along."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    chosen = {
        name: (
            of_schema(prop, only_valid=only_valid)
            if name in required
            else st.one_of(st.just(...), of_schema(prop, only_valid=only_valid))
        )
        for name, prop in properties.items()
    }
    none: st.SearchStrategy[dict[str, Any]] = st.just({})
    stray = st.dictionaries(st.sampled_from(["genres", "genre_filter", "k2", ""]), ANYTHING)
    strays = none if only_valid else st.one_of(none, none, stray)
    return st.tuples(st.fixed_dictionaries(chosen), strays).map(
        lambda pair: {k: v for k, v in pair[0].items() if v is not ...} | pair[1]
    )


def any_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid calls (which reach the services and the database) as often as invalid ones."""
    return st.one_of(arguments_for(schema, only_valid=True), arguments_for(schema, only_valid=False))


# --- the property ---------------------------------------------------------------------------------
def check_result(name: str, schema: dict[str, Any], arguments: dict[str, Any], result: Any) -> None:
    if not result.is_error:
        assert result.structured_content is not None, (name, arguments)
        return
    text = result.content[0].text
    assert len(text) < MAX_ERROR_CHARS, (name, arguments, len(text))
    reason = text.removeprefix(f"Error executing tool {name}").lstrip(": ")
    assert reason, f"{name} failed without a reason for {arguments}"
    names = [a for a in [*schema.get("properties", {}), *arguments] if a]
    named = [a for a in names if a in reason or a.replace("_", " ") in reason]  # "movie ids" names movie_ids
    assert named or any(p in reason.lower() for p in STATE_PHRASES), (name, arguments, reason)


@pytest.mark.parametrize("tool", [spec.name for spec in ALL_TOOLS])
def test_every_call_is_a_result_or_a_short_error_that_says_why(fuzzed: Any, tool: str) -> None:
    call, schemas, _, _ = fuzzed
    schema = schemas[tool]
    if tool == "enrich_movies":  # the one writing tool: fuzz it without `force`, so a valid call writes nothing
        schema = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k != "force"}}

    @settings(
        max_examples=EXAMPLES_PER_TOOL,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(arguments=any_arguments(schema))
    def property_holds(arguments: dict[str, Any]) -> None:
        check_result(tool, schema, arguments, call(tool, arguments))

    property_holds()


def test_the_database_is_unchanged_after_the_fuzzing(fuzzed: Any) -> None:
    _, _, db_path, before = fuzzed
    assert checksum(db_path) == before
