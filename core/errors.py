"""Errors a caller can fix. The MCP layer turns them into tool errors; their text is the message."""

from __future__ import annotations

EXCERPT_CHARS = 60  # how much of a caller's input an error message may echo
MESSAGE_CHARS = 1500  # the longest message an error carries to a caller


class MovieMcpError(Exception):
    """Base class for errors whose message is meant for the caller (a person or a model)."""


class NotFoundError(MovieMcpError):
    """A user, movie or other entity that does not exist."""


class InvalidInputError(MovieMcpError):
    """An argument that is out of range, empty or contradictory."""


class NotReadyError(MovieMcpError):
    """The database or a model is missing; the message says how to build it."""


class ModelTooLargeError(MovieMcpError):
    """A model that would not fit the build's memory budget or SQLite's limit on one blob."""


class DatabaseError(MovieMcpError):
    """The database file failed under a call; the subclass says which way and the message what to do."""


class DatabaseBusyError(DatabaseError):
    """Another process held the write lock for longer than the busy timeout."""


class DatabaseCorruptError(DatabaseError):
    """The file is damaged, truncated or not a database."""


class DatabaseMissingError(DatabaseError):
    """The file (or a table in it) disappeared under the running server."""


class DatabaseReadOnlyError(DatabaseError):
    """A write was refused: the file, its directory or the connection is read-only."""


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """`repr(value)` cut to about `limit` characters, saying how long the whole was when it was cut."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[: limit - 1]}…{length}"


def bounded(message: str, limit: int = MESSAGE_CHARS) -> str:
    """`message` cut to `limit` characters, so no error can carry an unbounded echo of its input."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


# What each database failure means and what to do, keyed by a phrase SQLite puts in its message.
_DATABASE_FAILURES: tuple[tuple[str, type[DatabaseError], str], ...] = (
    (
        "locked",
        DatabaseBusyError,
        "the database is busy: another process (a build or an enrichment) has held its write lock for over"
        " 5 seconds; retry in a moment",
    ),
    ("busy", DatabaseBusyError, "the database is busy: another process holds its lock; retry in a moment"),
    (
        "readonly",
        DatabaseReadOnlyError,
        "the database is read-only: make the file and its directory writable by this server (or run read-only"
        " tools only)",
    ),
    (
        "malformed",
        DatabaseCorruptError,
        "the database file is damaged (truncated or overwritten); rebuild it with `movie-mcp build`",
    ),
    ("not a database", DatabaseCorruptError, "the file is not a database; rebuild it with `movie-mcp build`"),
    (
        "vtable constructor failed",
        DatabaseCorruptError,
        "the database's index is damaged; rebuild it with `movie-mcp build`",
    ),
    ("disk i/o", DatabaseCorruptError, "the database could not be read (disk I/O error); check the disk, then rebuild"),
    (
        "unable to open",
        DatabaseMissingError,
        "the database file is missing or cannot be opened; build it with `movie-mcp build`",
    ),
    (
        "no such table",
        DatabaseMissingError,
        "the database lacks a table (truncated?); rebuild it with `movie-mcp build`",
    ),
)


def database_error(exc: Exception) -> DatabaseError:
    """The caller-facing error for a failure raised by SQLite (or by the connection driving it)."""
    text = str(exc).lower()
    for phrase, kind, message in _DATABASE_FAILURES:
        if phrase in text:
            return kind(message)
    reason = bounded(str(exc), 200)
    return DatabaseError(f"the database failed ({reason}); if it persists, rebuild it with `movie-mcp build`")
