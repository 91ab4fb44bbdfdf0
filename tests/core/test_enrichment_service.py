"""How one batch's rows are built from the engine's answer: its labels, the rules, and the fall-back."""

from __future__ import annotations

from core.enrichment.rules import OFFLINE_ENGINE, EnrichmentInput, enrich_offline
from core.enrichment.service import FALLBACK_REASON, _batches, _rows
from core.llm.engine import Answer
from core.llm.tasks import EnrichmentAnswer, MovieLabels

NOW = "2024-01-01T00:00:00+00:00"
BATCH = [
    EnrichmentInput(movie_id=1, title="A", genres=["Comedy"], budget=5_000_000, revenue=40_000_000),
    EnrichmentInput(movie_id=2, title="B", overview="A war and a murder.", genres=["Drama"]),
    EnrichmentInput(movie_id=3, title="C", genres=["Animation"], mpaa="G"),
]
COLUMNS = ("movie_id", "sentiment", "budget_tier", "revenue_tier", "effectiveness", "audience", "engine", "model")


def rows_by_id(rows: list[tuple[object, ...]]) -> dict[object, dict[str, object]]:
    return {row[0]: {**dict(zip(COLUMNS, row, strict=False)), "reasoning": row[8]} for row in rows}


def test_llm_labels_are_used_where_given_and_the_rules_fill_in_the_rest() -> None:
    label = MovieLabels(movie_id=1, sentiment="mixed", target_audience="teens", reasoning="why")
    answer = Answer(EnrichmentAnswer(movies=[label]), engine="llm", model="m")
    rows, fell_back = _rows(BATCH, answer, NOW)
    by_id = rows_by_id(rows)
    assert fell_back == [2, 3]
    assert by_id[1]["sentiment"] == "mixed" and by_id[1]["audience"] == "teens"
    assert (by_id[1]["engine"], by_id[1]["model"], by_id[1]["reasoning"]) == ("llm", "m", "why")
    assert by_id[1]["budget_tier"] == enrich_offline(BATCH[0]).budget_tier  # tiers stay arithmetic
    for movie_id in (2, 3):
        assert (by_id[movie_id]["engine"], by_id[movie_id]["reasoning"]) == (OFFLINE_ENGINE, FALLBACK_REASON)


def test_an_llm_failure_sends_the_whole_batch_to_the_rules_as_fallen_back() -> None:
    answer = Answer(EnrichmentAnswer(movies=[]), engine=OFFLINE_ENGINE, failure="boom")
    rows, fell_back = _rows(BATCH, answer, NOW)
    assert fell_back == [1, 2, 3] and {r["reasoning"] for r in rows_by_id(rows).values()} == {FALLBACK_REASON}


def test_the_offline_engine_labels_with_the_rules_without_falling_back() -> None:
    rows, fell_back = _rows(BATCH, Answer(EnrichmentAnswer(movies=[]), engine=OFFLINE_ENGINE), NOW)
    assert fell_back == []
    for item, row in zip(BATCH, rows, strict=True):
        offline = enrich_offline(item)
        assert row[1] == offline.sentiment and row[5] == offline.target_audience
        assert row[6] == OFFLINE_ENGINE and row[7] is None and row[8] is None


def test_batches_follow_the_engines_size_and_offline_is_one_batch() -> None:
    assert [[m.movie_id for m in b] for b in _batches(BATCH, 2)] == [[1, 2], [3]]
    assert _batches(BATCH, None) == [BATCH]
    assert _batches([], None) == [[]] and _batches([], 2) == []
