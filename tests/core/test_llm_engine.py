"""The language engine: chosen once from the settings, offline answers per task, and the LLM's answers
with a fall-back to the offline answer (and the reason) whenever the endpoint fails.

The OpenAI-compatible endpoint is an `httpx2.MockTransport` handed to the SDK's client (the SDK's
HTTP library in this environment is `httpx2`): no server, no threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import openai
import pytest

from core.config import Settings
from core.data.genres import CANONICAL_GENRES
from core.llm.client import LLMClient
from core.llm.config import LLMSettings
from core.llm.engine import Answer, OfflineEngine, OpenAIEngine, choose_engine
from core.llm.narration import written_text
from core.llm.tasks import (
    COMPARE_NARRATIVE,
    ENRICH,
    PARSE_QUERY,
    RERANK,
    SUMMARIZE_USER,
    QueryAnswer,
    RerankAnswer,
    TextAnswer,
    query_answer,
)
from core.runtime import MovieApp
from core.search.embedder import Embedder
from core.search.query_parser import parse_query
from core.search.understand import understand_query

Handler = Callable[[httpx2.Request], httpx2.Response]
MODEL = "mock-model"


def completion(content: str) -> httpx2.Response:
    """A chat completion whose message is `content`."""
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        },
    )


def failing(code: int) -> Handler:
    return lambda request: httpx2.Response(code, json={"error": {"message": f"status {code}", "type": "test"}})


class Endpoint:
    """A mock endpoint that records each request body and answers through `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        return self.handler(request)


@pytest.fixture
async def make_engine() -> AsyncIterator[Callable[[Endpoint], OpenAIEngine]]:
    engines: list[OpenAIEngine] = []

    def make(endpoint: Endpoint) -> OpenAIEngine:
        settings = LLMSettings(base_url="http://llm.test/v1", api_key="k", model=MODEL, max_retries=0, batch_size=3)
        sdk = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key="k",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(endpoint)),
        )
        engine = OpenAIEngine(LLMClient(settings, client=sdk))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.close()


# --- selection -----------------------------------------------------------------------------------
async def test_without_an_endpoint_the_offline_engine_is_chosen() -> None:
    engine = choose_engine(LLMSettings())
    assert isinstance(engine, OfflineEngine)
    assert engine.model is None and engine.batch_size is None and engine.usage() == {}


async def test_with_an_endpoint_the_openai_engine_is_chosen_with_its_settings() -> None:
    engine = choose_engine(LLMSettings(base_url="http://llm.test/v1", model="m1", batch_size=7))
    try:
        assert isinstance(engine, OpenAIEngine)
        assert engine.model == "m1" and engine.batch_size == 7
        assert engine.engine_for(ENRICH) == "llm" and engine.engine_for(SUMMARIZE_USER) == "llm"
        assert engine.usage()["requests"] == 0
    finally:
        await engine.close()


async def test_the_app_chooses_its_engine_once_at_load_and_drops_it_at_close(
    synthetic_db: Path, embedder: Embedder
) -> None:
    offline_app = MovieApp(Settings(db_path=synthetic_db), embedder=embedder, preload_embedder=False)
    await offline_app.load()
    assert isinstance(offline_app.engine, OfflineEngine) and offline_app.engine.model is None
    await offline_app.close()

    llm = LLMSettings(base_url="http://llm.test/v1", api_key="k", model="m2")
    app = MovieApp(Settings(db_path=synthetic_db, llm=llm), embedder=embedder, preload_embedder=False)
    assert isinstance(app.engine, OfflineEngine)  # before loading nothing is configured yet
    await app.load()
    assert isinstance(app.engine, OpenAIEngine) and app.engine.model == "m2"
    await app.close()
    assert isinstance(app.engine, OfflineEngine) and app.engine.model is None


# --- offline answers -----------------------------------------------------------------------------
async def test_offline_answers_name_the_offline_engine_of_their_task() -> None:
    engine = OfflineEngine()
    text = await engine.complete(COMPARE_NARRATIVE, {"x": 1}, offline=TextAnswer(text="template"))
    assert (text.value.text, text.produced_by, text.model, text.failure) == (
        "template",
        "offline-template-v1",
        None,
        None,
    )

    query = "90s comedies for kids"
    parsed = await engine.complete(PARSE_QUERY, {"query": query, "genres": list(CANONICAL_GENRES)})
    assert parsed.value == query_answer(parse_query(query)) and parsed.produced_by == "offline-parser-v2"

    labels = await engine.complete(ENRICH, {"movies": [{"movie_id": 1}]})
    assert labels.value.movies == [] and labels.engine == engine.engine_for(ENRICH) == "offline-rules-v1"

    reranked = await engine.complete(RERANK, {"candidates": [{"movie_id": 3}, {"movie_id": 1}]}, max_tokens=99)
    assert reranked.value == RerankAnswer(picks=[])  # no picks: the candidates keep the collaborative order


async def test_a_task_without_an_offline_answer_of_its_own_needs_one_from_the_caller() -> None:
    with pytest.raises(TypeError, match="summarize_user"):
        await OfflineEngine().complete(SUMMARIZE_USER, {"user_id": 1})


# --- the LLM and its fall-back -------------------------------------------------------------------
async def test_an_llm_answer_is_validated_and_says_which_model_wrote_it(make_engine: Any) -> None:
    endpoint = Endpoint(lambda request: completion('{"text": "from the model"}'))
    engine = make_engine(endpoint)
    answer = await engine.complete(SUMMARIZE_USER, {"user_id": 1}, offline=TextAnswer(text="template"), max_tokens=42)
    assert answer == Answer(TextAnswer(text="from the model"), engine="llm", model=MODEL)
    assert answer.produced_by == f"llm:{MODEL}"
    body = endpoint.bodies[0]
    assert body["max_tokens"] == 42 and body["model"] == MODEL
    assert body["messages"][0]["content"].startswith("Task: summarize_user v1")
    assert engine.usage()["requests"] == 1 and engine.usage()["prompt_tokens"] == 11


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (failing(500), "InternalServerError"),
        (failing(400), "the endpoint rejected the request"),
        (lambda request: completion("not JSON {"), "invalid answer twice"),
    ],
    ids=["server error", "bad request", "invalid answer"],
)
async def test_an_llm_failure_falls_back_to_the_offline_answer_with_the_reason(
    make_engine: Any, handler: Handler, reason: str
) -> None:
    engine = make_engine(Endpoint(handler))
    answer = await engine.complete(COMPARE_NARRATIVE, {"movies": []}, offline=TextAnswer(text="template"))
    assert answer.value.text == "template" and answer.produced_by == "offline-template-v1"
    assert answer.model is None and answer.failure is not None and reason in answer.failure
    # A task with an offline answer of its own needs nothing from the caller to fall back.
    query = "space adventures"
    parsed = await engine.complete(PARSE_QUERY, {"query": query, "genres": list(CANONICAL_GENRES)})
    assert parsed.value == query_answer(parse_query(query)) and parsed.produced_by == "offline-parser-v2"
    assert parsed.failure is not None


async def test_written_text_falls_back_to_a_template_longer_than_the_llm_may_write(
    make_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    template = "word " * 400  # 2,000 characters: over TextAnswer's cap, which binds the LLM only
    with caplog.at_level(logging.WARNING, logger="core.llm.narration"):
        text, engine = await written_text(make_engine(Endpoint(failing(503))), COMPARE_NARRATIVE, {}, template)
    assert (text, engine) == (template, "offline-template-v1")
    assert "compare_narrative fell back to the offline template" in caplog.text
    assert await written_text(OfflineEngine(), COMPARE_NARRATIVE, {}, template) == (template, "offline-template-v1")


async def test_understand_query_reports_an_llm_failure_and_uses_the_offline_parser(make_engine: Any) -> None:
    app = SimpleNamespace(engine=make_engine(Endpoint(failing(500))))
    parsed, notes = await understand_query(app, "romantic comedies")  # type: ignore[arg-type]
    assert parsed == parse_query("romantic comedies")
    assert len(notes) == 1 and notes[0].startswith("the LLM could not parse the query (")
    assert notes[0].endswith("; used the offline parser")


async def test_understand_query_takes_the_llms_filters(make_engine: Any) -> None:
    llm_answer = QueryAnswer.model_validate({"filters": {"genres": ["Drama"]}, "remaining_text": "rain"})
    app = SimpleNamespace(engine=make_engine(Endpoint(lambda request: completion(llm_answer.model_dump_json()))))
    parsed, notes = await understand_query(app, "sad films about rain")  # type: ignore[arg-type]
    assert notes == [] and parsed.engine == f"llm:{MODEL}"
    assert parsed.filters.genres == ["Drama"] and parsed.remaining_text == "rain"
