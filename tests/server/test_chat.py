"""`movie-mcp chat`: the agent loop reaches the eleven tools through an in-process MCP session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings
from server.chat import NO_ENDPOINT, chat
from server.cli import main
from tests.llm_double import LLMDouble, tool_calls


def _settings(db: Path, fake: LLMDouble) -> Settings:
    return Settings(db_path=db, llm=fake.settings(api_key="t", timeout=5))


async def test_chat_calls_tools_and_answers(synthetic_db: Path, fake_llm: LLMDouble) -> None:
    fake_llm.script = [
        tool_calls([{"name": "search_movies", "arguments": {"query": "star voyage", "limit": 1}}]),
        tool_calls([{"name": "get_user_ratings", "arguments": {"user_id": 99999}}]),
    ]
    said: list[str] = []
    code = await chat(_settings(synthetic_db, fake_llm), ["which movie is The Star Voyage?"], write=said.append)
    assert code == 0 and said == ["FAKE-LLM: nothing to add."]
    # The tools' answers went back to the model as tool messages, errors included.
    second, third = fake_llm.requests[1], fake_llm.requests[2]
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and json.loads(tool_message["content"])["results"][0]["movie_id"] == 1
    assert third["messages"][-1]["content"].startswith("ERROR: ") and "99999" in third["messages"][-1]["content"]
    assert {t["function"]["name"] for t in fake_llm.requests[0]["tools"]} >= {"search_movies", "semantic_search"}
    assert len(fake_llm.requests[0]["tools"]) == 11


async def test_interactive_chat_keeps_the_conversation(synthetic_db: Path, fake_llm: LLMDouble) -> None:
    lines = iter(["first question", "second question", "exit"])

    async def read_line() -> str | None:
        return next(lines, None)

    said: list[str] = []
    assert await chat(_settings(synthetic_db, fake_llm), [], read_line=read_line, write=said.append) == 0
    assert len(said) == 2
    history = [m["content"] for m in fake_llm.requests[-1]["messages"] if m["role"] == "user"]
    assert history == ["first question", "second question"]


def test_chat_without_an_endpoint_says_it_needs_one(
    synthetic_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--db", str(synthetic_db), "chat", "hello"]) == 2
    assert NO_ENDPOINT in capsys.readouterr().err
