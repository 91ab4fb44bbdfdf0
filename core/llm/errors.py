"""LLM outcomes callers handle, importable without the `openai` package (which takes ~1 s to import)."""

from __future__ import annotations

LLM_ENGINE = "llm"


class LLMError(Exception):
    """The LLM could not give a usable answer; callers fall back to the offline engine."""


class LLMUnavailable(LLMError):
    """The endpoint failed (errors, rate limits or timeouts) after every retry."""


class LLMInvalidAnswer(LLMError):
    """The endpoint answered, twice, with something that does not fit the answer model."""
