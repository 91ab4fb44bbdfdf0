"""`enrich_movies`: sentiment, tiers, effectiveness and audience, stored transactionally.

Offline, the documented rules compute all five. With an LLM, batches of movies go to the model
concurrently (bounded by the client) for sentiment and target audience; tiers and effectiveness stay
arithmetic. Each batch is written in its own transaction as soon as it is done, so an interrupted run
keeps what finished; an item the LLM could not label gets the offline rules, marked as such.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import anyio

from core.data import store
from core.data.normalize import truncate
from core.enrichment.records import (
    INPUT_COLUMNS,
    ROW_COLUMNS,
    UPSERT_SQL,
    EnrichmentRow,
    enrichment_input,
    enrichment_row,
)
from core.enrichment.rules import OFFLINE_ENGINE, EnrichmentInput, enrich_offline, input_hash
from core.errors import InvalidInputError, NotFoundError
from core.llm.errors import LLM_ENGINE, LLMError
from core.llm.tasks import ENRICH
from core.runtime import MovieApp
from core.schemas import EnrichedMovie, Enrichment, EnrichmentReport

MAX_PER_CALL = 100
OVERVIEW_CHARS_FOR_LLM = 700  # enough for tone and audience, keeps batches cheap
TOKENS_PER_LABEL = 120  # one label with a one-sentence reason; caps a rambling model
ProgressCallback = Callable[[float, float, str], Awaitable[None]]


async def _inputs(app: MovieApp, movie_ids: list[int]) -> list[EnrichmentInput]:
    rows = await store.fetch_all(
        app.db,
        f"SELECT {INPUT_COLUMNS} FROM movies WHERE movie_id IN ({store.placeholders(len(movie_ids))})",
        movie_ids,
    )
    genres = await store.genres_of(app.db, movie_ids)
    by_id = {r["movie_id"]: enrichment_input(r, genres[r["movie_id"]], app.global_mean) for r in rows}
    return [by_id[i] for i in movie_ids if i in by_id]


def _not_done_sql(engine: str) -> str:
    """Movies that still need this engine: no row at all, or (for the LLM) only an offline row."""
    if engine == LLM_ENGINE:
        return f"SELECT movie_id FROM enrichments WHERE engine = '{LLM_ENGINE}'"
    return "SELECT movie_id FROM enrichments"


async def _choose(
    app: MovieApp, movie_ids: list[int] | None, n: int | None, force: bool, engine: str
) -> tuple[list[int], list[int]]:
    """(ids to compute, ids skipped because this engine already enriched them)."""
    if (movie_ids is None) == (n is None):
        raise InvalidInputError("give exactly one of movie_ids (specific movies) or n (how many unenriched movies)")
    done_sql = _not_done_sql(engine)
    if movie_ids is not None:
        ids = list(dict.fromkeys(movie_ids))
        if not ids or len(ids) > MAX_PER_CALL:
            raise InvalidInputError(f"movie_ids must hold 1 to {MAX_PER_CALL} ids; got {len(ids)}")
        marks = store.placeholders(len(ids))
        known = {
            r[0] for r in await store.fetch_all(app.db, f"SELECT movie_id FROM movies WHERE movie_id IN ({marks})", ids)
        }
        missing = [i for i in ids if i not in known]
        if missing:
            raise NotFoundError(f"movie ids {missing} do not exist; find ids with search_movies")
        if force:
            return ids, []
        done = {
            r[0]
            for r in await store.fetch_all(
                app.db, f"SELECT movie_id FROM ({done_sql}) WHERE movie_id IN ({marks})", ids
            )
        }
        return [i for i in ids if i not in done], [i for i in ids if i in done]
    assert n is not None
    if not 1 <= n <= MAX_PER_CALL:
        raise InvalidInputError(f"n must be between 1 and {MAX_PER_CALL}; got {n}")
    # Most-rated first: the movies people ask about. With force, redo the most-rated ones.
    sql = (
        "SELECT movie_id FROM movies ORDER BY rating_count DESC, movie_id LIMIT ?"
        if force
        else f"SELECT movie_id FROM movies WHERE movie_id NOT IN ({done_sql})"
        " ORDER BY rating_count DESC, movie_id LIMIT ?"
    )
    return [r[0] for r in await store.fetch_all(app.db, sql, (n,))], []


async def _write(app: MovieApp, rows: list[EnrichmentRow]) -> None:
    """One all-or-nothing transaction."""
    if not rows:
        return
    async with app.write_lock:
        try:
            await app.db.executemany(UPSERT_SQL, rows)
            await app.db.commit()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await app.db.rollback()  # no half-written batch, even when cancelled
            raise


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


async def _llm_batch(
    app: MovieApp, batch: list[EnrichmentInput], now: str
) -> tuple[list[EnrichmentRow], list[int], str | None]:
    """Rows for one batch (LLM labels where usable, offline rules elsewhere), fallen-back ids, and a note."""
    assert app.llm is not None
    labels = {}
    note = None
    try:
        answer = await app.llm.complete(ENRICH, _llm_payload(batch), max_tokens=TOKENS_PER_LABEL * len(batch) + 50)
        labels = {m.movie_id: m for m in answer.value.movies}
    except LLMError as exc:
        note = str(exc)
    rows: list[EnrichmentRow] = []
    fell_back: list[int] = []
    for item in batch:
        offline = enrich_offline(item)
        label = labels.get(item.movie_id)
        if label is None:
            fell_back.append(item.movie_id)
            reason = "offline rules: the LLM gave no usable label for this movie"
            rows.append(enrichment_row(offline, input_hash(item), now, reasoning=reason))
            continue
        result = offline.model_copy(
            update={"sentiment": label.sentiment, "target_audience": label.target_audience, "engine": LLM_ENGINE}
        )
        rows.append(enrichment_row(result, input_hash(item), now, model=app.llm.model, reasoning=label.reasoning))
    return rows, fell_back, note


async def enrich_movies(
    app: MovieApp,
    movie_ids: list[int] | None = None,
    n: int | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> EnrichmentReport:
    """Enrich the given movies (or the n most-rated not yet enriched by this engine); idempotent unless `force`."""
    await app.ready()
    engine = LLM_ENGINE if app.llm is not None else OFFLINE_ENGINE
    to_do, skipped = await _choose(app, movie_ids, n, force, engine)
    inputs = await _inputs(app, to_do) if to_do else []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    written: list[EnrichmentRow] = []
    fell_back: list[int] = []
    notes: list[str] = []
    usage_before = app.llm.usage.as_dict() if app.llm else {}

    async def report(done: int) -> None:
        if progress:
            await progress(done, len(inputs), f"enriched {done}/{len(inputs)}")

    if app.llm is None:
        rows = [enrichment_row(enrich_offline(item), input_hash(item), now) for item in inputs]
        await _write(app, rows)
        written.extend(rows)
        await report(len(rows))
    else:
        size = app.llm.settings.batch_size

        async def run(batch: list[EnrichmentInput]) -> None:
            rows, fallen, note = await _llm_batch(app, batch, now)
            await _write(app, rows)  # each batch commits on its own: finished work survives an interruption
            written.extend(rows)
            fell_back.extend(fallen)
            if note and note not in notes:
                notes.append(note)
            await report(len(written))

        async with anyio.create_task_group() as tg:
            for start in range(0, len(inputs), size):
                tg.start_soon(run, inputs[start : start + size])
    if fell_back:
        notes.append(f"{len(fell_back)} movie(s) fell back to the offline rules ({OFFLINE_ENGINE})")

    order = {movie_id: i for i, movie_id in enumerate(to_do)}
    written.sort(key=lambda row: order.get(row[0], 0))
    summaries = await store.summaries(app.db, to_do)
    money = (
        {
            r[0]: (r[1], r[2])
            for r in await store.fetch_all(
                app.db,
                f"SELECT movie_id, budget, revenue FROM movies WHERE movie_id IN ({store.placeholders(len(to_do))})",
                to_do,
            )
        }
        if to_do
        else {}
    )
    enriched = []
    for row in written:
        values = dict(zip(ROW_COLUMNS, row, strict=True))
        movie_id = values.pop("movie_id")
        values.pop("input_hash")
        enriched.append(
            EnrichedMovie(
                **summaries[movie_id].model_dump(),
                budget=money[movie_id][0],
                revenue=money[movie_id][1],
                enrichment=Enrichment(**values),
            )
        )
    remaining = int(
        (await store.fetch_one(app.db, f"SELECT count(*) FROM movies WHERE movie_id NOT IN ({_not_done_sql(engine)})"))[
            0
        ]
    )
    hint = None
    if remaining:
        more = min(remaining, MAX_PER_CALL)
        hint = f"{remaining} movies still lack {engine} enrichment; call enrich_movies again with n={more}"
    elif skipped:
        hint = "skipped movies are already enriched; pass force=true to recompute them"
    usage = {k: v - usage_before.get(k, 0) for k, v in app.llm.usage.as_dict().items()} if app.llm else {}
    return EnrichmentReport(
        engine=engine,
        model=app.llm.model if app.llm else None,
        requested=len(movie_ids) if movie_ids is not None else int(n or 0),
        enriched=enriched,
        skipped_already_enriched=skipped,
        remaining_unenriched=remaining,
        fell_back_to_offline=sorted(fell_back),
        notes=notes,
        usage=usage,
        next_hint=hint,
    )
