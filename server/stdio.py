"""The stdio transport, answering lines that are not JSON-RPC messages instead of dropping them.

The SDK's stdio reader turns a line it cannot parse into an exception on the read stream, and the server
loop logs and drops it, so a client that sent invalid JSON, a batch, a wrong `jsonrpc` or an id of the
wrong type waits for its timeout. Here a small task between the reader and the server loop answers each
such exception with a JSON-RPC error (-32700 parse error or -32600 invalid request). The id is null, as
JSON-RPC prescribes when the request's id cannot be read: the SDK keeps only the exception, not the line.
"""

from __future__ import annotations

import logging

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

logger = logging.getLogger(__name__)


def error_reply(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error for a line the SDK could not read as a message."""
    if isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors()):
        error = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not valid JSON")
    else:
        error = ErrorData(
            code=INVALID_REQUEST,
            message=(
                'Invalid request: send one JSON-RPC 2.0 object per line ("jsonrpc": "2.0", a "method", and an'
                ' "id" that is a string or an integer); batches are not supported'
            ),
        )
    return JSONRPCError(jsonrpc="2.0", id=None, error=error)


async def run_stdio(server: MCPServer) -> None:
    """Serve `server` over stdin/stdout until stdin closes, answering unreadable lines."""
    # The SDK's own `run_stdio_async` does the same with the read stream passed straight through; the
    # low-level server is reached the way it reaches it (no public accessor in this SDK version).
    lowlevel = server._lowlevel_server
    async with stdio_server() as (read_stream, write_stream):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def sift() -> None:
            async with send:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        logger.info("answered an unreadable stdio line: %s", type(item).__name__)
                        await write_stream.send(SessionMessage(error_reply(item)))
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(sift)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
