"""`enrich_movies`: compute sentiment, tiers, effectiveness and audience, and store them transactionally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from core import store
from core.app import MovieApp
from core.enrichment_records import INPUT_COLUMNS, UPSERT_SQL, enrichment_input
from core.enrichment_rules import OFFLINE_ENGINE, EnrichmentInput, enrich_offline, input_hash
from core.errors import InvalidInputError, NotFoundError
from core.models import EnrichedMovie, Enrichment, EnrichmentReport

MAX_PER_CALL = 100
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


async def _choose(
    app: MovieApp, movie_ids: list[int] | None, n: int | None, force: bool
) -> tuple[list[int], list[int]]:
    """(ids to compute, ids skipped because they are already enriched)."""
    if (movie_ids is None) == (n is None):
        raise InvalidInputError("give exactly one of movie_ids (specific movies) or n (how many unenriched movies)")
    if movie_ids is not None:
        ids = list(dict.fromkeys(movie_ids))
        if not ids or len(ids) > MAX_PER_CALL:
            raise InvalidInputError(f"movie_ids must hold 1 to {MAX_PER_CALL} ids; got {len(ids)}")
        known = {
            r[0]
            for r in await store.fetch_all(
                app.db, f"SELECT movie_id FROM movies WHERE movie_id IN ({store.placeholders(len(ids))})", ids
            )
        }
        missing = [i for i in ids if i not in known]
        if missing:
            raise NotFoundError(f"movie ids {missing} do not exist; find ids with search_movies")
        if force:
            return ids, []
        done = {
            r[0]
            for r in await store.fetch_all(
                app.db, f"SELECT movie_id FROM enrichments WHERE movie_id IN ({store.placeholders(len(ids))})", ids
            )
        }
        return [i for i in ids if i not in done], [i for i in ids if i in done]
    assert n is not None
    if not 1 <= n <= MAX_PER_CALL:
        raise InvalidInputError(f"n must be between 1 and {MAX_PER_CALL}; got {n}")
    # Most-rated first: the movies people ask about. With force, re-enrich the most-rated ones.
    sql = (
        "SELECT movie_id FROM movies ORDER BY rating_count DESC, movie_id LIMIT ?"
        if force
        else "SELECT movie_id FROM movies WHERE movie_id NOT IN (SELECT movie_id FROM enrichments)"
        " ORDER BY rating_count DESC, movie_id LIMIT ?"
    )
    return [r[0] for r in await store.fetch_all(app.db, sql, (n,))], []


async def enrich_movies(
    app: MovieApp,
    movie_ids: list[int] | None = None,
    n: int | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> EnrichmentReport:
    """Enrich the given movies (or the n most-rated unenriched ones); idempotent unless `force`."""
    await app.ready()
    to_do, skipped = await _choose(app, movie_ids, n, force)
    inputs = await _inputs(app, to_do) if to_do else []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = []
    for done, item in enumerate(inputs, start=1):
        result = enrich_offline(item)
        rows.append(
            (
                item.movie_id,
                result.sentiment,
                result.budget_tier,
                result.revenue_tier,
                result.effectiveness_score,
                result.target_audience,
                result.engine,
                None,
                input_hash(item),
                now,
            )
        )
        if progress and (done % 10 == 0 or done == len(inputs)):
            await progress(done, len(inputs), f"enriched {done}/{len(inputs)}")
    if rows:
        async with app.write_lock:
            try:
                await app.db.executemany(UPSERT_SQL, rows)
                await app.db.commit()
            except BaseException:
                await app.db.rollback()  # all or nothing: no half-written batch
                raise
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
    enriched = [
        EnrichedMovie(
            **summaries[row[0]].model_dump(),
            budget=money[row[0]][0],
            revenue=money[row[0]][1],
            enrichment=Enrichment(
                sentiment=row[1],
                budget_tier=row[2],
                revenue_tier=row[3],
                effectiveness_score=row[4],
                target_audience=row[5],
                engine=row[6],
                model=row[7],
                enriched_at=row[9],
            ),
        )
        for row in rows
    ]
    remaining = int(
        (
            await store.fetch_one(
                app.db, "SELECT count(*) FROM movies WHERE movie_id NOT IN (SELECT movie_id FROM enrichments)"
            )
        )[0]
    )
    hint = None
    if remaining:
        hint = (
            f"{remaining} movies still lack enrichment; call enrich_movies again with n={min(remaining, MAX_PER_CALL)}"
        )
    elif skipped:
        hint = "skipped movies are already enriched; pass force=true to recompute them"
    return EnrichmentReport(
        engine=OFFLINE_ENGINE,
        requested=len(movie_ids) if movie_ids is not None else int(n or 0),
        enriched=enriched,
        skipped_already_enriched=skipped,
        remaining_unenriched=remaining,
        next_hint=hint,
    )
