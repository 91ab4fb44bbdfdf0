"""Serve the MCP server over HTTP: Streamable HTTP at /mcp, or the legacy SSE transport at /sse.

Safe by default: binds 127.0.0.1; rejects requests whose Origin is not a loopback page (a web page in a
browser must not drive a local server) and, when bound to loopback, whose Host is not a loopback name
(DNS rebinding); requires `Authorization: Bearer <token>` whenever a token is set, and refuses to
listen beyond loopback without one. The token is compared in constant time and never logged.

The app is the SDK's Starlette app wrapped in `GuardMiddleware`, with a lifespan that loads the
database once per process (sessions share it) and closes it after the last request at shutdown.
uvicorn serves it and turns SIGINT/SIGTERM into a graceful shutdown: it stops accepting connections,
lets in-flight requests finish for `GRACEFUL_SHUTDOWN_SECONDS`, cancels the rest, then runs the lifespan's
clean-up. With `workers` > 1, `server.workers` runs that app in several processes on one socket; the
app is then stateless (no Streamable HTTP sessions), since a session opened in one process is unknown
to the others. `stateless` asks the same of one process (replicas behind a load balancer).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.config import Settings
from core.runtime import MovieApp

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)

HttpTransport = Literal["streamable-http", "sse"]
TOKEN_ENV = "MOVIE_MCP_TOKEN"
MCP_PATH = "/mcp"
SSE_PATH = "/sse"
SSE_MESSAGE_PATH = "/messages/"
HEALTH_PATH = "/health"
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 4096
# Streamable HTTP sessions: one left idle this long is closed, and at most this many are open at once. The
# SDK's defaults (30 minutes, 10,000) let one client that opens sessions and walks away lock others out.
SESSION_IDLE_SECONDS = 300.0
MAX_SESSIONS = 200
GRACEFUL_SHUTDOWN_SECONDS = 5.0  # in-flight calls get this long to finish before they are cancelled
# This middleware checks Host and Origin itself (with --allow-origin), so the SDK's own check is switched off.
_SDK_SECURITY_OFF = TransportSecuritySettings(enable_dns_rebinding_protection=False)


class HttpConfigError(ValueError):
    """An HTTP setting that would make the server unsafe; the message says how to fix it."""


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1), with or without brackets."""
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """The name part of a Host header: 'example.com:8000' -> 'example.com', '[::1]:8000' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


@dataclass(frozen=True)
class HttpSettings:
    """How to serve over HTTP. `token` is excluded from the repr so it can never reach a log line."""

    transport: HttpTransport = "streamable-http"
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = field(default=None, repr=False)
    allowed_origins: tuple[str, ...] = ()
    session_idle_seconds: float = SESSION_IDLE_SECONDS
    max_sessions: int = MAX_SESSIONS
    workers: int = 1
    stateless: bool = False  # no sessions: any process (or replica) can answer any request

    def __post_init__(self) -> None:
        # Several processes share one port: every request must be answerable by any of them.
        if self.workers > 1:
            object.__setattr__(self, "stateless", True)

    @classmethod
    def from_args(
        cls,
        transport: HttpTransport,
        host: str,
        port: int,
        token: str | None = None,
        allowed_origins: list[str] | None = None,
        session_idle_seconds: float | None = None,
        max_sessions: int | None = None,
        workers: int = 1,
        stateless: bool = False,
    ) -> HttpSettings:
        """Settings from the command line; the token falls back to $MOVIE_MCP_TOKEN.

        An empty value means no token. Surrounding whitespace (a newline from a secrets file) is trimmed; a
        token of only whitespace becomes "" so `validate` refuses it rather than serving with a token no
        client can send. Session options on a stateless server (`stateless`, or `workers` > 1) are refused:
        it keeps no sessions."""
        if (stateless or workers > 1) and (session_idle_seconds is not None or max_sessions is not None):
            raise HttpConfigError(
                "--session-idle-timeout and --max-sessions limit Streamable HTTP sessions, which a stateless server"
                " (--stateless, or --workers above 1: any process answers any request) does not keep; drop them"
            )
        if not token:  # an empty value means "not set", as before
            token = os.environ.get(TOKEN_ENV) or None
        token = token.strip() if token is not None else None
        origins = tuple(o.rstrip("/").lower() for o in allowed_origins or ())
        idle = SESSION_IDLE_SECONDS if session_idle_seconds is None else session_idle_seconds
        sessions = MAX_SESSIONS if max_sessions is None else max_sessions
        return cls(transport, host, port, token, origins, idle, sessions, workers, stateless)

    def validate(self) -> None:
        """Refuse settings that would expose the server; raise `HttpConfigError` with the fix."""
        self._validate_token()
        self._validate_workers()
        if not self.session_idle_seconds > 0 or self.max_sessions < 1:
            raise HttpConfigError(
                "the session idle timeout must be more than 0 seconds and the session cap at least 1;"
                f" got {self.session_idle_seconds} and {self.max_sessions}"
            )
        if not is_loopback(self.host) and not self.token:
            raise HttpConfigError(
                f"refusing to listen on {self.host} without a bearer token: anyone who can reach this interface could"
                f" use the server. Set {TOKEN_ENV} (or pass --auth-token), or listen on 127.0.0.1"
            )

    def _validate_workers(self) -> None:
        """At least one worker; several only over Streamable HTTP, whose requests need no session."""
        if self.workers < 1:
            raise HttpConfigError(f"--workers must be at least 1, got {self.workers}")
        if self.stateless and self.transport != "streamable-http":
            raise HttpConfigError(
                "--workers above 1 and --stateless need --transport streamable-http: a legacy SSE client keeps its"
                " stream open on one process and posts its messages to any, which another process cannot route"
            )

    def _validate_token(self) -> None:
        """A token a client can send back: not blank, no whitespace inside, at least `MIN_TOKEN_LENGTH` long."""
        if self.token is None:
            return
        if not self.token:
            raise HttpConfigError(
                f"the bearer token is blank; unset {TOKEN_ENV} to serve without one on loopback, or set a token,"
                " e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if any(ch.isspace() for ch in self.token) or not self.token.isprintable():
            raise HttpConfigError(
                "the bearer token contains whitespace or control characters, which an Authorization header"
                " cannot carry; use letters, digits and punctuation only"
            )
        if len(self.token) > MAX_TOKEN_LENGTH:
            raise HttpConfigError(f"the bearer token is too long (at most {MAX_TOKEN_LENGTH} characters)")
        if len(self.token) < MIN_TOKEN_LENGTH:
            raise HttpConfigError(
                f"the bearer token is too short ({len(self.token)} characters; use at least {MIN_TOKEN_LENGTH}),"
                " e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{MCP_PATH if self.transport == 'streamable-http' else SSE_PATH}"


class GuardMiddleware:
    """Pure ASGI middleware (streams pass through untouched) that checks Host, Origin and the bearer token.

    403 for a foreign Origin (no Origin, as sent by non-browser clients, is fine), 421 for a non-loopback
    Host while bound to loopback, 401 with `WWW-Authenticate: Bearer` for a missing or wrong token.
    """

    def __init__(
        self, app: ASGIApp, *, token: str | None, allowed_origins: tuple[str, ...], loopback_only: bool
    ) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self.allowed_origins = frozenset(allowed_origins)
        self.loopback_only = loopback_only

    def origin_allowed(self, origin: str) -> bool:
        if origin.rstrip("/").lower() in self.allowed_origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and is_loopback(parts.hostname)

    def authorized(self, header: str | None) -> bool:
        if self._token is None:
            return True
        scheme, _, credentials = (header or "").partition(" ")
        # compare_digest on bytes: constant time in the token's content, whatever the caller sends.
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        response: Response | None = None
        host = headers.get("host", "")
        origin = headers.get("origin")
        if self.loopback_only and not is_loopback(_host_name(host)):
            response = JSONResponse({"error": "invalid Host header for a loopback server"}, status_code=421)
        elif origin is not None and not self.origin_allowed(origin):
            logger.warning("refused a request from origin %r", origin)
            response = JSONResponse({"error": f"origin {origin!r} is not allowed"}, status_code=403)
        elif not self.authorized(headers.get("authorization")):
            response = JSONResponse(
                {"error": "missing or invalid bearer token; send 'Authorization: Bearer <token>'"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="movie-mcp"'},
            )
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_http_app(server: MCPServer[MovieApp], movie_app: MovieApp, settings: HttpSettings) -> Starlette:
    """The Starlette app serving `server` over `settings.transport`, behind `GuardMiddleware` (and, with
    several workers, `ConnectionRecycling`)."""
    from server.app import running
    from server.recycling import ConnectionRecycling
    from server.sessions import evict_longest_idle_at_cap

    settings.validate()
    if settings.transport == "streamable-http":
        inner = server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            transport_security=_SDK_SECURITY_OFF,
            host=settings.host,
            stateless_http=settings.stateless,
            session_idle_timeout=None if settings.stateless else settings.session_idle_seconds,
            max_sessions=None if settings.stateless else settings.max_sessions,
        )
        if not settings.stateless:
            evict_longest_idle_at_cap(server.session_manager)
    else:
        inner = server.sse_app(
            sse_path=SSE_PATH, message_path=SSE_MESSAGE_PATH, transport_security=_SDK_SECURITY_OFF, host=settings.host
        )

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "transport": settings.transport})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Outermost owner of the MovieApp: loads it once for the process; the MCP lifespan entered by the
        # session manager (or by every legacy SSE connection) shares it. Closes the database at shutdown.
        async with running(movie_app), inner.router.lifespan_context(inner):
            logger.info(
                "serving %s (token required: %s%s)",
                settings.url,
                "yes" if settings.token else "no",
                f"; process {os.getpid()}, stateless" if settings.stateless else "",
            )
            yield

    routes: list[BaseRoute] = [Route(HEALTH_PATH, health, methods=["GET"]), *inner.routes]
    middleware = [
        Middleware(
            GuardMiddleware,
            token=settings.token,
            allowed_origins=settings.allowed_origins,
            loopback_only=is_loopback(settings.host),
        )
    ]
    if settings.workers > 1:  # connections a busy worker keeps are handed back to the kernel now and then
        middleware.append(Middleware(ConnectionRecycling))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def uvicorn_config(app: object, http: HttpSettings, *, factory: bool = False) -> uvicorn.Config:
    """How uvicorn serves `app` (an ASGI app, or with `factory` a callable building one in each worker)."""
    import uvicorn

    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=http.host,
        port=http.port,
        factory=factory,
        workers=http.workers,
        log_config=None,  # keep the CLI's logging: everything on stderr, one format
        access_log=logger.isEnabledFor(logging.DEBUG),  # request lines only with -v (they never hold the token)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        lifespan="on",
    )


def serve_http(settings: Settings, http: HttpSettings) -> int:
    """Run the HTTP server until SIGINT/SIGTERM; 2 (with the reason on stderr) when the settings are unsafe."""
    import uvicorn

    from server.app import create_server, serving_app

    try:
        http.validate()
    except HttpConfigError as exc:
        logger.error("%s", exc)
        return 2
    if http.workers > 1:
        from server.workers import serve_workers

        return serve_workers(settings, http)
    movie_app = serving_app(settings)
    app = create_http_app(create_server(movie_app=movie_app), movie_app, http)
    try:
        uvicorn.Server(uvicorn_config(app, http)).run()
    except KeyboardInterrupt:  # uvicorn re-raises SIGINT after its graceful shutdown; the exit is clean
        return 130
    return 0
