"""LLM settings, read from the environment only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import httpx2

ResponseFormatMode = Literal["auto", "json_schema", "json_object"]


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class LLMSettings:
    """How to reach an OpenAI-compatible endpoint and how hard to push it."""

    base_url: str | None = None  # OPENAI_BASE_URL; None means OpenAI itself (when a key is set)
    api_key: str | None = field(default=None, repr=False)  # OPENAI_API_KEY; local servers accept any value
    model: str = "gpt-4o-mini"  # MOVIE_MCP_LLM_MODEL
    timeout: float = 30.0  # MOVIE_MCP_LLM_TIMEOUT, seconds per request
    max_retries: int = 3  # MOVIE_MCP_LLM_MAX_RETRIES, after the first attempt, on 429/5xx/timeouts
    concurrency: int = 4  # MOVIE_MCP_LLM_CONCURRENCY, requests in flight at once
    batch_size: int = 10  # MOVIE_MCP_LLM_BATCH, movies per enrichment request
    response_format: ResponseFormatMode = "auto"  # MOVIE_MCP_LLM_RESPONSE_FORMAT
    backoff_base: float = 0.5  # seconds; doubled per retry, with jitter
    # Not from the environment: an application embedding the core (or a test) may route requests
    # in-process, e.g. through an `httpx2.MockTransport`. None: over the network to `base_url`.
    transport: httpx2.AsyncBaseTransport | None = field(default=None, repr=False, compare=False)

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)

    @classmethod
    def from_env(cls) -> LLMSettings:
        mode = os.environ.get("MOVIE_MCP_LLM_RESPONSE_FORMAT", "auto")
        if mode not in ("auto", "json_schema", "json_object"):
            raise ValueError(f"MOVIE_MCP_LLM_RESPONSE_FORMAT must be auto, json_schema or json_object; got {mode!r}")
        return cls(
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
            api_key=os.environ.get("OPENAI_API_KEY") or None,
            model=os.environ.get("MOVIE_MCP_LLM_MODEL") or "gpt-4o-mini",
            timeout=_float("MOVIE_MCP_LLM_TIMEOUT", 30.0),
            max_retries=_int("MOVIE_MCP_LLM_MAX_RETRIES", 3),
            concurrency=max(1, _int("MOVIE_MCP_LLM_CONCURRENCY", 4)),
            batch_size=max(1, _int("MOVIE_MCP_LLM_BATCH", 10)),
            response_format=mode,  # type: ignore[arg-type]
            backoff_base=_float("MOVIE_MCP_LLM_BACKOFF", 0.5),
        )
