"""core/llm/client.py through the OpenAI SDK against an in-process OpenAI-compatible double (tests/llm_double)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from core.data import sqlite
from core.llm.cache import CACHE_DDL, LLMCache
from core.llm.client import LLMClient, LLMInvalidAnswer, LLMUnavailable, openai_client, usage_summary
from core.llm.config import LLMSettings
from core.llm.tasks import (
    ALL_TASKS,
    COMPARE_NARRATIVE,
    ENRICH,
    EXPLAIN_PREDICTION,
    PARSE_QUERY,
    RERANK,
    SUMMARIZE_USER,
    EnrichmentAnswer,
    QueryAnswer,
    RerankAnswer,
    Task,
    TextAnswer,
)
from tests.llm_double import LLMDouble, content, hang, reject_json_schema, stall, status, tool_calls

MakeClient = Callable[..., LLMClient]

ENRICH_PAYLOAD: dict[str, Any] = {
    "movies": [
        {
            "movie_id": 1,
            "title": "Toy Story (1995)",
            "genres": ["Adventure", "Animation", "Children", "Comedy"],
            "mpaa": "G",
            "overview": "A cowboy doll is threatened when a new spaceman figure takes his place in the bedroom.",
        },
        {
            "movie_id": 6,
            "title": "Heat (1995)",
            "genres": ["Action", "Crime", "Thriller"],
            "mpaa": "R",
            "overview": "A detective hunts a crew of thieves who will kill anyone in their way.",
        },
    ]
}
RERANK_PAYLOAD: dict[str, Any] = {
    "liked": [{"movie_id": 1, "title": "Toy Story (1995)", "rating": 5.0}],
    "disliked": [{"movie_id": 6, "title": "Heat (1995)", "rating": 1.5}],
    "request": None,
    "n": 3,
    "candidates": [
        {"movie_id": 10, "title": "GoldenEye (1995)", "genres": ["Action"]},
        {"movie_id": 20, "title": "Money Train (1995)", "genres": ["Action", "Comedy"]},
        {"movie_id": 30, "title": "Shanghai Triad (1995)", "genres": ["Crime", "Drama"]},
        {"movie_id": 40, "title": "Cry, the Beloved Country (1995)", "genres": ["Drama"]},
    ],
}
PAYLOADS: dict[str, dict[str, Any]] = {
    ENRICH.name: ENRICH_PAYLOAD,
    RERANK.name: RERANK_PAYLOAD,
    EXPLAIN_PREDICTION.name: {"user_id": 7, "movie_id": 1, "prediction": 4.1, "global_mean": 3.5},
    SUMMARIZE_USER.name: {"user_id": 7, "ratings": 120, "mean_rating": 3.8, "top_genres": ["Comedy"]},
    COMPARE_NARRATIVE.name: {"movies": [{"movie_id": 1, "roi": 9.5}, {"movie_id": 6, "roi": 2.1}]},
    PARSE_QUERY.name: {"query": "funny comedy from the 90s", "genres": ["Comedy", "Drama"]},
}


def settings(fake: LLMDouble, **overrides: Any) -> LLMSettings:
    """Settings routed through the double, with fast backoff; `overrides` replace any field."""
    values: dict[str, Any] = {"timeout": 10.0, "max_retries": 2, "concurrency": 4, "backoff_base": 0.01}
    return fake.settings(**{**values, **overrides})


@pytest.fixture
async def make_client(fake_llm: LLMDouble) -> AsyncIterator[MakeClient]:
    """A factory of LLMClients against the fake (keyword overrides go to LLMSettings); all closed afterwards."""
    clients: list[LLMClient] = []

    def make(cache: LLMCache | None = None, **overrides: Any) -> LLMClient:
        client = LLMClient(settings(fake_llm, **overrides), cache=cache)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[LLMCache]:
    """An LLM cache in a fresh real database."""
    conn = await sqlite.connect_async(tmp_path / "c.db")
    await conn.execute(CACHE_DDL)
    await conn.commit()
    yield LLMCache(conn, anyio.Lock())
    await conn.close()


def last_user_message(body: dict[str, Any]) -> str:
    """The content of the last user message of a recorded request."""
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def response_format_type(body: dict[str, Any]) -> str:
    return body["response_format"]["type"]


# --- normal answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.name)
async def test_each_task_validates_into_its_output_model(
    fake_llm: LLMDouble, make_client: MakeClient, task: Task[BaseModel]
) -> None:
    """The fake's default answer for every task validates, and the request carries the task's prompt."""
    client = make_client()
    result = await client.complete(task, PAYLOADS[task.name])
    assert isinstance(result.value, task.output)
    assert result.cached is False
    assert result.model == "fake-model"
    assert len(fake_llm.requests) == 1
    body = fake_llm.requests[0]
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["messages"][0] == {"role": "system", "content": task.system_prompt}
    assert json.loads(body["messages"][1]["content"]) == PAYLOADS[task.name]
    assert client.usage.requests == 1
    assert client.usage.retries == 0


async def test_answers_carry_the_fakes_deterministic_labels(make_client: MakeClient) -> None:
    """Enrichment labels, re-ranked order, texts and parsed filters come through intact."""
    client = make_client()
    enriched = (await client.complete(ENRICH, ENRICH_PAYLOAD)).value
    assert isinstance(enriched, EnrichmentAnswer)
    labels = {m.movie_id: (m.sentiment, m.target_audience) for m in enriched.movies}
    assert labels == {1: ("positive", "family"), 6: ("negative", "adults")}

    reranked = (await client.complete(RERANK, RERANK_PAYLOAD)).value
    assert isinstance(reranked, RerankAnswer)
    assert [p.movie_id for p in reranked.picks] == [40, 30, 20]  # reverse of the candidate order, n=3
    scores = [p.match_score for p in reranked.picks]
    assert scores == sorted(scores, reverse=True)
    assert all("Toy Story" in p.reason for p in reranked.picks)

    text = (await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])).value
    assert isinstance(text, TextAnswer)
    assert text.text.startswith("FAKE-LLM:")

    parsed = (await client.complete(PARSE_QUERY, PAYLOADS[PARSE_QUERY.name])).value
    assert isinstance(parsed, QueryAnswer)
    assert parsed.filters.genres == ["Comedy"]
    assert (parsed.filters.min_year, parsed.filters.max_year) == (1990, 1999)
    assert parsed.unknown_terms == ["funny"]


async def test_per_task_answer_override(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """`answers[task]` replaces the fake's default answer for that task."""
    fake_llm.answers[EXPLAIN_PREDICTION.name] = lambda payload: {"text": f"custom for movie {payload['movie_id']}"}
    result = await make_client().complete(EXPLAIN_PREDICTION, PAYLOADS[EXPLAIN_PREDICTION.name])
    assert result.value == TextAnswer(text="custom for movie 1")


