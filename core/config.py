"""Settings, read once from the environment (and overridden by CLI flags)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "db" / "movies.db"
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Settings:
    """Where the database lives and which LLM endpoint (if any) to use."""

    db_path: Path = DEFAULT_DB_PATH
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"

    @classmethod
    def from_env(cls, db_path: str | Path | None = None) -> Settings:
        """Build settings from the environment; an explicit `db_path` beats `MOVIE_MCP_DB`."""
        chosen = db_path or os.environ.get("MOVIE_MCP_DB") or DEFAULT_DB_PATH
        return cls(
            db_path=Path(chosen).expanduser().resolve(),
            llm_base_url=os.environ.get("OPENAI_BASE_URL") or None,
            llm_api_key=os.environ.get("OPENAI_API_KEY") or None,
            llm_model=os.environ.get("MOVIE_MCP_LLM_MODEL") or "gpt-4o-mini",
        )

    @property
    def llm_configured(self) -> bool:
        """An endpoint counts as configured when a base URL or an API key is set."""
        return bool(self.llm_base_url or self.llm_api_key)
