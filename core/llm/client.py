"""An OpenAI-compatible chat client that returns validated pydantic answers.

- Structured output in either dialect: OpenAI's `{"type": "json_schema", ...}` or llama.cpp's
  `{"type": "json_object", "schema": ...}`. In `auto` mode the first is tried and, when the server
  rejects it, the second is used from then on.
- An answer that does not validate is sent back once with the validation error; a second failure
  raises `LLMInvalidAnswer` so the caller can fall back to the offline engine for that item.
- 429, 5xx, timeouts and connection errors are retried with exponential backoff and jitter, honouring
  `Retry-After`; `LLMUnavailable` after the last try.
- A semaphore bounds requests in flight; a cache in the database means the same question is never
  paid for twice; usage (requests, tokens, cache hits, retries) is counted.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

import anyio
import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from core.llm.cache import LLMCache, cache_key, input_hash
from core.llm.config import LLMSettings
from core.llm.errors import LLM_ENGINE, LLMError, LLMInvalidAnswer, LLMUnavailable, redact
from core.llm.tasks import Task

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
__all__ = [
    "LLM_ENGINE",
    "LLMClient",
    "LLMError",
    "LLMInvalidAnswer",
    "LLMResult",
    "LLMUnavailable",
    "LLMUsage",
    "openai_client",
]
MAX_RETRY_AFTER = 30.0  # never sleep longer than this on a server's say-so


@dataclass
class LLMUsage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    retries: int = 0
    invalid_answers: int = 0
    failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    value: T
    model: str
    cached: bool


def _retry_after(exc: openai.APIStatusError) -> float | None:
    header = exc.response.headers.get("retry-after") if exc.response is not None else None
    if not header:
        return None
    try:
        return min(max(float(header), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


def _about_format(exc: openai.APIStatusError) -> bool:
    """Whether a 400 complains about the response format (and not, say, the prompt's length)."""
    text = str(exc).lower()
    return "response_format" in text or "json_schema" in text


def _what_failed(exc: Exception) -> str:
    """How a failed request is named to the caller: a 400 is the endpoint rejecting it, else the error's type."""
    if isinstance(exc, openai.APIStatusError) and exc.status_code == 400:
        return "the endpoint rejected the request"
    return type(exc).__name__


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def openai_client(settings: LLMSettings, max_retries: int = 0) -> AsyncOpenAI:
    """An `AsyncOpenAI` for `settings`, sending over `settings.transport` when one is set.

    `max_retries` is the SDK's own retrying; `LLMClient` keeps it at 0 because it retries itself.
    """
    transport = settings.transport
    return AsyncOpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",  # local servers ignore it; the SDK requires one
        timeout=settings.timeout,
        max_retries=max_retries,
        # The SDK's own defaults (limits, redirects) around the transport, as without one.
        http_client=openai.DefaultAsyncHttpx2Client(transport=transport) if transport is not None else None,
    )


