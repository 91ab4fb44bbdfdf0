"""Stage 5 (optional): a request mode re-orders a larger pool of the engine's picks: blended with the
query's meaning (semantic), or ordered by an LLM with a reason per pick. When the mode cannot apply (no
query, no LLM configured, the LLM failed) the engine's own order stands and a note says so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from core.data import store
from core.data.normalize import truncate
from core.data.store.recommendations import rerank_details
from core.llm.tasks import RERANK
from core.models import registry
from core.runtime import MovieApp
from core.search.semantic import embed_query, similarity_to
from core.services.recommend.explain import Picks
from core.services.recommend.request import Request

SEMANTIC_WEIGHT = 0.5  # equal say for taste (the collaborative score) and the query's meaning
LLM_EXAMPLES = 10  # liked movies shown to the LLM
LLM_DISLIKED_EXAMPLES = 5
LIKED_EXAMPLE_STARS = 4.0
DISLIKED_EXAMPLE_STARS = 2.5

Step = Callable[[int, str], Awaitable[None]]


def choose_rerank(
    app: MovieApp, engine: str, served: registry.ModelEngine, request: Request
) -> tuple[registry.RequestMode | None, list[str]]:
    """(the re-ranking that applies, notes): the requested mode unless it cannot apply to this request."""
    mode = registry.engine(engine)
    if not isinstance(mode, registry.RequestMode):
        return None, []
    if mode.rerank == "llm" and app.engine.model is None:
        return None, [f"no LLM endpoint is configured (OPENAI_BASE_URL / OPENAI_API_KEY); answered with {served.name}"]
    if mode.rerank == "semantic" and not request.meaning:
        title = registry.model_spec(served.model).title
        return None, [f"{mode.name} needs a query to blend with; answered with {title} alone"]
    return mode, []


def pool_size(n: int, mode: registry.RequestMode | None) -> int:
    """How many picks to rank: n, or the larger pool a re-ranking chooses from."""
    return max(n, mode.pool) if mode is not None else n


@dataclass
class Reranked:
    picks: Picks
    engine: str  # the engine the answer names
    reasons: dict[int, str] = field(default_factory=dict)  # the LLM's reason per pick
    llm_model: str | None = None
    notes: list[str] = field(default_factory=list)


async def rerank(
    app: MovieApp,
    mode: registry.RequestMode | None,
    picks: Picks,
    rated: dict[int, float],
    request: Request,
    n: int,
    served: str,
    step: Step,
) -> Reranked:
    """Apply `mode` (None: keep the engine's order) to the ranked `picks`."""
    if mode is None or not picks:
        return Reranked(picks, served)
    if mode.rerank == "semantic":
        return Reranked(await semantic_blend(app, picks, request.meaning, n), mode.reports_as)
    await step(2, f"asking the LLM to re-rank {len(picks)} candidates")
    ordered, reasons, model, failure = await llm_rerank(app, picks, rated, request.query, n)
    if model is None:
        return Reranked(picks, served, notes=[f"LLM re-ranking failed ({failure}); answered with {served}"])
    return Reranked(ordered, mode.reports_as, reasons, model)


def blend_with_similarity(picks: Picks, similarity: dict[int, float], n: int) -> Picks:
    """The best n by a weighted sum of the min-max scaled collaborative score and the semantic similarity."""
    scores = np.array([s for _, s in picks])
    spread = float(scores.max() - scores.min()) or 1.0
    blended = [
        (mid, (1 - SEMANTIC_WEIGHT) * (s - scores.min()) / spread + SEMANTIC_WEIGHT * similarity.get(mid, 0.0))
        for mid, s in picks
    ]
    return sorted(blended, key=lambda p: -p[1])[:n]


async def semantic_blend(app: MovieApp, picks: Picks, text: str, n: int) -> Picks:
    """Re-score `picks` with their similarity to `text`'s meaning (`blend_with_similarity`)."""
    vector = await embed_query(app, text)
    similarity = await similarity_to(app, vector, [mid for mid, _ in picks])
    return blend_with_similarity(picks, similarity, n)


async def llm_rerank(
    app: MovieApp, picks: Picks, rated: dict[int, float], query: str | None, n: int
) -> tuple[Picks, dict[int, str], str | None, str | None]:
    """Let the LLM order the collaborative candidates, with a score and a reason each; only candidates count.

    Picks it invents are dropped; when it returns fewer than n, the rest follow in the model's order.
    Returns (picks, reason per pick, the LLM model's name, why the LLM's answer was not used): when the
    engine answered offline, the model is None and the picks keep the collaborative order.
    """
    payload = await rerank_payload(app, picks, rated, query, n)
    answer = await app.engine.complete(RERANK, payload, max_tokens=80 * n + 50)
    allowed = dict(picks)
    ordered: Picks = []
    reasons: dict[int, str] = {}
    for pick in answer.value.picks:
        if pick.movie_id in allowed and pick.movie_id not in reasons:
            ordered.append((pick.movie_id, pick.match_score))
            reasons[pick.movie_id] = pick.reason
    ordered += [(mid, score) for mid, score in picks if mid not in reasons][: max(0, n - len(ordered))]
    return ordered[:n], reasons, answer.model, answer.failure


async def rerank_payload(
    app: MovieApp, picks: Picks, rated: dict[int, float], query: str | None, n: int
) -> dict[str, object]:
    """What the LLM sees: the request, the user's best and worst rated movies, and each candidate."""
    ids = [mid for mid, _ in picks]
    extra = await rerank_details(app.db, ids)
    ranked_ratings = sorted(rated.items(), key=lambda kv: -kv[1])
    # Summaries for the candidates and the examples shown (twice as many, in case some left the catalogue),
    # not the whole history: a MovieLens user may have rated thousands of movies.
    best = [m for m, s in ranked_ratings[: 2 * LLM_EXAMPLES] if s >= LIKED_EXAMPLE_STARS]
    worst = [m for m, s in ranked_ratings[-2 * LLM_DISLIKED_EXAMPLES :] if s <= DISLIKED_EXAMPLE_STARS]
    known = await store.summaries(app.db, [*ids, *best, *worst])
    example = lambda mid, stars: {"title": known[mid].title, "year": known[mid].year, "stars": stars}  # noqa: E731
    liked = [example(m, s) for m, s in ranked_ratings if s >= LIKED_EXAMPLE_STARS and m in known]
    disliked = [example(m, s) for m, s in reversed(ranked_ratings) if s <= DISLIKED_EXAMPLE_STARS and m in known]
    return {
        "n": n,
        "request": query or "",
        "liked": liked[:LLM_EXAMPLES],
        "disliked": disliked[:LLM_DISLIKED_EXAMPLES],
        "candidates": [
            {
                "movie_id": mid,
                "title": known[mid].title,
                "year": known[mid].year,
                "genres": known[mid].genres,
                "overview": truncate(extra[mid]["overview"], 200) if mid in extra else None,
                "sentiment": extra[mid]["sentiment"] if mid in extra else None,
                "audience": extra[mid]["target_audience"] if mid in extra else None,
                "collaborative_score": round(score, 4),
            }
            for mid, score in picks
            if mid in known
        ],
    }
