"""`enrich_movies`: sentiment, tiers, effectiveness and audience, stored transactionally.

The language engine labels sentiment and target audience; tiers and effectiveness stay arithmetic.
The offline engine leaves the labels to the documented rules, all movies in one batch. The LLM gets
batches of movies concurrently (bounded by its client); an item it could not label gets the offline
rules, marked as such. Each batch is written in its own transaction as soon as it is done, so an
interrupted run keeps what finished.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio

from core.data import store
from core.data.normalize import truncate
from core.data.store import enrichments
from core.enrichment.records import ROW_COLUMNS, EnrichmentRow, enrichment_input, enrichment_row
from core.enrichment.rules import OFFLINE_ENGINE, EnrichmentInput, enrich_offline, input_hash
from core.errors import InvalidInputError, NotFoundError
from core.llm.engine import Answer
from core.llm.tasks import ENRICH, EnrichmentAnswer
from core.runtime import MovieApp
from core.schemas import EnrichedMovie, Enrichment, EnrichmentReport

MAX_PER_CALL = 100
OVERVIEW_CHARS_FOR_LLM = 700  # enough for tone and audience, keeps batches cheap
TOKENS_PER_LABEL = 120  # one label with a one-sentence reason; caps a rambling model
FALLBACK_REASON = "offline rules: the LLM gave no usable label for this movie"
ProgressCallback = Callable[[float, float, str], Awaitable[None]]


@dataclass
class _Run:
    """What the batches of one call wrote, which movies fell back to the rules, and why."""

    written: list[EnrichmentRow] = field(default_factory=list)
    fell_back: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- choosing the movies ----------------------------------------------------------------------
async def _choose_given(app: MovieApp, movie_ids: list[int], force: bool, engine: str) -> tuple[list[int], list[int]]:
    ids = list(dict.fromkeys(movie_ids))
    if not ids or len(ids) > MAX_PER_CALL:
        raise InvalidInputError(f"movie_ids must hold 1 to {MAX_PER_CALL} ids; got {len(ids)}")
    known = await enrichments.existing(app.db, ids)
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(f"movie ids {missing} do not exist; find ids with search_movies")
    if force:
        return ids, []
    done = await enrichments.enriched_among(app.db, ids, engine)
    return [i for i in ids if i not in done], [i for i in ids if i in done]


async def _choose(
    app: MovieApp, movie_ids: list[int] | None, n: int | None, force: bool, engine: str
) -> tuple[list[int], list[int]]:
    """(ids to compute, ids skipped because this engine already enriched them)."""
    if (movie_ids is None) == (n is None):
        raise InvalidInputError("give exactly one of movie_ids (specific movies) or n (how many unenriched movies)")
    if movie_ids is not None:
        return await _choose_given(app, movie_ids, force, engine)
    assert n is not None
    if not 1 <= n <= MAX_PER_CALL:
        raise InvalidInputError(f"n must be between 1 and {MAX_PER_CALL}; got {n}")
    # Most-rated first: the movies people ask about. With force, redo the most-rated ones.
    return await enrichments.most_rated(app.db, n, unenriched_by=None if force else engine), []


async def _inputs(app: MovieApp, movie_ids: list[int]) -> list[EnrichmentInput]:
    if not movie_ids:
        return []
    rows = await enrichments.input_rows(app.db, movie_ids)
    genres = await store.genres_of(app.db, movie_ids)
    by_id = {r["movie_id"]: enrichment_input(r, genres[r["movie_id"]], app.global_mean) for r in rows}
    return [by_id[i] for i in movie_ids if i in by_id]


# --- labelling --------------------------------------------------------------------------------
def _batches(inputs: list[EnrichmentInput], size: int | None) -> list[list[EnrichmentInput]]:
    """Requests of at most `size` movies; None (the offline engine): one batch, even an empty one."""
    if size is None:
        return [inputs]
    return [inputs[start : start + size] for start in range(0, len(inputs), size)]


def _llm_payload(batch: list[EnrichmentInput]) -> dict[str, object]:
    return {
        "movies": [
            {
                "movie_id": m.movie_id,
                "title": m.title,
                "genres": m.genres,
                "mpaa": m.mpaa,
                "overview": truncate(m.overview, OVERVIEW_CHARS_FOR_LLM) or "",
            }
            for m in batch
        ]
    }


def _rows(
    batch: list[EnrichmentInput], answer: Answer[EnrichmentAnswer], now: str
) -> tuple[list[EnrichmentRow], list[int]]:
    """Rows for one batch (the engine's labels where it gave them, the rules elsewhere) and fallen-back ids."""
    labels = {m.movie_id: m for m in answer.value.movies}
    # A movie without a label fell back when the LLM was asked; offline the rules label every movie.
    llm_asked = answer.model is not None or answer.failure is not None
    rows: list[EnrichmentRow] = []
    fell_back: list[int] = []
    for item in batch:
        offline = enrich_offline(item)
        label = labels.get(item.movie_id)
        if label is not None:
            result = offline.model_copy(
                update={"sentiment": label.sentiment, "target_audience": label.target_audience, "engine": answer.engine}
            )
            rows.append(enrichment_row(result, input_hash(item), now, model=answer.model, reasoning=label.reasoning))
        elif llm_asked:
            fell_back.append(item.movie_id)
            rows.append(enrichment_row(offline, input_hash(item), now, reasoning=FALLBACK_REASON))
        else:
            rows.append(enrichment_row(offline, input_hash(item), now))
    return rows, fell_back


async def _label_and_write(app: MovieApp, inputs: list[EnrichmentInput], progress: ProgressCallback | None) -> _Run:
    """Label every batch concurrently, each written in its own transaction as soon as it is done."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    run = _Run()

    async def one_batch(batch: list[EnrichmentInput]) -> None:
        max_tokens = TOKENS_PER_LABEL * len(batch) + 50
        answer = await app.engine.complete(ENRICH, _llm_payload(batch), max_tokens=max_tokens)
        rows, fell_back = _rows(batch, answer, now)
        await enrichments.write(app.db, app.write_lock, rows)  # finished batches survive an interruption
        run.written.extend(rows)
        run.fell_back.extend(fell_back)
        if answer.failure and answer.failure not in run.notes:
            run.notes.append(answer.failure)
        if progress:
            await progress(len(run.written), len(inputs), f"enriched {len(run.written)}/{len(inputs)}")

    async with anyio.create_task_group() as tg:
        for batch in _batches(inputs, app.engine.batch_size):
            tg.start_soon(one_batch, batch)
    if run.fell_back:
        run.notes.append(f"{len(run.fell_back)} movie(s) fell back to the offline rules ({OFFLINE_ENGINE})")
    return run


# --- the report -------------------------------------------------------------------------------
async def _enriched_movies(app: MovieApp, to_do: list[int], written: list[EnrichmentRow]) -> list[EnrichedMovie]:
    """The written rows as results, in the order the movies were chosen."""
    order = {movie_id: i for i, movie_id in enumerate(to_do)}
    summaries = await store.summaries(app.db, to_do)
    money = await enrichments.money(app.db, to_do)
    enriched = []
    for row in sorted(written, key=lambda row: order.get(row[0], 0)):
        values = dict(zip(ROW_COLUMNS, row, strict=True))
        movie_id = values.pop("movie_id")
        values.pop("input_hash")
        budget, revenue = money[movie_id]
        enriched.append(
            EnrichedMovie(
                **summaries[movie_id].model_dump(),
                budget=budget,
                revenue=revenue,
                enrichment=Enrichment(**values),
            )
        )
    return enriched


def _next_hint(engine: str, remaining: int, skipped: list[int]) -> str | None:
    if remaining:
        more = min(remaining, MAX_PER_CALL)
        return f"{remaining} movies still lack {engine} enrichment; call enrich_movies again with n={more}"
    if skipped:
        return "skipped movies are already enriched; pass force=true to recompute them"
    return None


async def enrich_movies(
    app: MovieApp,
    movie_ids: list[int] | None = None,
    n: int | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> EnrichmentReport:
    """Enrich the given movies (or the n most-rated not yet enriched by this engine); idempotent unless `force`."""
    await app.ready()
    engine = app.engine.engine_for(ENRICH)
    to_do, skipped = await _choose(app, movie_ids, n, force, engine)
    usage_before = app.engine.usage()
    run = await _label_and_write(app, await _inputs(app, to_do), progress)
    usage = {k: v - usage_before.get(k, 0) for k, v in app.engine.usage().items()}
    remaining = await enrichments.count_unenriched(app.db, engine)
    return EnrichmentReport(
        engine=engine,
        model=app.engine.model,
        requested=len(movie_ids) if movie_ids is not None else int(n or 0),
        enriched=await _enriched_movies(app, to_do, run.written),
        skipped_already_enriched=skipped,
        remaining_unenriched=remaining,
        fell_back_to_offline=sorted(run.fell_back),
        notes=run.notes,
        usage=usage,
        next_hint=_next_hint(engine, remaining, skipped),
    )