class LLMClient:
    """The one way the core talks to an LLM."""

    def __init__(self, settings: LLMSettings, cache: LLMCache | None = None, client: AsyncOpenAI | None = None) -> None:
        self.settings = settings
        self.model = settings.model
        self.usage = LLMUsage()
        self._cache = cache
        # Retries are ours (the SDK's are off): they honour Retry-After and are counted.
        self._client = client or openai_client(settings)
        self._slots = anyio.Semaphore(settings.concurrency)
        self._format = "json_schema" if settings.response_format in ("auto", "json_schema") else "json_object"

    def _safe(self, text: object) -> str:
        """Text from (or about) the endpoint with the API key and anything key-like redacted, and cut short."""
        return redact(str(text), [self.settings.api_key])

    @property
    def response_format_mode(self) -> str:
        return self._format

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> tuple[bool, str]:
        """Whether the endpoint answers (lists its models), and what it said."""
        try:
            with anyio.fail_after(min(self.settings.timeout, 10.0)):
                models = await self._client.models.list()
            names = [m.id for m in models.data][:5]
            return True, f"models: {', '.join(names) or 'none listed'}"
        except Exception as exc:  # any failure means "does not answer"; the message says why
            return False, f"{type(exc).__name__}: {self._safe(exc)}"

    async def complete(self, task: Task[T], payload: dict[str, Any], max_tokens: int | None = None) -> LLMResult[T]:
        """Ask one task's question; a validated answer, from the cache when it was asked before.

        `max_tokens` caps the answer (default: the task's own cap) so a model that rambles cannot stall a batch.
        """
        digest = input_hash(payload)
        key = cache_key(task.name, task.version, self.model, digest)
        if self._cache is not None:
            cached = await self._cache.get(key)
            if cached is not None:
                try:
                    value = task.output.model_validate_json(cached)
                    self.usage.cache_hits += 1
                    return LLMResult(value=value, model=self.model, cached=True)
                except ValidationError:
                    logger.warning("ignoring a cached %s answer that no longer validates", task.name)
        async with self._slots:
            value, prompt_tokens, completion_tokens = await self._ask_validated(
                task, task.messages(payload), max_tokens or task.max_tokens
            )
        if self._cache is not None:
            await self._remember(key, task, digest, value, prompt_tokens, completion_tokens)
        return LLMResult(value=value, model=self.model, cached=False)

    async def _remember(
        self, key: str, task: Task[T], digest: str, value: T, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """Cache an answer; a failure to cache (a locked database) must not lose the answer itself."""
        assert self._cache is not None
        try:
            await self._cache.put(
                key,
                task=task.name,
                version=task.version,
                model=self.model,
                digest=digest,
                response=value.model_dump_json(),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        except Exception as exc:
            logger.warning("could not cache a %s answer: %s", task.name, exc)

    async def _ask_validated(
        self, task: Task[T], messages: list[dict[str, str]], max_tokens: int
    ) -> tuple[T, int, int]:
        content, p1, c1 = await self._request(task, messages, max_tokens)
        try:
            return task.output.model_validate_json(_strip_fences(content)), p1, c1
        except ValidationError as exc:
            self.usage.invalid_answers += 1
            problem = _short_errors(exc)
        retry = [
            *messages,
            {"role": "assistant", "content": content},
            {
                "role": "user",
                "content": f"That answer is invalid: {problem}. Reply again with JSON that fits the schema exactly.",
            },
        ]
        content, p2, c2 = await self._request(task, retry, max_tokens)
        try:
            return task.output.model_validate_json(_strip_fences(content)), p1 + p2, c1 + c2
        except ValidationError as exc:
            self.usage.invalid_answers += 1
            self.usage.failures += 1
            problem = self._safe(_short_errors(exc))
            raise LLMInvalidAnswer(f"{task.name}: invalid answer twice ({problem})") from exc

    async def _back_off(self, task: Task[T], exc: Exception, attempt: int) -> int:
        """Sleep before the next try: the server's Retry-After, else exponential backoff with jitter."""
        delay = _retry_after(exc) if isinstance(exc, openai.APIStatusError) else None
        if delay is None:
            delay = self.settings.backoff_base * (2**attempt) * (0.5 + random.random())
        self.usage.retries += 1
        logger.info("%s: %s; retry %d in %.2fs", task.name, type(exc).__name__, attempt + 1, delay)
        await anyio.sleep(delay)
        return attempt + 1

    def _response_format(self, task: Task[T]) -> dict[str, Any]:
        schema = task.json_schema()
        if self._format == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": task.name, "schema": schema, "strict": False}}
        return {"type": "json_object", "schema": schema}

    def _switch_format(self, exc: Exception, sent_format: str) -> bool:
        """Whether `exc` rejected json_schema in `auto` mode, switching to json_object for good if so.

        Servers that do not speak json_schema say so in different ways: llama.cpp's server with a 400,
        llama-cpp-python's with a 500 from request validation.
        """
        if not (
            isinstance(exc, openai.APIStatusError)
            and self.settings.response_format == "auto"
            and sent_format == "json_schema"
            and _about_format(exc)
        ):
            return False
        if self._format == "json_schema":
            logger.info("endpoint rejected json_schema; switching to json_object")
        self._format = "json_object"
        return True

    async def _request(self, task: Task[T], messages: list[dict[str, str]], max_tokens: int) -> tuple[str, int, int]:
        attempt = 0
        while True:
            sent_format = self._format  # concurrent requests may switch it while this one is in flight
            try:
                response = await self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=self._response_format(task),  # type: ignore[arg-type]
                    temperature=0,
                    max_tokens=max_tokens,
                )
            except Exception as exc:
                if self._switch_format(exc, sent_format):
                    continue
                if not _retryable(exc) or attempt >= self.settings.max_retries:
                    self.usage.failures += 1
                    raise LLMUnavailable(f"{task.name}: {_what_failed(exc)}: {self._safe(exc)}") from exc
                attempt = await self._back_off(task, exc, attempt)
                continue
            self.usage.requests += 1
            usage = response.usage
            prompt_tokens = usage.prompt_tokens if usage else 0
            completion_tokens = usage.completion_tokens if usage else 0
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens
            content = response.choices[0].message.content if response.choices else None
            return content or "", prompt_tokens, completion_tokens


def _strip_fences(content: str) -> str:
    """Small models wrap JSON in ``` fences even when asked not to."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


def _short_errors(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)


def usage_summary(client: LLMClient | None) -> dict[str, Any]:
    if client is None:
        return {}
    return {"model": client.model, "response_format": client.response_format_mode, **client.usage.as_dict()}