async def test_fenced_json_is_accepted(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """An answer wrapped in ``` fences is unwrapped, not sent back as invalid."""
    fake_llm.script = [content('```json\n{"text": "fenced"}\n```')]
    client = make_client()
    result = await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert result.value.text == "fenced"
    assert len(fake_llm.requests) == 1
    assert client.usage.invalid_answers == 0


# --- response formats ------------------------------------------------------------------------------
async def test_auto_mode_sends_json_schema_first(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    client = make_client()
    await client.complete(ENRICH, ENRICH_PAYLOAD)
    response_format = fake_llm.requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == ENRICH.name
    assert response_format["json_schema"]["schema"] == ENRICH.json_schema()
    assert client.response_format_mode == "json_schema"


async def test_auto_mode_switches_to_json_object_and_remembers(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """A server that rejects json_schema (llama.cpp) gets json_object, from then on without a new 400."""
    fake_llm.default = reject_json_schema()
    client = make_client(response_format="auto")
    first = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert isinstance(first.value, EnrichmentAnswer)
    assert [response_format_type(b) for b in fake_llm.requests] == ["json_schema", "json_object"]
    assert fake_llm.requests[1]["response_format"]["schema"] == ENRICH.json_schema()
    assert client.response_format_mode == "json_object"
    assert usage_summary(client)["response_format"] == "json_object"

    second = await client.complete(RERANK, RERANK_PAYLOAD)
    assert isinstance(second.value, RerankAnswer)
    assert [response_format_type(b) for b in fake_llm.requests] == ["json_schema", "json_object", "json_object"]
    assert client.usage.failures == 0


async def test_json_object_setting_sends_json_object_with_schema_from_the_start(
    fake_llm: LLMDouble, make_client: MakeClient
) -> None:
    client = make_client(response_format="json_object")
    assert client.response_format_mode == "json_object"
    await client.complete(PARSE_QUERY, PAYLOADS[PARSE_QUERY.name])
    assert fake_llm.requests[0]["response_format"] == {"type": "json_object", "schema": PARSE_QUERY.json_schema()}


async def test_json_schema_setting_does_not_fall_back(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """With response_format="json_schema" forced, a rejection is final: no switch, no retry."""
    fake_llm.default = reject_json_schema()
    client = make_client(response_format="json_schema")
    with pytest.raises(LLMUnavailable, match="rejected"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(fake_llm.requests) == 1
    assert client.response_format_mode == "json_schema"
    assert client.usage.failures == 1


async def test_bad_request_in_json_object_mode_is_not_retried(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.default = status(400, body={"error": {"message": "context length exceeded", "type": "invalid_request"}})
    client = make_client(response_format="json_object")
    with pytest.raises(LLMUnavailable, match="context length exceeded"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(fake_llm.requests) == 1
    assert client.usage.retries == 0


async def test_a_500_about_json_schema_switches_the_format_like_a_400(
    fake_llm: LLMDouble, make_client: MakeClient
) -> None:
    """llama-cpp-python's server rejects json_schema with a 500 from its request validation."""
    body = {
        "error": {
            "message": "1 validation error: ('body', 'response_format', 'type'): Input should be 'text' or"
            " 'json_object' (input: 'json_schema')",
            "type": "internal_server_error",
        }
    }
    fake_llm.script = [status(500, body=body)]
    client = make_client()
    result = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert result.value.movies and client.response_format_mode == "json_object"
    assert [r["response_format"]["type"] for r in fake_llm.requests] == ["json_schema", "json_object"]
    assert client.usage.retries == 0


async def test_an_unrelated_bad_request_does_not_switch_the_format(
    fake_llm: LLMDouble, make_client: MakeClient
) -> None:
    fake_llm.script = [status(400, body={"error": {"message": "maximum context length exceeded"}})]
    client = make_client()
    with pytest.raises(LLMUnavailable, match="context length"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert client.response_format_mode == "json_schema" and len(fake_llm.requests) == 1
    await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert fake_llm.requests[-1]["response_format"]["type"] == "json_schema"


async def test_concurrent_first_requests_all_survive_the_json_object_switch(
    fake_llm: LLMDouble, make_client: MakeClient
) -> None:
    """Against llama.cpp, the first wave of concurrent requests all get a 400 for json_schema; all should succeed."""
    fake_llm.default = reject_json_schema()
    fake_llm.latency = 0.1  # keep the first wave in flight together
    client = make_client(concurrency=4)
    payloads = [{"query": f"comedy number {i}"} for i in range(4)]
    outcomes: list[BaseException | None] = [None] * 4

    async def ask(i: int) -> None:
        try:
            await client.complete(PARSE_QUERY, payloads[i])
        except LLMUnavailable as exc:
            outcomes[i] = exc

    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon(ask, i)
    assert outcomes == [None] * 4


# --- retries ---------------------------------------------------------------------------------------
async def test_429_honours_retry_after(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [status(429, retry_after=1)]
    client = make_client(max_retries=2)
    started = time.monotonic()
    result = await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    elapsed = time.monotonic() - started
    assert isinstance(result.value, TextAnswer)
    assert len(fake_llm.requests) == 2
    assert client.usage.retries == 1
    assert client.usage.requests == 1
    assert elapsed >= 0.95  # it waited for the server's Retry-After (1 s), not the 10 ms backoff


async def test_429_without_retry_after_uses_backoff(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [status(429), status(429)]
    client = make_client(max_retries=3)
    await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert len(fake_llm.requests) == 3
    assert client.usage.retries == 2


async def test_500_then_success(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [status(500), status(503)]
    client = make_client(max_retries=3)
    result = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(result.value.movies) == 2
    assert len(fake_llm.requests) == 3
    assert client.usage.retries == 2
    assert client.usage.failures == 0


async def test_500_forever_is_unavailable_after_max_retries(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.default = status(500)
    client = make_client(max_retries=3)
    with pytest.raises(LLMUnavailable, match="InternalServerError"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(fake_llm.requests) == 4  # the first try and max_retries=3 more
    assert client.usage.retries == 3
    assert client.usage.failures == 1
    assert client.usage.requests == 0


async def test_client_errors_are_not_retried(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.default = status(401)
    client = make_client(max_retries=3)
    with pytest.raises(LLMUnavailable, match="AuthenticationError"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(fake_llm.requests) == 1
    assert client.usage.retries == 0


async def test_hang_past_timeout_is_retried(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [hang(5.0)]
    client = make_client(timeout=0.3, max_retries=4)
    result = await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert result.value.text.startswith("FAKE-LLM:")
    # In-process, a normal answer never misses the timeout: exactly the hanging request is retried.
    assert client.usage.retries == 1
    assert len(fake_llm.requests) == 2
    assert fake_llm.requests[1]["messages"] == fake_llm.requests[0]["messages"]


async def test_hang_forever_is_unavailable(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.default = hang(5.0)
    client = make_client(timeout=0.3, max_retries=1)
    with pytest.raises(LLMUnavailable, match="Timeout"):
        await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert len(fake_llm.requests) == 2
    assert client.usage.failures == 1


# --- invalid answers -------------------------------------------------------------------------------
async def test_invalid_json_is_sent_back_once_then_succeeds(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [content("Sure! Here are the labels: sentiment positive.")]
    client = make_client()
    result = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(result.value.movies) == 2
    assert len(fake_llm.requests) == 2
    follow_up = fake_llm.requests[1]["messages"]
    assert follow_up[:2] == fake_llm.requests[0]["messages"]
    assert follow_up[2] == {"role": "assistant", "content": "Sure! Here are the labels: sentiment positive."}
    assert "invalid" in last_user_message(fake_llm.requests[1])
    assert client.usage.invalid_answers == 1
    assert client.usage.requests == 2
    assert client.usage.retries == 0  # a validation round-trip is not a transport retry


async def test_invalid_twice_raises_invalid_answer(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [content("not json"), content("{still not json")]
    client = make_client()
    with pytest.raises(LLMInvalidAnswer, match="enrich_movies"):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert len(fake_llm.requests) == 2
    assert client.usage.invalid_answers == 2
    assert client.usage.failures == 1


def enrichment_with(sentiment: str) -> str:
    """An enrichment answer for ENRICH_PAYLOAD with the given sentiment for every movie."""
    movies = [
        {"movie_id": m["movie_id"], "sentiment": sentiment, "target_audience": "adults", "reasoning": "x"}
        for m in ENRICH_PAYLOAD["movies"]
    ]
    return json.dumps({"movies": movies})


async def test_wrong_enum_value_is_invalid(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """Well-formed JSON with sentiment "ecstatic" is invalid; the follow-up names the field."""
    fake_llm.script = [content(enrichment_with("ecstatic"))]
    client = make_client()
    result = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert {m.sentiment for m in result.value.movies} <= {"positive", "negative"}
    assert len(fake_llm.requests) == 2
    follow_up = last_user_message(fake_llm.requests[1])
    assert "invalid" in follow_up
    assert "sentiment" in follow_up
    assert client.usage.invalid_answers == 1


async def test_wrong_enum_value_twice_raises(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [content(enrichment_with("ecstatic")), content(enrichment_with("meh"))]
    with pytest.raises(LLMInvalidAnswer, match="sentiment"):
        await make_client().complete(ENRICH, ENRICH_PAYLOAD)


async def test_tool_calls_without_content_are_invalid(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    """A structured-output task answered with tool calls (no content) is sent back like any invalid answer."""
    fake_llm.script = [tool_calls([{"name": "search", "arguments": {"q": "x"}}])]
    client = make_client()
    result = await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert result.value.text.startswith("FAKE-LLM:")
    assert client.usage.invalid_answers == 1


# --- cache -----------------------------------------------------------------------------------------
async def test_cache_answers_the_same_question_without_a_request(
    fake_llm: LLMDouble, make_client: MakeClient, cache: LLMCache
) -> None:
    client = make_client(cache=cache)
    first = await client.complete(ENRICH, ENRICH_PAYLOAD)
    again = await client.complete(ENRICH, json.loads(json.dumps(ENRICH_PAYLOAD)))  # equal, not identical
    assert first.cached is False
    assert again.cached is True
    assert again.value == first.value
    assert len(fake_llm.requests) == 1
    assert client.usage.cache_hits == 1
    assert client.usage.requests == 1

    # The cache lives in the database: another client with the same model hits it too.
    other = make_client(cache=cache)
    assert (await other.complete(ENRICH, ENRICH_PAYLOAD)).cached is True
    assert len(fake_llm.requests) == 1


async def test_cache_misses_on_another_payload_or_model(
    fake_llm: LLMDouble, make_client: MakeClient, cache: LLMCache
) -> None:
    client = make_client(cache=cache)
    await client.complete(ENRICH, ENRICH_PAYLOAD)
    changed = {"movies": ENRICH_PAYLOAD["movies"][:1]}
    result = await client.complete(ENRICH, changed)
    assert result.cached is False
    assert len(fake_llm.requests) == 2

    other_model = make_client(cache=cache, model="other-model")
    result = await other_model.complete(ENRICH, ENRICH_PAYLOAD)
    assert result.cached is False
    assert result.model == "other-model"
    assert len(fake_llm.requests) == 3
    assert fake_llm.requests[2]["model"] == "other-model"
    assert client.usage.cache_hits == 0
    assert other_model.usage.cache_hits == 0


async def test_invalid_answers_are_not_cached(fake_llm: LLMDouble, make_client: MakeClient, cache: LLMCache) -> None:
    fake_llm.script = [content("nope"), content("nope")]
    client = make_client(cache=cache)
    with pytest.raises(LLMInvalidAnswer):
        await client.complete(ENRICH, ENRICH_PAYLOAD)
    result = await client.complete(ENRICH, ENRICH_PAYLOAD)
    assert result.cached is False
    assert len(fake_llm.requests) == 3


# --- concurrency -----------------------------------------------------------------------------------
async def run_concurrently(client: LLMClient, n: int) -> None:
    """`n` simultaneous complete() calls with distinct payloads."""

    async def ask(i: int) -> None:
        await client.complete(EXPLAIN_PREDICTION, {"movie_id": i})

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(ask, i)


async def test_concurrency_bound_is_respected(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.latency = 0.05
    client = make_client(concurrency=2)
    await run_concurrently(client, 6)
    assert len(fake_llm.requests) == 6
    assert 1 <= fake_llm.max_in_flight <= 2


async def test_higher_concurrency_overlaps_more(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.latency = 0.2  # in-process, the six requests reach the double within milliseconds
    client = make_client(concurrency=6)
    await run_concurrently(client, 6)
    assert len(fake_llm.requests) == 6
    assert 2 < fake_llm.max_in_flight <= 6


# --- usage -----------------------------------------------------------------------------------------
async def test_usage_adds_up_the_servers_token_counts(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [status(500), content("not json")]  # a retry and a validation round-trip
    client = make_client()
    for task in ALL_TASKS:
        await client.complete(task, PAYLOADS[task.name])
    sent = fake_llm.responses
    assert len(sent) == len(ALL_TASKS) + 1
    assert all(
        r["usage"]["total_tokens"] == r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"] for r in sent
    )
    assert client.usage.requests == len(sent)
    assert client.usage.prompt_tokens == sum(r["usage"]["prompt_tokens"] for r in sent)
    assert client.usage.completion_tokens == sum(r["usage"]["completion_tokens"] for r in sent)
    assert client.usage.prompt_tokens > 0
    assert client.usage.completion_tokens > 0
    summary = usage_summary(client)
    assert summary["retries"] == 1
    assert summary["invalid_answers"] == 1
    assert summary["model"] == "fake-model"


# --- ping ------------------------------------------------------------------------------------------
async def test_ping_true_against_the_fake(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    ok, message = await make_client().ping()
    assert ok is True
    assert "fake-model" in message
    assert fake_llm.paths == ["GET /v1/models"]


# --- the double itself (the chat agent's tests use its tool calls) ---------------------------------
async def test_fake_tool_calls_and_request_log(fake_llm: LLMDouble) -> None:
    """A raw OpenAI client sees well-formed tool calls, and the double records bodies and paths."""
    fake_llm.script = [tool_calls([{"name": "search_movies", "arguments": {"query": "heist"}}])]
    raw = openai_client(fake_llm.settings())
    try:
        response = await raw.chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": "find me a heist movie"}]
        )
        plain = await raw.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "hi"}])
    finally:
        await raw.close()
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "search_movies"
    assert json.loads(call.function.arguments) == {"query": "heist"}
    assert response.usage is not None and response.usage.total_tokens > 0
    assert plain.choices[0].message.content is not None
    assert plain.choices[0].message.content.startswith("FAKE-LLM:")
    assert fake_llm.paths == ["POST /v1/chat/completions"] * 2
    assert fake_llm.requests[0]["messages"][0]["content"] == "find me a heist movie"


async def test_a_hang_within_the_timeout_is_only_slow(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.script = [hang(0.05)]
    client = make_client(timeout=5.0)
    started = time.monotonic()
    result = await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert time.monotonic() - started >= 0.05
    assert isinstance(result.value, TextAnswer)
    assert client.usage.retries == 0 and len(fake_llm.requests) == 1


async def test_a_stalled_request_stays_open_until_its_caller_cancels(
    fake_llm: LLMDouble, make_client: MakeClient
) -> None:
    fake_llm.default = stall()
    client = make_client(timeout=30.0)
    with anyio.move_on_after(0.2) as scope:
        await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert scope.cancelled_caught
    assert len(fake_llm.requests) == 1 and fake_llm.max_in_flight == 1 and fake_llm.in_flight == 0


async def test_a_stalled_request_times_out_after_the_read_timeout(fake_llm: LLMDouble, make_client: MakeClient) -> None:
    fake_llm.default = stall()
    client = make_client(timeout=0.1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="Timeout"):
        await client.complete(SUMMARIZE_USER, PAYLOADS[SUMMARIZE_USER.name])
    assert time.monotonic() - started >= 0.1


# --- the transport seam ----------------------------------------------------------------------------
def test_the_transport_is_not_part_of_what_the_settings_say(fake_llm: LLMDouble) -> None:
    """Settings compare, hash and print the same with or without a transport; the environment sets none."""
    routed = fake_llm.settings()
    plain = dataclasses.replace(routed, transport=None)
    assert routed.transport is fake_llm.transport
    assert routed == plain and hash(routed) == hash(plain)
    assert "transport" not in repr(routed)
    assert LLMSettings.from_env().transport is None


async def test_openai_client_keeps_the_settings_around_the_transport(fake_llm: LLMDouble) -> None:
    """The SDK client gets the settings' URL, key, timeout and retries, and sends through the transport."""
    raw = openai_client(fake_llm.settings(api_key="key-1", timeout=7.0), max_retries=3)
    try:
        assert (raw.api_key, raw.timeout, raw.max_retries) == ("key-1", 7.0, 3)
        assert str(raw.base_url).rstrip("/") == fake_llm.base_url
        await raw.models.list()
    finally:
        await raw.close()
    assert fake_llm.paths == ["GET /v1/models"]
