"""Recommendations: the EASE + ALS ensemble by default (implicit ALS alone on request) for known users,
fold-in for a list of liked movies, optional natural-language filters, LLM re-ranking of the default
model's candidates, and a hybrid that blends ALS with the query's semantic similarity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import anyio.to_thread
import numpy as np

from core.data import store
from core.data.normalize import truncate
from core.enrichment.service import ProgressCallback
from core.errors import InvalidInputError, NotFoundError
from core.llm.errors import LLMError
from core.llm.tasks import RERANK
from core.runtime import MovieApp
from core.schemas import AppliedFilters, Evidence, MovieSummary, Recommendation, Recommendations
from core.search.filters import describe, movie_conditions, where
from core.search.query_parser import ParsedQuery
from core.search.semantic import embed_query, similarity_to
from core.search.understand import understand_query

if TYPE_CHECKING:  # the models load in the background; importing implicit here would slow `initialize`
    from core.models.als import AlsRecommender
    from core.models.ensemble import EnsembleRecommender

Engine = Literal["ease-als-ensemble", "als", "llm", "hybrid"]
ENSEMBLE_ENGINE = "ease-als-ensemble"  # the default: measured best by `movie-mcp eval` (topn, coldstart)
DEFAULT_ENGINE: Engine = "ease-als-ensemble"
ALS_ENGINE = "als"
HYBRID_ENGINE = "hybrid-als-semantic"
HYBRID_SEMANTIC_WEIGHT = 0.5  # equal say for taste (ALS) and the query's meaning
HYBRID_POOL = 100  # ALS candidates re-scored by the hybrid
LLM_ENGINE = "llm-rerank"
LLM_POOL = 30  # candidates (from the default model) shown to the LLM: enough choice, a modest prompt
LLM_EXAMPLES = 10  # liked movies shown to the LLM
MAX_LIKED = 50


async def _resolve_liked(app: MovieApp, liked: list[int | str]) -> list[int]:
    if not liked:
        raise InvalidInputError("liked_movies is empty; give 1 to 50 movie ids or titles you liked")
    if len(liked) > MAX_LIKED:
        raise InvalidInputError(f"liked_movies has {len(liked)} entries; give at most {MAX_LIKED}")
    ids: list[int] = []
    missing: list[str] = []
    for ref in liked:
        try:
            ids.append(await store.resolve_movie_ref(app.db, ref))
        except NotFoundError:
            missing.append(str(ref))
    if missing:
        raise NotFoundError(
            f"no movie matches {', '.join(repr(m) for m in missing)}; use search_movies to find the exact title or id"
        )
    unknown_to_model = [i for i in ids if not app.als.has_movie(i)]
    if len(unknown_to_model) == len(ids):
        raise InvalidInputError(
            "none of the liked movies has ratings, so the recommender cannot place them; add a movie people have rated"
        )
    return list(dict.fromkeys(ids))


async def _candidates(app: MovieApp, parsed: ParsedQuery | None) -> np.ndarray | None:
    """Movie ids allowed by the query's filters; None when there are no filters."""
    if parsed is None or parsed.filters.is_empty():
        return None
    clause, params = where(movie_conditions(parsed.filters))
    rows = await store.fetch_all(app.db, f"SELECT m.movie_id FROM movies m{clause}", params)
    return np.array([r[0] for r in rows], dtype=np.int64)


LIKED_STARS = 3.5  # a rating at or above this reads as "liked"; lower ones as "watched"


def _reason(evidence: list[Evidence], parsed: ParsedQuery | None) -> str:
    liked = [e for e in evidence if e.rating is None or e.rating >= LIKED_STARS]
    watched = [e for e in evidence if e not in liked]
    show = lambda items: ", ".join(  # noqa: E731
        f"{e.title} ({e.rating:g}★)" if e.rating is not None else e.title for e in items
    )
    if liked:
        text = f"Because you liked {show(liked)}."
        if watched:
            text += f" Also close to {show(watched)}, which you watched."
    elif watched:
        text = f"Close to {show(watched)}, which you watched."
    else:
        text = "Popular with people whose ratings resemble yours."
    if parsed is not None and not parsed.filters.is_empty():
        text += f" Matches your request: {', '.join(f'{k}={v}' for k, v in describe(parsed.filters).items())}."
    return text


