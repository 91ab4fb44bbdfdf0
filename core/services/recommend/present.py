"""Stage 7: the answer: each pick with its summary, score, evidence and reason, and what was applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.data import store
from core.runtime import MovieApp
from core.schemas import AppliedFilters, MovieSummary, Recommendation, Recommendations
from core.search.filters import describe
from core.services.recommend.explain import Picks, evidence, reason
from core.services.recommend.request import Request
from core.services.recommend.rerank import Reranked
from core.services.recommend.seeds import Seeds

if TYPE_CHECKING:  # scipy-backed models load in the background; the server answers `initialize` first
    from core.models.common import Evidence as Contributions


async def present(
    app: MovieApp,
    picks: Picks,
    explanations: list[Contributions],
    seeds: Seeds,
    request: Request,
    requested: str,
    reranked: Reranked,
    notes: list[str],
) -> Recommendations:
    """The tool's answer for the final `picks` (pairs with `explanations`); unknown movies are skipped."""
    # Summaries only for what is shown: the picks, their evidence and the liked seeds (not the whole history).
    shown = {mid for mid, _ in picks} | {mid for parts in explanations for mid, _ in parts} | set(seeds.liked_ids)
    summaries = await store.summaries(app.db, [*shown, *seeds.disliked])
    return Recommendations(
        user_id=seeds.label,
        liked_movies=[summaries[i] for i in seeds.liked_ids if i in summaries],
        disliked_movies=[summaries[i] for i in seeds.disliked if i in summaries],
        engine_requested=requested,
        engine=reranked.engine,
        model=reranked.llm_model,
        query=applied_filters(request),
        filters=describe(request.filters),
        notes=notes,
        recommendations=recommendations(picks, explanations, summaries, seeds, request, reranked.reasons),
    )


def recommendations(
    picks: Picks,
    explanations: list[Contributions],
    summaries: dict[int, MovieSummary],
    seeds: Seeds,
    request: Request,
    llm_reasons: dict[int, str],
) -> list[Recommendation]:
    """One `Recommendation` per pick the catalogue knows, with the LLM's reason when it gave one."""
    out: list[Recommendation] = []
    for (movie_id, score), parts in zip(picks, explanations, strict=True):
        if movie_id not in summaries:
            continue
        because = evidence(parts, summaries, seeds.rated)
        out.append(
            Recommendation(
                **summaries[movie_id].model_dump(),
                score=round(float(score), 4),
                because=because,
                reason=llm_reasons.get(movie_id) or reason(because, request),
            )
        )
    return out


def applied_filters(request: Request) -> AppliedFilters | None:
    """What the query became (None without a query)."""
    if request.parsed is None:
        return None
    return AppliedFilters(
        query=request.query or "",
        filters=describe(request.parsed.filters),
        unknown_terms=request.parsed.unknown_terms,
        parser=request.parsed.engine,
    )
