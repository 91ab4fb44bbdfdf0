"""What a database connection has already read, remembered for as long as the connection lives.

A built catalogue never changes under an open connection (a rebuild swaps in a new file, which the app
opens on a new connection), so reads of it can be kept per connection and dropped with it.
"""

from __future__ import annotations

from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

import aiosqlite

K = TypeVar("K")
V = TypeVar("V")


class ConnectionMemo(Generic[K, V]):
    """Per connection, up to `limit` remembered values; when full it starts again rather than track use."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_connection: WeakKeyDictionary[aiosqlite.Connection, dict[K, V]] = WeakKeyDictionary()

    def of(self, db: aiosqlite.Connection) -> dict[K, V]:
        """The values remembered for `db` (read-only by convention: add with `remember`)."""
        return self._by_connection.setdefault(db, {})

    def remember(self, db: aiosqlite.Connection, key: K, value: V) -> V:
        memo = self.of(db)
        if key not in memo and len(memo) >= self.limit:
            memo.clear()
        memo[key] = value
        return value

    def forget(self, db: aiosqlite.Connection) -> None:
        self._by_connection.pop(db, None)
