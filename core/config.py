"""Settings, read once from the environment (and overridden by CLI flags)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InvalidInputError
from core.llm.config import LLMSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "db" / "movies.db"
# Memory a build may spend training EASE (its dense item×item matrices); `MOVIE_MCP_EASE_MEMORY_GB` overrides.
DEFAULT_EASE_MEMORY_GB = 4.0
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Settings:
    """Where the database and the people's profiles live, and which LLM endpoint (if any) to use.

    Profiles sit in their own file (by default `profiles.db` next to the database) because a build
    replaces the database file whole; `MOVIE_MCP_PROFILES` names another.
    """

    db_path: Path = DEFAULT_DB_PATH
    llm: LLMSettings = field(default_factory=LLMSettings)
    profiles_override: Path | None = None

    @property
    def profiles_path(self) -> Path:
        """The profiles database: `MOVIE_MCP_PROFILES`, else `profiles.db` beside the movie database."""
        return self.profiles_override or self.db_path.parent / "profiles.db"

    @classmethod
    def from_env(cls, db_path: str | Path | None = None) -> Settings:
        """Build settings from the environment; an explicit `db_path` beats `MOVIE_MCP_DB`."""
        chosen = db_path or os.environ.get("MOVIE_MCP_DB") or DEFAULT_DB_PATH
        profiles = os.environ.get("MOVIE_MCP_PROFILES")
        return cls(
            db_path=Path(chosen).expanduser().resolve(),
            llm=LLMSettings.from_env(),
            profiles_override=Path(profiles).expanduser().resolve() if profiles else None,
        )


def ease_memory_budget() -> int:
    """Bytes a build may spend training EASE: `MOVIE_MCP_EASE_MEMORY_GB` (GB, > 0), else 4 GB."""
    raw = os.environ.get("MOVIE_MCP_EASE_MEMORY_GB")
    if raw is None:
        return int(DEFAULT_EASE_MEMORY_GB * 1e9)
    try:
        gigabytes = float(raw)
    except ValueError:
        gigabytes = -1.0
    if not gigabytes > 0:
        raise InvalidInputError(f"MOVIE_MCP_EASE_MEMORY_GB must be a positive number of gigabytes, not {raw!r}")
    return int(gigabytes * 1e9)
