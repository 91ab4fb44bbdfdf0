"""A minimal stateless MCP client for load tests: JSON-RPC POSTs at protocol 2026-07-28 over one keep-alive
HTTP/1.1 connection, written with asyncio streams.

A 2026-07-28 request needs no session: each POST carries the protocol version and client capabilities in
`params._meta` and the routing headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), and gets one
JSON-RPC response (JSON, or an SSE stream when the server sends progress first). That is all a load test
needs, at a fraction of the SDK client's CPU per call, so on a small machine the load generator is not
what limits the server it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

PROTOCOL_VERSION = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": PROTOCOL_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "movie-mcp-load", "version": "0"},
}
IDLE_RECONNECT_SECONDS = 4.0  # uvicorn closes a keep-alive connection idle for 5 s


class RawMcpError(RuntimeError):
    """The server answered with something other than a JSON-RPC result (HTTP error, JSON-RPC error)."""


class RawMcpClient:
    """One connection to `url` (http://host:port/path). Not for concurrent use: one request at a time."""

    def __init__(self, url: str, timeout: float = 30.0, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.headers = [f"{key}: {value}" for key, value in (headers or {}).items()]  # e.g. Authorization
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0
        self._next_id = 0

    async def __aenter__(self) -> RawMcpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def list_tools(self) -> list[dict[str, Any]]:
        return list((await self.request("tools/list", {}))["tools"])

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The tool's CallToolResult as a dict (check its `isError`)."""
        return await self.request("tools/call", {"name": name, "arguments": arguments}, name=name)

    async def request(self, method: str, params: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
        """Send one JSON-RPC request and return its `result`; `RawMcpError` for anything else."""
        if self._writer is None or time.monotonic() - self._last_used > IDLE_RECONNECT_SECONDS:
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        self._next_id += 1
        body = json.dumps(
            {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": {**params, "_meta": META}}
        ).encode()
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            "Accept: application/json, text/event-stream",
            f"MCP-Protocol-Version: {PROTOCOL_VERSION}",
            f"Mcp-Method: {method}",
            *([f"Mcp-Name: {name}"] if name else []),
            f"Content-Length: {len(body)}",
            *self.headers,
        ]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        try:
            status, headers, payload = await asyncio.wait_for(_read_response(self._reader), self.timeout)
        except BaseException:
            await self.close()  # a half-read response leaves the connection unusable
            raise
        self._last_used = time.monotonic()
        if headers.get("connection") == "close":
            await self.close()
        return _result(status, headers, payload, self._next_id)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of one HTTP/1.1 response, with a length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
            chunks.append(chunk[:-2])
        return status, headers, b"".join(chunks)
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


def _result(status: int, headers: dict[str, str], payload: bytes, request_id: int) -> dict[str, Any]:
    """The JSON-RPC result for `request_id` from a JSON body or an SSE stream."""
    if headers.get("content-type", "").startswith("text/event-stream"):
        messages = [
            json.loads(line[5:])
            for line in payload.decode().splitlines()
            if line.startswith("data:") and line[5:].strip()
        ]
    else:
        messages = [json.loads(payload)] if payload else []
    for message in messages:
        if message.get("id") == request_id:
            if "result" in message:
                return dict(message["result"])
            raise RawMcpError(f"HTTP {status}: JSON-RPC error {message.get('error')}")
    raise RawMcpError(f"HTTP {status}: no response to request {request_id}: {payload[:200]!r}")
