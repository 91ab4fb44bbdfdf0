"""The tools with an LLM endpoint (an in-process double of an OpenAI-compatible server): answers come through
the LLM, and when the endpoint fails in any way every tool still answers, marked offline where it fell back."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from core.data import sqlite
from core.search.embedder import Embedder
from tests.conftest import serve_in_memory
from tests.llm_double import Behaviour, LLMDouble, answer, content, hang, reject_json_schema, stall, status
from tests.synthetic import SPACE_FANS

Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def db_copy(synthetic_db: Path, tmp_path: Path) -> Path:
    """A private copy: these tests write enrichments."""
    path = tmp_path / "movies.db"
    shutil.copy(synthetic_db, path)
    return path


@pytest.fixture
def connect(db_copy: Path, embedder: Embedder, fake_llm: LLMDouble) -> Connect:
    def open_client(**overrides: Any) -> AbstractAsyncContextManager[Client]:
        settings = {"timeout": 2.0, "max_retries": 1, "backoff_base": 0.01, "batch_size": 4, **overrides}
        return serve_in_memory(db_copy, embedder, fake_llm.settings(**settings))

    return open_client


async def ok(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content or {}


def enrichment_engines(db: Path) -> dict[int, str]:
    conn = sqlite.connect_sync(db, read_only=True)
    try:
        return dict(conn.execute("SELECT movie_id, engine FROM enrichments").fetchall())
    finally:
        conn.close()


async def test_every_llm_backed_tool_answers_through_the_llm(connect: Connect, db_copy: Path) -> None:
    async with connect() as client:
        enriched = await ok(client, "enrich_movies", {"movie_ids": [1, 2, 101], "force": True})
        assert enriched["engine"] == "llm" and enriched["model"] == "fake-model"
        assert all(m["enrichment"]["engine"] == "llm" and m["enrichment"]["reasoning"] for m in enriched["enriched"])
        assert enriched["fell_back_to_offline"] == [] and enriched["usage"]["requests"] == 1  # one batch

        als = await ok(client, "get_movie_recommendations", {"user_id": SPACE_FANS[0], "n": 3})
        llm = await ok(client, "get_movie_recommendations", {"user_id": SPACE_FANS[0], "n": 3, "engine": "llm"})
        assert llm["engine"] == "llm-rerank" and llm["model"] == "fake-model"
        assert all(
            r["reason"].startswith("FAKE-LLM") or "because you liked" in r["reason"] for r in llm["recommendations"]
        )
        assert [r["movie_id"] for r in llm["recommendations"]] != [r["movie_id"] for r in als["recommendations"]]

        parsed = await ok(client, "get_movie_recommendations", {"user_id": 1, "n": 3, "query": "comedy please"})
        assert parsed["query"]["parser"] == "llm:fake-model" and parsed["query"]["filters"]["genres"] == ["Comedy"]

        prediction = await ok(client, "predict_rating", {"user_id": 1, "movie_id": 5})
        assert prediction["explanation_engine"] == "llm:fake-model" and prediction["explanation"].startswith("FAKE-LLM")
        assert prediction["engine"] == "biased-mf"  # the number still comes from the trained model

        profile = await ok(client, "summarize_user_preferences", {"user_id": 1})
        assert profile["engine"] == "llm:fake-model" and profile["summary"].startswith("FAKE-LLM")

        comparison = await ok(client, "compare_movies", {"movie_ids": [1, 2], "narrative": True})
        assert comparison["engine"] == "llm:fake-model" and comparison["narrative"].startswith("FAKE-LLM")
    assert {enrichment_engines(db_copy)[i] for i in (1, 2, 101)} == {"llm"}


FAILURES: dict[str, Callable[[], Behaviour]] = {
    "server error": lambda: status(500),
    "rate limited": lambda: status(429, retry_after=0.05),
    "hang past the timeout": lambda: hang(5.0),
    "invalid JSON": lambda: content("this is not JSON {"),
    "wrong enum value": lambda: content(
        '{"movies": [{"movie_id": 1, "sentiment": "ecstatic",'
        ' "target_audience": "adults", "reasoning": "x"}], "text": 3}'
    ),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_every_tool_still_answers_when_the_llm_fails(
    connect: Connect, fake_llm: LLMDouble, db_copy: Path, failure: str
) -> None:
    fake_llm.default = FAILURES[failure]()
    async with connect(timeout=0.5) as client:
        enriched = await ok(client, "enrich_movies", {"movie_ids": [1, 2, 101], "force": True})
        assert enriched["fell_back_to_offline"] == [1, 2, 101]
        assert all(m["enrichment"]["engine"] == "offline-rules-v1" for m in enriched["enriched"])
        recs = await ok(client, "get_movie_recommendations", {"user_id": 1, "n": 3, "engine": "llm"})
        assert recs["engine"] == "ease-als-ensemble" and any("LLM re-ranking failed" in n for n in recs["notes"])
        assert len(recs["recommendations"]) == 3
        parsed = await ok(client, "get_movie_recommendations", {"user_id": 1, "n": 2, "query": "comedies"})
        assert parsed["query"]["parser"] == "offline-parser-v2"
        prediction = await ok(client, "predict_rating", {"user_id": 1, "movie_id": 5})
        assert prediction["explanation_engine"] == "offline-template-v1"
        profile = await ok(client, "summarize_user_preferences", {"user_id": 1})
        assert profile["engine"] == "offline-template-v1"
        comparison = await ok(client, "compare_movies", {"movie_ids": [1, 2], "narrative": True})
        assert comparison["engine"] == "offline-template-v1" and comparison["narrative"] == comparison["summary"]
    assert {enrichment_engines(db_copy)[i] for i in (1, 2, 101)} == {"offline-rules-v1"}


async def test_a_429_with_retry_after_is_waited_out_and_then_answered(connect: Connect, fake_llm: LLMDouble) -> None:
    fake_llm.script = [status(429, retry_after=0.2)]
    async with connect() as client:
        enriched = await ok(client, "enrich_movies", {"movie_ids": [1, 2], "force": True})
    assert enriched["fell_back_to_offline"] == [] and enriched["usage"]["retries"] == 1
    assert len(fake_llm.requests) == 2


async def test_one_bad_label_falls_back_for_that_movie_only(connect: Connect, fake_llm: LLMDouble) -> None:
    def labels(payload: dict[str, Any]) -> dict[str, Any]:
        # Movie 2 is missing from the answer; the batch is otherwise valid.
        return {
            "movies": [
                {"movie_id": m["movie_id"], "sentiment": "mixed", "target_audience": "teens", "reasoning": "ok"}
                for m in payload["movies"]
                if m["movie_id"] != 2
            ]
        }

    fake_llm.answers["enrich_movies"] = labels
    async with connect() as client:
        enriched = await ok(client, "enrich_movies", {"movie_ids": [1, 2, 3], "force": True})
    by_id = {m["movie_id"]: m["enrichment"] for m in enriched["enriched"]}
    assert by_id[1]["engine"] == by_id[3]["engine"] == "llm" and by_id[1]["sentiment"] == "mixed"
    assert by_id[2]["engine"] == "offline-rules-v1" and enriched["fell_back_to_offline"] == [2]
    assert by_id[1]["budget_tier"] == "medium"  # tiers stay arithmetic whatever the LLM says


async def test_enrichment_batches_respect_the_concurrency_bound_and_the_cache(
    connect: Connect, fake_llm: LLMDouble
) -> None:
    fake_llm.latency = 0.1  # long enough for both slots to be busy at once
    ids = list(range(1, 13)) + list(range(101, 113))
    async with connect(batch_size=2, concurrency=2) as client:
        first = await ok(client, "enrich_movies", {"movie_ids": ids, "force": True})
        assert first["usage"]["requests"] == 12 and fake_llm.max_in_flight == 2
        again = await ok(client, "enrich_movies", {"movie_ids": ids, "force": True})
    assert again["usage"]["requests"] == 0 and again["usage"]["cache_hits"] == 12
    assert len(fake_llm.requests) == 12


async def test_an_interrupted_enrichment_keeps_finished_batches_and_redoes_nothing(
    connect: Connect, fake_llm: LLMDouble, db_copy: Path
) -> None:
    fake_llm.script = ["answer", "answer"]
    fake_llm.default = stall()  # the third batch is still in flight when the call is cancelled
    two_batches_written = asyncio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if progress >= 4:  # progress counts written movies: two batches of two are committed
            two_batches_written.set()

    async with connect(batch_size=2, concurrency=1) as client:
        call = asyncio.ensure_future(client.call_tool("enrich_movies", {"n": 8}, progress_callback=on_progress))
        await asyncio.wait_for(two_batches_written.wait(), timeout=60)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    engines = enrichment_engines(db_copy)
    done = sorted(i for i, e in engines.items() if e == "llm")
    assert len(done) >= 4 and len(done) % 2 == 0  # whole batches only
    assert len(engines) == 25  # every movie still has a complete (offline) row: nothing half-written
    fake_llm.default = answer()
    requests_before = len(fake_llm.requests)
    async with connect(batch_size=2, concurrency=1) as client:
        rerun = await ok(client, "enrich_movies", {"n": 8})
    assert not set(done) & {m["movie_id"] for m in rerun["enriched"]}
    assert len(fake_llm.requests) - requests_before == 4


async def test_json_object_servers_are_detected_once(connect: Connect, fake_llm: LLMDouble) -> None:
    fake_llm.default = reject_json_schema()
    async with connect() as client:
        await ok(client, "enrich_movies", {"movie_ids": [1], "force": True})
        await ok(client, "summarize_user_preferences", {"user_id": 2})
    formats = [r["response_format"]["type"] for r in fake_llm.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert "schema" in fake_llm.requests[-1]["response_format"]


async def test_without_an_endpoint_answers_say_offline(client: Client) -> None:
    recs = await ok(client, "get_movie_recommendations", {"user_id": 1, "n": 2, "engine": "llm"})
    assert recs["engine"] == "ease-als-ensemble" and recs["model"] is None
    prediction = await ok(client, "predict_rating", {"user_id": 1, "movie_id": 5})
    assert prediction["explanation_engine"] == "offline-template-v1"
