"""What every tool adapter shares: the spec it registers with, its annotations, the app, and error mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from core.runtime import MovieApp
from tools._errors import core_errors_as
from tools._strict import strict_tool

T = TypeVar("T")

# Bounds every tool publishes for its integer arguments (SQLite integers are 64-bit; these are far below).
MAX_ID = 2_147_483_647  # MovieLens user and movie ids (and any id a larger catalogue would use)
MAX_OFFSET = 1_000_000  # paging past this many results is not a use, only a way to overflow
MAX_SEED = 2**32 - 1
MAX_TITLE_CHARS = 200  # one title, as typed
MAX_NAME_CHARS = 50  # one genre or other vocabulary word


@dataclass(frozen=True)
class ToolSpec:
    """One tool as registered: the adapter function plus its metadata."""

    fn: Callable[..., Awaitable[Any]]
    name: str
    title: str
    description: str
    annotations: ToolAnnotations

    def build(self) -> Tool:
        """The SDK tool to register, with strict arguments: unknown or oversized ones are a tool error."""
        tool = Tool.from_function(
            self.fn,
            name=self.name,
            title=self.title,
            description=self.description,
            annotations=self.annotations,
            structured_output=True,
        )
        return strict_tool(tool)


def read_only(title: str, *, idempotent: bool = True) -> ToolAnnotations:
    """A tool that only reads the local database and touches nothing outside it."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=idempotent, open_world_hint=False
    )


def app_of(ctx: Context) -> MovieApp:
    """The `MovieApp` the server's lifespan shares with every request (tools, resources and prompts)."""
    return ctx.request_context.lifespan_context


async def call_core(ctx: Context, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run a core function; errors the caller can fix become tool errors carrying their message."""
    with core_errors_as("tool"):
        return await fn(app_of(ctx), *args, **kwargs)
