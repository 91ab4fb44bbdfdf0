"""Settings, read once from the environment (and overridden by CLI flags)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.llm.config import LLMSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "db" / "movies.db"
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Settings:
    """Where the database lives and which LLM endpoint (if any) to use (none: the offline engines)."""

    db_path: Path = DEFAULT_DB_PATH
    llm: LLMSettings = field(default_factory=LLMSettings)

    @classmethod
    def from_env(cls, db_path: str | Path | None = None) -> Settings:
        """Build settings from the environment; an explicit `db_path` beats `MOVIE_MCP_DB`."""
        chosen = db_path or os.environ.get("MOVIE_MCP_DB") or DEFAULT_DB_PATH
        return cls(db_path=Path(chosen).expanduser().resolve(), llm=LLMSettings.from_env())
