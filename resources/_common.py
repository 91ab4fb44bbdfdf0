"""What every resource shares: the spec it registers with, the id check, and JSON from a core call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from core.errors import NotFoundError, excerpt
from core.runtime import MovieApp
from tools._common import MAX_ID  # the bound the tools publish on ids

JSON = "application/json"


@dataclass(frozen=True)
class ResourceSpec:
    """One resource or resource template as registered: its function plus its metadata.

    A template's function takes its URI parameters and a `Context` (the app comes from the lifespan,
    as for tools). The SDK injects no `Context` into a static resource, so a static resource's function
    takes the `MovieApp` instead and `bind` closes over it.
    """

    fn: Callable[..., Awaitable[str]]
    uri: str
    name: str
    title: str
    description: str
    mime_type: str = JSON

    @property
    def is_template(self) -> bool:
        return "{" in self.uri

    def bind(self, app: MovieApp) -> Callable[..., Awaitable[str]]:
        """The function to register: a template's as it is, a static resource's bound to `app`."""
        if self.is_template:
            return self.fn
        static = self.fn

        async def read() -> str:
            return await static(app)

        return read


def whole_number(value: str, what: str, uri: str) -> int:
    """The id in a URI, or a not-found error that says what an id looks like (quoting the URI briefly)."""
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ID:
        raise NotFoundError(f"{excerpt(uri)} does not exist: {what} ids are whole numbers from 1 to {MAX_ID}")
    return int(value)


async def as_json(result: Awaitable[BaseModel]) -> str:
    """A core query's model as JSON text (the same JSON as the matching tool's structured content)."""
    return (await result).model_dump_json()
