"""Text written by the LLM when there is one, by an offline template otherwise (or when it fails)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.llm.errors import LLMError
from core.llm.tasks import Task, TextAnswer

if TYPE_CHECKING:
    from core.llm.client import LLMClient

logger = logging.getLogger(__name__)

OFFLINE_TEMPLATE = "offline-template-v1"


async def written_text(
    llm: LLMClient | None, task: Task[TextAnswer], payload: dict[str, Any], offline_text: str
) -> tuple[str, str]:
    """(text, who wrote it): `llm:<model>`, or the offline template when there is no LLM or it failed."""
    if llm is None:
        return offline_text, OFFLINE_TEMPLATE
    try:
        answer = await llm.complete(task, payload)
    except LLMError as exc:
        logger.warning("%s fell back to the offline template: %s", task.name, exc)
        return offline_text, OFFLINE_TEMPLATE
    return answer.value.text, f"llm:{answer.model}"
