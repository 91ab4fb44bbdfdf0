"""Reproductions from the adversarial probe, through the in-memory client: every failure says why, briefly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR

HUGE = 2**63  # one past SQLite's largest integer
HUGE_TEXT = "99999999999999999999"


def text_of(result: Any) -> str:
    return result.content[0].text


async def failure(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} {arguments} should fail"
    return text_of(result)


# --- 1. integers of 2^63 or more ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("get_user_ratings", {"user_id": 1, "offset": HUGE}, "offset"),
        ("get_user_ratings", {"user_id": HUGE}, "user_id"),
        ("predict_rating", {"user_id": 1, "movie_id": HUGE * 10}, "movie_id"),
        ("compare_movies", {"movie_ids": [1, HUGE]}, "movie_ids"),
        ("get_random_movies", {"seed": HUGE}, "seed"),
        ("semantic_search", {"query": "space", "min_budget": HUGE}, "min_budget"),
    ],
)
async def test_an_oversized_integer_is_a_tool_error_naming_the_argument(
    client: Client, tool: str, arguments: dict[str, Any], named: str
) -> None:
    message = await failure(client, tool, arguments)
    assert named in message


async def test_a_numeric_title_beyond_64_bits_is_not_found(client: Client) -> None:
    message = await failure(client, "get_movie_details", {"title": HUGE_TEXT})
    assert f"movie '{HUGE_TEXT}' does not exist" in message


async def test_a_query_number_beyond_reason_names_the_condition(client: Client) -> None:
    message = await failure(
        client, "get_movie_recommendations", {"user_id": 1, "query": f"comedies under {HUGE_TEXT} minutes"}
    )
    assert "runtime is too large" in message


async def test_a_resource_id_beyond_the_range_is_not_found_not_internal(client: Client) -> None:
    with pytest.raises(MCPError, match="movie ids are whole numbers from 1 to") as raised:
        await client.read_resource("movie://99999999999999999999999")
    assert raised.value.error.code != INTERNAL_ERROR


async def test_a_prompt_id_beyond_the_range_is_invalid_params(client: Client) -> None:
    with pytest.raises(MCPError, match="out of range") as raised:
        await client.get_prompt("compare", {"movies": f"{HUGE_TEXT}; 1"})
    assert raised.value.error.code != 0
    with pytest.raises(MCPError, match="user_id must be a whole number from 1"):
        await client.get_prompt("explain_taste", {"user_id": HUGE_TEXT})


# --- 5. echoed input is cut short ----------------------------------------------------------------
async def test_a_huge_genre_gives_a_short_error(client: Client) -> None:
    message = await failure(client, "get_random_movies", {"genre": "x" * 100_000})
    assert "genre" in message and len(message) < 2000


async def test_fifty_huge_liked_titles_give_a_short_error(client: Client) -> None:
    message = await failure(client, "get_movie_recommendations", {"liked_movies": ["y" * 100_000] * 50})
    assert "liked_movies" in message and len(message) < 2000


async def test_an_unknown_title_is_quoted_as_an_excerpt(client: Client) -> None:
    title = "no such film " * 15  # within the 200-character bound, longer than an excerpt
    message = await failure(client, "get_movie_details", {"title": title})
    assert "no movie title matches" in message and title not in message and "characters)" in message


def test_every_mapped_message_is_bounded() -> None:
    from core.errors import MESSAGE_CHARS, NotFoundError
    from tools._errors import mcp_error

    assert len(str(mcp_error(NotFoundError("z" * 50_000), "tool"))) <= MESSAGE_CHARS


# --- 8. arguments a tool does not declare --------------------------------------------------------
@pytest.mark.parametrize("stray", ["genre_filter", "genre"])
async def test_an_unknown_argument_is_named_and_the_real_ones_listed(client: Client, stray: str) -> None:
    message = await failure(client, "get_movie_recommendations", {"user_id": 1, stray: "Comedy"})
    assert f"unknown argument(s) '{stray}'" in message
    assert "get_movie_recommendations takes: " in message and "user_id" in message and "query" in message


async def test_every_tool_refuses_unknown_arguments_and_says_so_in_its_schema(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert len(tools) == 11
    for tool in tools:
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        message = await failure(client, tool.name, {"surely_not_an_argument": 1})
        assert "surely_not_an_argument" in message, tool.name


async def test_every_integer_argument_has_an_upper_bound_in_its_schema(client: Client) -> None:
    def integers(schema: dict[str, Any]) -> list[dict[str, Any]]:
        found = [schema] if schema.get("type") == "integer" else []
        for sub in [*schema.get("anyOf", []), *([schema["items"]] if "items" in schema else [])]:
            found += integers(sub)
        return found

    for tool in (await client.list_tools()).tools:
        for name, prop in tool.input_schema["properties"].items():
            for schema in integers(prop):
                assert schema.get("maximum", HUGE) < HUGE, f"{tool.name}.{name}"


# --- 2. database failures ----------------------------------------------------------------------
HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.rollback()
"""


async def test_a_write_behind_a_held_lock_says_the_database_is_busy(
    tmp_path: Path, synthetic_db: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess
    import sys

    from core.data.store import runtime as runtime_store
    from tests.conftest import serve_in_memory

    original = runtime_store.set_busy_timeout
    monkeypatch.setattr(runtime_store, "set_busy_timeout", lambda db: original(db, 100))  # not 5 s in a test
    db_path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db_path)
    async with serve_in_memory(db_path, embedder) as c:
        await c.call_tool("get_movie_details", {"movie_id": 1})  # loaded
        # Another process: SQLite's locks are per process, so a connection in this one would not block.
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            message = await failure(c, "enrich_movies", {"movie_ids": [1], "force": True})
        finally:
            holder.communicate("", timeout=10)
    assert "database is busy" in message and "retry" in message


async def test_a_file_overwritten_under_the_server_says_it_is_damaged(
    tmp_path: Path, synthetic_db: Path, embedder: Any
) -> None:
    import shutil

    from tests.conftest import serve_in_memory

    db_path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, db_path)
    async with serve_in_memory(db_path, embedder) as c:
        await c.call_tool("get_movie_details", {"movie_id": 1})
        with db_path.open("r+b") as f:  # same file (same inode), garbage in place of its pages
            f.write(b"\x00garbage" * (db_path.stat().st_size // 8))
        message = await failure(c, "search_movies", {"query": "toy"})
        with pytest.raises(MCPError, match="movie-mcp build") as raised:
            await c.read_resource("movie://2")
    assert "rebuild it with `movie-mcp build`" in message and ("damaged" in message or "not a database" in message)
    assert raised.value.error.code == INTERNAL_ERROR


@pytest.mark.parametrize(
    ("sqlite_message", "expected"),
    [
        ("database is locked", "busy"),
        ("database disk image is malformed", "damaged"),
        ("attempt to write a readonly database", "read-only"),
        ("unable to open database file", "missing"),
        ("no such table: movies", "lacks a table"),
        ("something new", "the database failed (something new)"),
    ],
)
@pytest.mark.parametrize("primitive", ["tool", "resource", "prompt"])
def test_each_sqlite_failure_is_named_for_every_primitive(sqlite_message: str, expected: str, primitive: Any) -> None:
    from core.data import sqlite
    from tools._errors import core_errors_as

    with pytest.raises(Exception) as raised, core_errors_as(primitive):  # its type depends on the primitive
        raise sqlite.OperationalError(sqlite_message)
    assert expected in str(raised.value) and not isinstance(raised.value, sqlite.Error)
