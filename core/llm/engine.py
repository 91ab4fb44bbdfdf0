"""The language engine services ask: one protocol, answered offline or by an OpenAI-compatible LLM.

Services call `engine.complete(task, payload)` and get an `Answer` that says who produced it; they never
check whether an LLM is configured. The engine is chosen once, from the settings (`choose_engine`).
An LLM failure is not an error to the caller: the answer is the task's offline one, with the failure
attached so the service can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from core.llm.errors import LLM_ENGINE, LLMError

if TYPE_CHECKING:  # tasks pull in pydantic and the query parser, the client openai: none is needed to start
    from pydantic import BaseModel

    from core.llm.cache import LLMCache
    from core.llm.client import LLMClient
    from core.llm.config import LLMSettings
    from core.llm.tasks import Task

T = TypeVar("T", bound="BaseModel")


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A validated answer and who produced it."""

    value: T
    engine: str  # LLM_ENGINE when the LLM answered, else the task's offline engine
    model: str | None = None  # the LLM's model, when it answered
    failure: str | None = None  # why the LLM's answer could not be used, when the offline one replaced it

    @property
    def produced_by(self) -> str:
        """`llm:<model>` for an LLM answer, the offline engine's name otherwise."""
        return f"{LLM_ENGINE}:{self.model}" if self.model is not None else self.engine


class LanguageEngine(Protocol):
    """What services may ask of a language engine."""

    @property
    def model(self) -> str | None:
        """The LLM's model; None for the offline engine."""
        ...

    @property
    def batch_size(self) -> int | None:
        """Items per request for batched tasks (enrichment); None: any number in one request."""
        ...

    def engine_for(self, task: Task[Any]) -> str:
        """The engine that answers `task` when nothing fails (what results report as their engine)."""
        ...

    def usage(self) -> dict[str, int]:
        """Requests, tokens, cache hits and retries so far; empty when nothing is counted."""
        ...

    async def complete(
        self, task: Task[T], payload: dict[str, Any], *, offline: T | None = None, max_tokens: int | None = None
    ) -> Answer[T]:
        """Answer `task`; `offline` replaces the task's own offline answer (required when it has none)."""
        ...

    async def close(self) -> None: ...


def offline_answer(task: Task[T], payload: dict[str, Any], offline: T | None) -> T:
    """The caller's offline answer, else the one the task derives from its payload."""
    if offline is not None:
        return offline
    if task.offline is None:
        raise TypeError(f"{task.name} has no offline answer of its own; pass offline=")
    return task.offline(payload)


class OfflineEngine:
    """Answers every task at once, without a network: rules, the offline parser and templates."""

    model: str | None = None
    batch_size: int | None = None  # rules are arithmetic: one batch holds everything

    def engine_for(self, task: Task[Any]) -> str:
        return task.offline_engine

    def usage(self) -> dict[str, int]:
        return {}

    async def complete(
        self, task: Task[T], payload: dict[str, Any], *, offline: T | None = None, max_tokens: int | None = None
    ) -> Answer[T]:
        return Answer(offline_answer(task, payload, offline), engine=task.offline_engine)

    async def close(self) -> None:
        return None


class OpenAIEngine:
    """An OpenAI-compatible endpoint (through `LLMClient`), falling back to the offline answer per call."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    @property
    def model(self) -> str:
        return self.client.model

    @property
    def batch_size(self) -> int:
        return self.client.settings.batch_size

    def engine_for(self, task: Task[Any]) -> str:
        return LLM_ENGINE

    def usage(self) -> dict[str, int]:
        return self.client.usage.as_dict()

    async def complete(
        self, task: Task[T], payload: dict[str, Any], *, offline: T | None = None, max_tokens: int | None = None
    ) -> Answer[T]:
        try:
            result = await self.client.complete(task, payload, max_tokens=max_tokens)
        except LLMError as exc:
            return Answer(offline_answer(task, payload, offline), engine=task.offline_engine, failure=str(exc))
        return Answer(result.value, engine=LLM_ENGINE, model=result.model)

    async def close(self) -> None:
        await self.client.close()


def choose_engine(settings: LLMSettings, cache: LLMCache | None = None) -> LanguageEngine:
    """The OpenAI-compatible engine when an endpoint is configured, else the offline one."""
    if not settings.configured:
        return OfflineEngine()
    from core.llm.client import LLMClient  # imports openai (~1 s): only when an endpoint is set

    return OpenAIEngine(LLMClient(settings, cache))
