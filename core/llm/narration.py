"""Text written by the engine: the LLM's when it answers, the service's offline template otherwise."""

from __future__ import annotations

import logging
from typing import Any

from core.llm.engine import LanguageEngine
from core.llm.tasks import OFFLINE_TEMPLATE, Task, TextAnswer

logger = logging.getLogger(__name__)

__all__ = ["OFFLINE_TEMPLATE", "written_text"]


async def written_text(
    engine: LanguageEngine, task: Task[TextAnswer], payload: dict[str, Any], offline_text: str
) -> tuple[str, str]:
    """(text, who wrote it): `llm:<model>`, or the offline template offline or when the LLM failed."""
    # Built without validation: the template is ours, and TextAnswer's length cap is for the LLM's answers.
    offline = TextAnswer.model_construct(text=offline_text)
    answer = await engine.complete(task, payload, offline=offline)
    if answer.failure is not None:
        logger.warning("%s fell back to the offline template: %s", task.name, answer.failure)
    return answer.value.text, answer.produced_by
