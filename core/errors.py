"""Errors a caller can fix. The MCP layer turns them into tool errors; their text is the message."""

from __future__ import annotations


class MovieMcpError(Exception):
    """Base class for errors whose message is meant for the caller (a person or a model)."""


class NotFoundError(MovieMcpError):
    """A user, movie or other entity that does not exist."""


class InvalidInputError(MovieMcpError):
    """An argument that is out of range, empty or contradictory."""


class NotReadyError(MovieMcpError):
    """The database or a model is missing; the message says how to build it."""
