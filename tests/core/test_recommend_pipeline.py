"""The recommendation pipeline stage by stage (seeds, request, candidates, rank, re-rank, explain, present),
on the synthetic database (tests/synthetic.py) where a stage needs one, and with small stand-ins where the
stage's decision is the point."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from core.data import store
from core.data.store import runtime as runtime_store
from core.data.store.recommendations import movie_ids_matching, rerank_details
from core.errors import InvalidInputError, NotFoundError, NotReadyError
from core.llm.engine import OfflineEngine, OpenAIEngine
from core.llm.errors import LLMUnavailable
from core.models import registry
from core.runtime import MovieApp
from core.schemas import Evidence, MovieSummary
from core.search.filters import make_filters
from core.search.query_parser import ParsedQuery
from core.services.recommend import get_movie_recommendations
from core.services.recommend.candidates import allowed_movies
from core.services.recommend.explain import contributions, evidence, reason
from core.services.recommend.present import applied_filters, recommendations
from core.services.recommend.rank import choose_model, rank, top_picks
from core.services.recommend.request import Request, parse_request
from core.services.recommend.rerank import (
    blend_with_similarity,
    choose_rerank,
    llm_rerank,
    pool_size,
    rerank,
)
from core.services.recommend.seeds import Seeds, require_one_seed, resolve_liked, resolve_seeds
from tests.synthetic import ROMANCE_IDS, SPACE_FANS, SPACE_IDS, UNRATED_MOVIE_ID

ENSEMBLE, ALS = registry.ENSEMBLE_ENGINE.name, registry.ALS_ENGINE.name
COMEDY = Request("comedies", ParsedQuery(filters=make_filters(genres=["Comedy"])), [], make_filters(genres=["Comedy"]))


@pytest.fixture
async def app(movie_app: MovieApp) -> AsyncIterator[MovieApp]:
    await movie_app.ready()
    yield movie_app
    movie_app.engine = OfflineEngine()  # a test's scripted LLM must not be closed as a real client


@dataclass
class Models:
    """A stand-in app holding only some models (and maybe an LLM)."""

    models: dict[str, Any]
    engine: Any = field(default_factory=OfflineEngine)

    def top_n_model(self, name: str) -> Any:
        return self.models.get(name)


@dataclass
class ScriptedLLM:
    """An LLM client that answers a re-ranking with the given picks, or fails; records what it was shown."""

    model = "scripted-model"
    picks: list[tuple[int, float, str]] = field(default_factory=list)
    fail: bool = False
    payloads: list[dict[str, Any]] = field(default_factory=list)

    async def complete(self, task: object, payload: dict[str, Any], max_tokens: int | None = None) -> Any:
        self.payloads.append(payload)
        if self.fail:
            raise LLMUnavailable("endpoint down")
        picks = [SimpleNamespace(movie_id=m, match_score=s, reason=r) for m, s, r in self.picks]
        return SimpleNamespace(value=SimpleNamespace(picks=picks), model="scripted-model")


def user_seeds(app: MovieApp, user_id: int) -> Seeds:
    return Seeds(user_id, app.top_n_model(ENSEMBLE).user_ratings(user_id))  # type: ignore[union-attr]


# --- seeds -----------------------------------------------------------------------------------------


def test_exactly_one_seed_is_required() -> None:
    for user_id, liked in ((None, None), (1, [1])):
        with pytest.raises(InvalidInputError, match="exactly one"):
            require_one_seed(user_id, liked)
    require_one_seed(1, None)
    require_one_seed(None, [1])


async def test_a_known_user_is_seeded_with_the_ratings_the_model_was_trained_on(app: MovieApp) -> None:
    model = app.top_n_model(ENSEMBLE)
    seeds = await resolve_seeds(app, model, SPACE_FANS[0], None)
    assert seeds.user_id == SPACE_FANS[0] and seeds.liked_ids == []
    assert seeds.rated == model.user_ratings(SPACE_FANS[0]) and seeds.rated
    with pytest.raises(NotFoundError, match="user 4242 does not exist"):
        await resolve_seeds(app, model, 4242, None)


async def test_liked_movies_resolve_from_ids_and_titles_once_each(app: MovieApp) -> None:
    model = app.top_n_model(ENSEMBLE)
    assert await resolve_liked(app, model, ["Amélie's Summer", 102, "102", 101]) == [101, 102]
    seeds = await resolve_seeds(app, model, None, [102, "Amélie's Summer"])
    assert seeds.liked_ids == [102, 101] and seeds.rated == {102: 5.0, 101: 5.0} and seeds.user_id is None


async def test_liked_movies_are_validated(app: MovieApp) -> None:
    model = app.top_n_model(ENSEMBLE)
    with pytest.raises(InvalidInputError, match="empty"):
        await resolve_liked(app, model, [])
    with pytest.raises(InvalidInputError, match="at most 50"):
        await resolve_liked(app, model, list(range(1, 52)))
    with pytest.raises(NotFoundError, match="'qwertyuiop'"):
        await resolve_liked(app, model, [1, "qwertyuiop"])
    with pytest.raises(InvalidInputError, match="has ratings"):
        await resolve_liked(app, model, [UNRATED_MOVIE_ID])


# --- request and candidates ------------------------------------------------------------------------


async def test_the_request_is_parsed_with_notes_on_unknown_words(app: MovieApp) -> None:
    assert await parse_request(app, None) == Request()
    request = await parse_request(app, "comedies zorblax")
    assert request.has_filters and request.parsed is not None and request.parsed.filters.genres == ["Comedy"]
    assert request.notes == ["not understood and ignored: zorblax"]
    assert not Request().has_filters and Request().meaning == ""
    assert Request("about robots", ParsedQuery(remaining_text="robots")).meaning == "robots"
    assert Request("comedies", ParsedQuery()).meaning == "comedies"  # everything became a filter


async def test_candidates_are_the_movies_the_filters_allow(app: MovieApp) -> None:
    assert await allowed_movies(app, Request()) == (None, [])
    allowed, notes = await allowed_movies(app, COMEDY)
    assert allowed is not None and notes == [] and allowed.size
    genres = await store.genres_of(app.db, allowed.tolist())
    assert all("Comedy" in g for g in genres.values())
    horror = make_filters(genres=["Horror"])
    nothing = Request("horror", ParsedQuery(filters=horror), [], horror)
    allowed, notes = await allowed_movies(app, nothing)
    assert allowed is not None and allowed.size == 0 and notes == ["no movie matches the filters"]


async def test_the_store_answers_the_pipelines_queries(app: MovieApp) -> None:
    comedies = await movie_ids_matching(app.db, make_filters(genres=["Comedy"]))
    assert set(comedies) == {m for i, m in enumerate(ROMANCE_IDS) if i % 2 == 0}
    details = await rerank_details(app.db, [1, 101, 987654])
    assert set(details) == {1, 101} and details[1]["overview"].startswith("Astronauts")
    assert {"sentiment", "target_audience", "budget_tier", "revenue_tier"} <= set(details[1].keys())
    assert await rerank_details(app.db, []) == {}
    assert await runtime_store.user_id_range(app.db) == (1, 24)
    assert set(await runtime_store.model_blobs(app.db)) == {s.blob for s in registry.MODELS}
    assert (await runtime_store.read_meta(app.db))["source"] == "synthetic"


# --- rank ------------------------------------------------------------------------------------------


def test_the_engine_chooses_its_model_and_falls_back_with_a_note() -> None:
    ensemble, als = object(), object()
    full = Models({ENSEMBLE: ensemble, ALS: als})
    assert choose_model(full, ENSEMBLE)[1:] == (ensemble, [])  # type: ignore[arg-type]
    assert choose_model(full, "llm")[0].name == ENSEMBLE and choose_model(full, "hybrid")[1] is als  # type: ignore[arg-type]
    served, model, notes = choose_model(Models({ALS: als}), ENSEMBLE)  # type: ignore[arg-type]
    assert served.name == ALS and model is als and notes == [registry.ENSEMBLE_ENGINE.missing_note]
    with pytest.raises(NotReadyError, match="no ALS model"):
        choose_model(Models({}), ENSEMBLE)  # type: ignore[arg-type]


async def test_ranking_skips_rated_movies_keeps_to_candidates_and_explains_final_picks(app: MovieApp) -> None:
    model = app.top_n_model(ENSEMBLE)
    seeds = user_seeds(app, SPACE_FANS[0])
    ranked = await rank(model, seeds, None, 5, 3, final=True)
    ids = [m for m, _ in ranked.picks]
    assert ids and not set(ids) & set(seeds.rated) and ids[0] in SPACE_IDS
    assert ranked.explanations is not None and len(ranked.explanations) == min(3, len(ids))
    assert (await rank(model, seeds, None, 5, 3, final=False)).explanations is None
    allowed = np.array(ROMANCE_IDS[:6])
    assert {m for m, _ in top_picks(model, seeds, allowed, 10)} <= set(ROMANCE_IDS[:6])
    assert top_picks(model, seeds, np.array([], dtype=np.int64), 10) == []
    liked = Seeds(None, {105: 5.0, 106: 5.0}, [105, 106])  # rated by romance fans only
    assert top_picks(model, liked, None, 1)[0][0] in ROMANCE_IDS


# --- re-rank ---------------------------------------------------------------------------------------


async def test_only_the_cheap_als_rank_skips_the_worker_thread(app: MovieApp, monkeypatch: pytest.MonkeyPatch) -> None:
    rank_module = importlib.import_module("core.services.recommend.rank")
    handed_off: list[str] = []
    real_run_sync = rank_module.anyio.to_thread.run_sync

    async def counting_run_sync(fn: Any, *args: Any, **kwargs: Any) -> Any:
        handed_off.append(getattr(fn, "__name__", "?"))
        return await real_run_sync(fn, *args, **kwargs)

    monkeypatch.setattr(rank_module.anyio.to_thread, "run_sync", counting_run_sync)
    assert registry.ALS_ENGINE.ranks_inline and not registry.ENSEMBLE_ENGINE.ranks_inline
    als = await get_movie_recommendations(app, user_id=SPACE_FANS[0], engine=ALS, n=5)
    assert als.recommendations and "rank_and_explain" not in handed_off
    default = await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=5)
    assert default.recommendations and handed_off.count("rank_and_explain") == 1


def test_a_request_mode_applies_only_when_it_can() -> None:
    als_engine, ensemble_engine = registry.ALS_ENGINE, registry.ENSEMBLE_ENGINE
    no_llm, with_llm = Models({}), Models({}, engine=OpenAIEngine(ScriptedLLM()))  # type: ignore[arg-type]
    assert choose_rerank(no_llm, ENSEMBLE, ensemble_engine, COMEDY) == (None, [])  # type: ignore[arg-type]
    mode, notes = choose_rerank(no_llm, "llm", ensemble_engine, Request())  # type: ignore[arg-type]
    assert mode is None and notes == [
        "no LLM endpoint is configured (OPENAI_BASE_URL / OPENAI_API_KEY); answered with ease-als-ensemble"
    ]
    assert choose_rerank(with_llm, "llm", ensemble_engine, Request()) == (registry.LLM_MODE, [])  # type: ignore[arg-type]
    mode, notes = choose_rerank(no_llm, "hybrid", als_engine, Request())  # type: ignore[arg-type]
    assert mode is None and notes == ["hybrid needs a query to blend with; answered with ALS alone"]
    assert choose_rerank(no_llm, "hybrid", als_engine, COMEDY) == (registry.HYBRID_MODE, [])  # type: ignore[arg-type]
    assert pool_size(5, None) == 5 and pool_size(5, registry.LLM_MODE) == registry.LLM_POOL
    assert pool_size(200, registry.HYBRID_MODE) == 200


def test_the_semantic_blend_weighs_taste_and_meaning_equally() -> None:
    picks = [(1, 3.0), (2, 2.0), (3, 1.0)]
    # Scaled taste 1, 0.5, 0; similarity 0, 0.9, 0.2: movie 2 wins (0.7), then 1 (0.5), then 3 (0.1).
    assert [m for m, _ in blend_with_similarity(picks, {2: 0.9, 3: 0.2}, 3)] == [2, 1, 3]
    assert blend_with_similarity(picks, {2: 0.9, 3: 0.2}, 1) == [(2, pytest.approx(0.7))]
    assert [m for m, _ in blend_with_similarity([(5, 1.0), (6, 1.0)], {6: 0.1}, 2)] == [6, 5]  # equal scores


async def test_the_llm_orders_only_real_candidates_and_the_rest_follow(app: MovieApp) -> None:
    picks = [(3, 0.9), (5, 0.8), (7, 0.7), (9, 0.6)]
    llm = ScriptedLLM([(7, 0.95, "fits"), (999, 0.9, "invented"), (7, 0.1, "again"), (3, 0.5, "ok")])
    app.engine = OpenAIEngine(llm)  # type: ignore[arg-type]
    ordered, reasons, model, failure = await llm_rerank(app, picks, {1: 5.0, 101: 1.5}, "space", 3)
    assert ordered == [(7, 0.95), (3, 0.5), (5, 0.8)] and reasons == {7: "fits", 3: "ok"} and model == "scripted-model"
    assert failure is None
    payload = llm.payloads[0]
    assert payload["n"] == 3 and payload["request"] == "space"
    assert [c["movie_id"] for c in payload["candidates"]] == [3, 5, 7, 9]
    assert [e["stars"] for e in payload["liked"]] == [5.0] and [e["stars"] for e in payload["disliked"]] == [1.5]


async def test_the_llm_sees_the_best_and_worst_of_a_long_history(app: MovieApp) -> None:
    rated = {m: 5.0 - 0.1 * i for i, m in enumerate(SPACE_IDS)} | {m: 1.0 for m in ROMANCE_IDS}
    llm = ScriptedLLM([])
    app.engine = OpenAIEngine(llm)  # type: ignore[arg-type]
    await llm_rerank(app, [(3, 0.9)], rated, None, 1)
    payload = llm.payloads[0]
    assert [e["stars"] for e in payload["liked"]] == [pytest.approx(5.0 - 0.1 * i) for i in range(10)]
    assert [e["stars"] for e in payload["disliked"]] == [1.0] * 5


async def test_a_failed_llm_keeps_the_engines_order_and_says_so(app: MovieApp) -> None:
    steps: list[tuple[int, str]] = []

    async def step(done: int, message: str) -> None:
        steps.append((done, message))

    app.engine = OpenAIEngine(ScriptedLLM(fail=True))  # type: ignore[arg-type]
    picks = [(3, 0.9), (5, 0.8)]
    result = await rerank(app, registry.LLM_MODE, picks, {}, Request(), 2, ENSEMBLE, step)
    assert result.picks == picks and result.engine == ENSEMBLE and result.llm_model is None
    assert result.notes == ["LLM re-ranking failed (endpoint down); answered with ease-als-ensemble"]
    assert steps == [(2, "asking the LLM to re-rank 2 candidates")]
    kept = await rerank(app, None, picks, {}, Request(), 2, ALS, step)
    assert kept.picks == picks and kept.engine == ALS and len(steps) == 1


# --- explain and present ---------------------------------------------------------------------------


def _evidence(title: str, rating: float | None) -> Evidence:
    return Evidence(movie_id=1, title=title, rating=rating, contribution=0.5)


def test_the_reason_names_liked_then_watched_movies_then_the_filters() -> None:
    liked, watched = _evidence("Alien", 5.0), _evidence("Notting Hill", 2.0)
    assert reason([liked], Request()) == "Because you liked Alien (5★)."
    assert reason([liked, watched], Request()) == (
        "Because you liked Alien (5★). Also close to Notting Hill (2★), which you watched."
    )
    assert reason([watched], Request()) == "Close to Notting Hill (2★), which you watched."
    assert reason([_evidence("Heat", None)], Request()) == "Because you liked Heat."  # a liked seed has no stars
    assert reason([], COMEDY) == (
        "Popular with people whose ratings resemble yours. Matches your request: genres=['Comedy']."
    )


def test_evidence_keeps_positive_known_contributions_as_shares() -> None:
    summaries = {m: MovieSummary(movie_id=m, title=f"M{m}", genres=[]) for m in (1, 2, 3)}
    got = evidence([(1, 3.0), (2, 1.0), (3, -1.0), (4, 2.0)], summaries, {1: 4.5})
    assert [(e.movie_id, e.rating, e.contribution) for e in got] == [(1, 4.5, 0.429), (2, None, 0.143)]
    assert evidence([], summaries, {}) == []


async def test_explanations_cite_the_seeds(app: MovieApp) -> None:
    model = app.top_n_model(ENSEMBLE)
    seeds = user_seeds(app, SPACE_FANS[1])
    picks = top_picks(model, seeds, None, 3)
    for parts in contributions(model, seeds, picks):
        assert parts and {m for m, _ in parts} <= set(seeds.rated)
    liked = Seeds(None, {101: 5.0}, [101])
    for parts in contributions(model, liked, top_picks(model, liked, None, 2)):
        assert {m for m, _ in parts} <= {101}


def test_present_skips_movies_the_catalogue_lacks_and_reports_the_query() -> None:
    summaries = {5: MovieSummary(movie_id=5, title="Five", genres=["Drama"])}
    seeds = Seeds(None, {5: 5.0}, [5])
    out = recommendations([(5, 0.123456), (6, 0.1)], [[(5, 1.0)], []], summaries, seeds, Request(), {5: "LLM says"})
    assert [(r.movie_id, r.score, r.reason) for r in out] == [(5, 0.1235, "LLM says")]
    assert applied_filters(Request()) is None
    applied = applied_filters(COMEDY)
    assert applied is not None and applied.filters == {"genres": ["Comedy"]} and applied.query == "comedies"


# --- the whole pipeline ----------------------------------------------------------------------------


async def test_the_pipeline_reports_progress_stage_by_stage(app: MovieApp) -> None:
    seen: list[tuple[float, float, str]] = []

    async def progress(done: float, total: float, message: str) -> None:
        seen.append((done, total, message))

    result = await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=3, progress=progress)
    assert result.engine == result.engine_requested == ENSEMBLE and len(result.recommendations) == 3
    assert seen == [
        (1, 4, "3 candidates from collaborative filtering (ease-als-ensemble)"),
        (3, 4, "explaining 3 picks"),
        (4, 4, "3 recommendations (ease-als-ensemble)"),
    ]
    hybrid = await get_movie_recommendations(app, user_id=SPACE_FANS[0], n=2, engine="hybrid", query="robots")
    assert hybrid.engine == registry.HYBRID_MODE.reports_as and len(hybrid.recommendations) == 2
