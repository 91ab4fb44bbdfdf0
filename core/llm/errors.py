"""LLM outcomes callers handle, importable without the `openai` package (which takes ~1 s to import)."""

from __future__ import annotations

import re
from collections.abc import Iterable

LLM_ENGINE = "llm"


class LLMError(Exception):
    """The LLM could not give a usable answer; callers fall back to the offline engine."""


class LLMUnavailable(LLMError):
    """The endpoint failed (errors, rate limits or timeouts) after every retry."""


class LLMInvalidAnswer(LLMError):
    """The endpoint answered, twice, with something that does not fit the answer model."""


REDACTED = "[redacted]"
ENDPOINT_TEXT_CHARS = 300  # the most of an endpoint's error text that reaches a result or a log
_WINDOW = 8  # a secret's fragment this long, echoed anywhere, is redacted too ("sk-abc12***")
_SECRET_PATTERNS = (
    re.compile(r"\b(?:sk|pk|rk|key)-[A-Za-z0-9_\-*.]{4,}"),  # OpenAI-style keys, whole or masked
    re.compile(r"(?i)\bbearer\s+[^\s\"',]+"),
    re.compile(r"(?i)\b(api[_-]?key|token|secret|password|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` from an LLM endpoint, safe to show: known secrets (and fragments of them) and anything shaped
    like a key or a credential replaced by "[redacted]", then cut to `ENDPOINT_TEXT_CHARS`."""
    # Shapes first: a masked key ("sk-abcd****wxyz") goes whole, before fragments break its shape.
    text = _SECRET_PATTERNS[0].sub(REDACTED, text)
    text = _SECRET_PATTERNS[1].sub(f"Bearer {REDACTED}", text)
    text = _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, REDACTED)
        for start in range(max(len(secret) - _WINDOW + 1, 0)):
            fragment = secret[start : start + _WINDOW]
            if fragment in text:
                text = text.replace(fragment, REDACTED)
    return text if len(text) <= ENDPOINT_TEXT_CHARS else text[: ENDPOINT_TEXT_CHARS - 1] + "…"
