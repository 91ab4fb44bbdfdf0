"""Profile names: what a name may look like, checked before it reaches a file or a query."""

from __future__ import annotations

import re

from core.errors import InvalidInputError

# A letter first, so a name never reads as a MovieLens user id, a path or an option.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")


def is_profile_name(value: object) -> bool:
    """True for a string shaped like a profile name (whether or not such a profile exists)."""
    return isinstance(value, str) and bool(_NAME.match(value)) and ".." not in value


def validate_name(name: str) -> str:
    """`name` itself when it is a valid profile name; otherwise an error that says what is allowed."""
    if not is_profile_name(name):
        raise InvalidInputError(
            f"invalid profile name {name!r}: use 1-40 letters, digits, '_', '-' or '.', starting with a letter"
        )
    return name
