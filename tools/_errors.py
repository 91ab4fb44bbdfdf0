"""The one mapping from caller-fixable core errors (`core.errors`) to the errors MCP tools, resources and
prompts raise.

Each primitive reports errors its own way: a `ToolError` becomes an `is_error` result the model reads;
a `ResourceNotFoundError` becomes an invalid-params JSON-RPC error and a `ResourceError` an internal
one, both with the message; a prompt must raise `MCPError` itself, because the SDK replaces any other
exception from a prompt with "Internal server error". The message is always the core error's text, cut to
`core.errors.MESSAGE_CHARS`.

Failures that are not core errors but still have a cause the caller can act on are turned into core
errors here, in the one place every primitive passes through: SQLite's (busy, damaged, missing or
read-only database: `core.errors.database_error`) and an integer too large for SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from core.data import sqlite
from core.errors import (
    DatabaseError,
    InvalidInputError,
    MovieMcpError,
    NotFoundError,
    bounded,
    database_error,
)

Primitive = Literal["tool", "resource", "prompt"]


def invalid_params(message: str) -> MCPError:
    """An error the client shows as it is, with the JSON-RPC invalid-params code."""
    return MCPError(code=INVALID_PARAMS, message=message)


def internal_error(message: str) -> MCPError:
    """A failure of the server's state (its database), not of the request, with the message kept."""
    return MCPError(code=INTERNAL_ERROR, message=message)


# Which error each core error becomes, per primitive. Looked up along the error's class hierarchy, so a
# new `MovieMcpError` subclass gets its nearest listed base's row (`NotReadyError` gets the last one).
ERROR_TABLE: Mapping[type[MovieMcpError], Mapping[Primitive, Callable[[str], Exception]]] = {
    NotFoundError: {"tool": ToolError, "resource": ResourceNotFoundError, "prompt": invalid_params},
    InvalidInputError: {"tool": ToolError, "resource": ResourceNotFoundError, "prompt": invalid_params},
    DatabaseError: {"tool": ToolError, "resource": ResourceError, "prompt": internal_error},
    MovieMcpError: {"tool": ToolError, "resource": ResourceError, "prompt": invalid_params},
}


def mcp_error(exc: MovieMcpError, primitive: Primitive) -> Exception:
    """The error `primitive` raises for `exc`, carrying its message."""
    row = next(ERROR_TABLE[cls] for cls in type(exc).__mro__ if cls in ERROR_TABLE)
    return row[primitive](bounded(str(exc)))


@contextmanager
def core_errors_as(primitive: Primitive) -> Iterator[None]:
    """Re-raise caller-fixable core errors (and SQLite failures and integer overflow, as core errors) from the
    block as `primitive`'s errors; others pass untouched."""
    try:
        yield
    except MovieMcpError as exc:
        raise mcp_error(exc, primitive) from exc
    except sqlite.Error as exc:
        raise mcp_error(database_error(exc), primitive) from exc
    except OverflowError as exc:  # SQLite binds 64-bit integers; the schemas bound arguments well below that
        too_big = InvalidInputError("a number is too large: whole numbers must be below 2^63 (9223372036854775808)")
        raise mcp_error(too_big, primitive) from exc
