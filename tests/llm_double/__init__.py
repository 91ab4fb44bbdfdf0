"""An in-process double of an OpenAI-compatible LLM endpoint, for tests (see `double.py`)."""

from __future__ import annotations

from tests.llm_double.answers import FAKE_TEXT_PREFIX, payload_of, task_of
from tests.llm_double.behaviours import (
    Behaviour,
    answer,
    content,
    hang,
    reject_json_schema,
    stall,
    status,
    tool_calls,
)
from tests.llm_double.double import FAKE_MODEL, LLMDouble, Reply

__all__ = [
    "FAKE_MODEL",
    "FAKE_TEXT_PREFIX",
    "Behaviour",
    "LLMDouble",
    "Reply",
    "answer",
    "content",
    "hang",
    "payload_of",
    "reject_json_schema",
    "stall",
    "status",
    "task_of",
    "tool_calls",
]