async def _llm_rerank(
    app: MovieApp, picks: list[tuple[int, float]], rated: dict[int, float], query: str | None, n: int
) -> tuple[list[tuple[int, float]], dict[int, str], str]:
    """Let the LLM order the collaborative candidates, with a score and a reason each; only candidates count.

    Picks it invents are dropped; when it returns fewer than n, the rest follow in the model's order.
    """
    assert app.llm is not None
    ids = [mid for mid, _ in picks]
    rows = await store.fetch_all(
        app.db,
        "SELECT m.movie_id, m.overview, e.sentiment, e.target_audience, e.budget_tier, e.revenue_tier"
        f" FROM movies m LEFT JOIN enrichments e USING (movie_id) WHERE m.movie_id IN ({store.placeholders(len(ids))})",
        ids,
    )
    extra = {r["movie_id"]: r for r in rows}
    known = await store.summaries(app.db, ids + list(rated))
    ranked_ratings = sorted(rated.items(), key=lambda kv: -kv[1])
    example = lambda mid, stars: {"title": known[mid].title, "year": known[mid].year, "stars": stars}  # noqa: E731
    payload = {
        "n": n,
        "request": query or "",
        "liked": [example(m, s) for m, s in ranked_ratings if s >= 4.0 and m in known][:LLM_EXAMPLES],
        "disliked": [example(m, s) for m, s in reversed(ranked_ratings) if s <= 2.5 and m in known][:5],
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
    answer = await app.llm.complete(RERANK, payload, max_tokens=80 * n + 50)
    allowed = dict(picks)
    ordered: list[tuple[int, float]] = []
    reasons: dict[int, str] = {}
    for pick in answer.value.picks:
        if pick.movie_id in allowed and pick.movie_id not in reasons:
            ordered.append((pick.movie_id, pick.match_score))
            reasons[pick.movie_id] = pick.reason
    ordered += [(mid, score) for mid, score in picks if mid not in reasons][: max(0, n - len(ordered))]
    return ordered[:n], reasons, answer.model


async def get_movie_recommendations(
    app: MovieApp,
    user_id: int | None = None,
    liked_movies: list[int | str] | None = None,
    n: int = 10,
    engine: Engine = DEFAULT_ENGINE,
    query: str | None = None,
    progress: ProgressCallback | None = None,
) -> Recommendations:
    """Top-n movies for a known user or for a list of liked movies, never ones already rated.

    `progress(step, 4, message)` is awaited after each stage, so a client sees the LLM re-ranking coming.
    """

    async def step(done: int, message: str) -> None:
        if progress:
            await progress(done, 4, message)

    await app.ready()
    if (user_id is None) == (liked_movies is None):
        raise InvalidInputError("give exactly one of user_id (a known user) or liked_movies (ids or titles)")
    notes: list[str] = []
    parsed: ParsedQuery | None = None
    if query is not None:
        parsed, parse_notes = await understand_query(app, query)
        notes.extend(parse_notes)
    if parsed and parsed.unknown_terms:
        notes.append(f"not understood and ignored: {', '.join(parsed.unknown_terms)}")

    als = app.als
    rated: dict[int, float] = {}
    liked_ids: list[int] = []
    if user_id is not None:
        if not als.has_user(user_id):
            await store.require_user(app.db, user_id)  # the clearer error when the user does not exist at all
            raise NotFoundError(f"user {user_id} has no ratings in the trained model; rebuild with `movie-mcp build`")
        # The ratings the model was trained on (the database's, as of the build): what its evidence cites.
        rated = als.user_ratings(user_id)
    else:
        liked_ids = await _resolve_liked(app, liked_movies or [])
        rated = {i: 5.0 for i in liked_ids}

    candidates = await _candidates(app, parsed)
    if candidates is not None and candidates.size == 0:
        notes.append("no movie matches the query's filters")
    # The collaborative model behind the answer: the ensemble (default, and the LLM's candidates) or ALS.
    ensemble = app.ensemble
    model: AlsRecommender | EnsembleRecommender = als
    base_engine = ALS_ENGINE
    if engine in (ENSEMBLE_ENGINE, "llm"):
        if ensemble is not None:
            model, base_engine = ensemble, ENSEMBLE_ENGINE
        else:
            notes.append(
                "this database predates the current EASE + ALS ensemble; answered with ALS (run `movie-mcp build`"
                " to update it: the catalogue, embeddings and enrichments are reused)"
            )
    use_hybrid = engine == "hybrid"
    use_llm = engine == "llm" and app.llm is not None
    if engine == "llm" and app.llm is None:
        notes.append(f"no LLM endpoint is configured (OPENAI_BASE_URL / OPENAI_API_KEY); answered with {base_engine}")
    if use_hybrid and not (parsed and (parsed.remaining_text or query)):
        notes.append("hybrid needs a query to blend with; answered with ALS alone")
        use_hybrid = False

    pool = max(n, HYBRID_POOL) if use_hybrid else max(n, LLM_POOL) if use_llm else n

    def recommend() -> list[tuple[int, float]]:
        if candidates is not None and candidates.size == 0:
            return []
        if user_id is not None:
            return model.recommend_for_user(user_id, pool, candidates)
        return model.recommend_from_liked(rated, pool, candidates)

    def explain(picks: list[tuple[int, float]]) -> list[list[tuple[int, float]]]:
        movie_ids = [mid for mid, _ in picks]
        if user_id is not None:
            return model.explain_many_for_user(user_id, movie_ids, top=3)
        return model.explain_many_from_liked(rated, movie_ids, top=3)

    # The picks are final unless the hybrid or the LLM reorders them: then they are explained in the
    # same worker-thread hand-off (each hand-off costs a few tenths of a millisecond).
    final = not (use_hybrid or use_llm)

    def recommend_and_explain() -> tuple[list[tuple[int, float]], list[list[tuple[int, float]]] | None]:
        found = recommend()
        return found, explain(found[:n]) if final else None

    picks, explanations = await anyio.to_thread.run_sync(recommend_and_explain)

    await step(1, f"{len(picks)} candidates from collaborative filtering ({base_engine})")
    used_engine = base_engine
    if use_hybrid and picks and parsed is not None:
        vector = await embed_query(app, parsed.remaining_text or query or "")
        similarity = await similarity_to(app, vector, [mid for mid, _ in picks])
        scores = np.array([s for _, s in picks])
        spread = float(scores.max() - scores.min()) or 1.0
        blended = [
            (
                mid,
                (1 - HYBRID_SEMANTIC_WEIGHT) * (s - scores.min()) / spread
                + HYBRID_SEMANTIC_WEIGHT * similarity.get(mid, 0.0),
            )
            for mid, s in picks
        ]
        picks = sorted(blended, key=lambda p: -p[1])[:n]
        used_engine = HYBRID_ENGINE
    llm_reasons: dict[int, str] = {}
    llm_model: str | None = None
    if use_llm and picks:
        await step(2, f"asking the LLM to re-rank {len(picks)} candidates")
        try:
            picks, llm_reasons, llm_model = await _llm_rerank(app, picks, rated, query, n)
            used_engine = LLM_ENGINE
        except LLMError as exc:
            notes.append(f"LLM re-ranking failed ({exc}); answered with {base_engine}")
    picks = picks[:n]
    await step(3, f"explaining {len(picks)} picks")
    if explanations is None:
        explanations = await anyio.to_thread.run_sync(explain, picks)
    # Summaries only for what is shown: the picks, their evidence and the liked seeds (not the whole history).
    shown = {mid for mid, _ in picks} | {mid for pairs in explanations for mid, _ in pairs} | set(liked_ids)
    summaries = await store.summaries(app.db, list(shown))
    recommendations: list[Recommendation] = []
    for (movie_id, score), contributions in zip(picks, explanations, strict=True):
        if movie_id not in summaries:
            continue
        total = sum(abs(c) for _, c in contributions) or 1.0
        evidence = [
            Evidence(movie_id=mid, title=summaries[mid].title, rating=rated.get(mid), contribution=round(c / total, 3))
            for mid, c in contributions
            if mid in summaries and c > 0
        ]
        recommendations.append(
            Recommendation(
                **summaries[movie_id].model_dump(),
                score=round(float(score), 4),
                because=evidence,
                reason=llm_reasons.get(movie_id) or _reason(evidence, parsed),
            )
        )
    applied = (
        AppliedFilters(
            query=query or "",
            filters=describe(parsed.filters),
            unknown_terms=parsed.unknown_terms,
            parser=parsed.engine,
        )
        if parsed is not None
        else None
    )
    liked_summaries: list[MovieSummary] = [summaries[i] for i in liked_ids if i in summaries]
    await step(4, f"{len(recommendations)} recommendations ({used_engine})")
    return Recommendations(
        user_id=user_id,
        liked_movies=liked_summaries,
        engine_requested=engine,
        engine=used_engine,
        model=llm_model,
        query=applied,
        notes=notes,
        recommendations=recommendations,
    )
