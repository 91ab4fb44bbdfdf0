"""`movie-mcp chat`: an agent loop whose tools are the eleven MCP tools.

The model (any OpenAI-compatible endpoint, with function calling) reaches the tools through an
in-process MCP client session, the same path any MCP client takes, so the agent sees exactly what
Claude Desktop would see.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from mcp import Client
from openai import AsyncOpenAI

from core.config import Settings
from core.llm.client import openai_client
from core.runtime import MovieApp
from server.app import create_server

MAX_TOOL_STEPS = 8  # tool rounds per question before the agent must answer
MAX_TOOL_RESULT_CHARS = 12_000  # keeps one large result from crowding the context
SYSTEM_PROMPT = (
    "You are a movie assistant backed by the movie-mcp tools (a real recommender over MovieLens ratings). Use the"
    " tools to look things up; never invent movie ids, ratings or numbers. Movie ids are MovieLens ids: find them"
    " with search_movies or semantic_search first. Answer briefly and say which engine produced recommendations."
)
NO_ENDPOINT = (
    "chat needs an OpenAI-compatible endpoint with function calling: set OPENAI_BASE_URL (e.g. a llama.cpp, Ollama"
    " or vLLM server) and/or OPENAI_API_KEY, and MOVIE_MCP_LLM_MODEL. The eleven tools themselves work without one"
    " (movie-mcp call TOOL '{...}')."
)


def openai_tools(tools: list[Any]) -> list[dict[str, Any]]:
    """MCP tool listings as OpenAI function definitions."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description or "", "parameters": t.input_schema},
        }
        for t in tools
    ]


async def _run_tool(mcp: Client, name: str, raw_arguments: str | None) -> str:
    try:
        arguments = json.loads(raw_arguments or "{}")
    except json.JSONDecodeError as exc:
        return f"ERROR: the arguments are not valid JSON ({exc}); send a JSON object"
    if not isinstance(arguments, dict):
        return "ERROR: the arguments must be a JSON object"
    result = await mcp.call_tool(name, arguments)
    if result.is_error:
        return "ERROR: " + " ".join(getattr(c, "text", "") for c in result.content)
    text = json.dumps(result.structured_content, ensure_ascii=False)
    return text if len(text) <= MAX_TOOL_RESULT_CHARS else text[:MAX_TOOL_RESULT_CHARS] + " …(truncated)"


class ChatAgent:
    """One conversation: the message history, the MCP session and the model client."""

    def __init__(self, llm: AsyncOpenAI, model: str, mcp: Client, tools: list[dict[str, Any]]) -> None:
        self.llm = llm
        self.model = model
        self.mcp = mcp
        self.tools = tools
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
        self.tool_calls_made: list[str] = []

    async def ask(self, question: str) -> str:
        """Answer one question, calling tools as the model asks; the history is kept for the next."""
        self.messages.append({"role": "user", "content": question})
        for _ in range(MAX_TOOL_STEPS):
            response = await self.llm.chat.completions.create(
                model=self.model,
                messages=self.messages,  # type: ignore[arg-type]
                tools=self.tools,  # type: ignore[arg-type]
            )
            message = response.choices[0].message
            self.messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return message.content or ""
            for call in message.tool_calls:
                name = call.function.name  # type: ignore[union-attr]
                self.tool_calls_made.append(name)
                content = await _run_tool(self.mcp, name, call.function.arguments)  # type: ignore[union-attr]
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        return f"(stopped after {MAX_TOOL_STEPS} rounds of tool calls without a final answer)"


async def chat(
    settings: Settings,
    questions: list[str] | None,
    *,
    read_line: Callable[[], Awaitable[str | None]] | None = None,
    write: Callable[[str], None] = lambda text: (sys.stdout.write(text + "\n"), sys.stdout.flush())[0],
) -> int:
    """Answer the given questions, or (with `read_line`) converse until EOF, 'exit' or 'quit'."""
    if not settings.llm.configured:
        sys.stderr.write(NO_ENDPOINT + "\n")
        return 2
    app = MovieApp(settings, preload_embedder=False)
    llm = openai_client(settings.llm, max_retries=settings.llm.max_retries)
    try:
        async with Client(create_server(movie_app=app)) as mcp:
            agent = ChatAgent(llm, settings.llm.model, mcp, openai_tools((await mcp.list_tools()).tools))
            for question in questions or []:
                write(await agent.ask(question))
            while read_line is not None:
                line = await read_line()
                if line is None or line.strip().lower() in ("exit", "quit"):
                    break
                if line.strip():
                    write(await agent.ask(line))
    finally:
        await llm.close()
    return 0


async def read_stdin_line() -> str | None:
    """One line from the terminal (in a worker thread, so the event loop keeps running)."""

    def prompt() -> str | None:
        try:
            return input("you> ")
        except EOFError:
            return None

    return await anyio.to_thread.run_sync(prompt)
