"""Plot search's learned last ordering (`core.search.learned_rank`) and its fitting (`core.evaluation.fit_ranker`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.evaluation import fit_ranker
from core.evaluation.fit_ranker import RankingCase
from core.runtime import MovieApp
from core.search import hybrid
from core.search.filters import MovieFilters
from core.search.learned_rank import FEATURES, RANK_DAMPING, WEIGHTS, Candidates, feature_matrix, learned_order
from core.search.semantic import cosine_to, embed_query
from core.services.semantic_search import plot_search
from server import cli


def _candidates(**overrides: object) -> Candidates:
    given: dict[str, object] = {
        "fused": [(1, 0.09), (2, 0.05), (3, 0.02)],
        "lists": {"dense": [1, 3], "lexical": [2, 1]},
        "bm25": {2: 8.0, 1: 2.0},
        "plot_similarity": {1: 0.5, 2: 0.3, 3: 0.45},
        "overview_similarity": {1: 0.4, 2: 0.3, 3: 0.45},
        "fame": {1: 100.0, 2: 0.0, 3: 10.0},
    }
    return Candidates(**(given | overrides))  # type: ignore[arg-type]


def _column(matrix: np.ndarray, name: str) -> list[float]:
    return matrix[:, FEATURES.index(name)].tolist()


def test_the_features_hold_each_retrievers_rank_and_the_magnitudes_fusion_drops() -> None:
    matrix = feature_matrix(_candidates(of_kind=np.array([3, 99])))
    assert matrix.shape == (3, len(FEATURES)) and len(WEIGHTS) == len(FEATURES)
    first, second = RANK_DAMPING / (RANK_DAMPING + 1), RANK_DAMPING / (RANK_DAMPING + 2)
    assert _column(matrix, "dense_rank") == pytest.approx([first, 0.0, second])
    assert _column(matrix, "lexical_rank") == pytest.approx([second, first, 0.0])
    assert _column(matrix, "kind_dense_rank") == [0.0, 0.0, 0.0]  # the query named no kind's lists
    assert _column(matrix, "plot_similarity") == pytest.approx([0.5, 0.3, 0.45])
    assert _column(matrix, "overview_similarity") == pytest.approx([0.4, 0.3, 0.45])
    assert _column(matrix, "bm25_share") == pytest.approx([0.25, 1.0, 0.0])
    assert _column(matrix, "log_fame") == pytest.approx([math.log(101), 0.0, math.log(11)])
    assert _column(matrix, "log_fused") == pytest.approx([math.log(0.09), math.log(0.05), math.log(0.02)])
    assert _column(matrix, "of_named_kind") == [0.0, 0.0, 1.0]
    assert _column(feature_matrix(_candidates()), "of_named_kind") == [0.0, 0.0, 0.0]  # no kind named


def test_zero_weights_keep_the_fused_order_and_an_empty_pool_ranks_nothing() -> None:
    assert [mid for mid, _ in learned_order(_candidates(), np.zeros(len(FEATURES)))] == [1, 2, 3]
    assert learned_order(_candidates(fused=[]), WEIGHTS) == []


def test_the_fitted_weights_put_a_far_better_plot_match_above_a_slightly_higher_fused_score() -> None:
    # Film 2 came first in the fusion by one rank, but film 1's plot matches far better and BM25 scored it higher.
    pool = _candidates(
        fused=[(2, 0.050), (1, 0.048)],
        lists={"dense": [2, 1], "lexical": [1]},
        bm25={1: 9.0},
        plot_similarity={1: 0.62, 2: 0.31},
        overview_similarity={1: 0.60, 2: 0.31},
        fame={1: 50.0, 2: 50.0},
    )
    assert [mid for mid, _ in learned_order(pool)] == [1, 2]
    assert [mid for mid, _ in learned_order(pool, np.zeros(len(FEATURES)))] == [2, 1]


def _case(split: str, rng: np.random.Generator) -> RankingCase:
    """Ten candidates in a random fused order; the right one is the one with the largest first feature."""
    features = rng.normal(size=(10, 3))
    right = features[:, 0] == features[:, 0].max()
    features[right, 0] += 1.0  # a clear margin: the other features are noise
    ids = list(range(10))
    return RankingCase(split, ids, features, right, frozenset(np.flatnonzero(right).tolist()), ids)


def test_fitting_learns_which_feature_marks_the_right_film_and_orders_held_out_cases_by_it() -> None:
    rng = np.random.default_rng(7)
    train = [_case("a", rng) for _ in range(60)]
    held = [_case("b", rng) for _ in range(30)]
    weights = fit_ranker.fit(train, l2=0.1)
    assert weights[0] > 5 * max(abs(weights[1]), abs(weights[2]))
    assert fit_ranker.scores(held, [fit_ranker.ranked(case, weights) for case in held]) == (30, 30.0)
    _, fused_mrr = fit_ranker.scores(held, [fit_ranker.ranked(case, None) for case in held])
    assert fused_mrr < 30.0  # the fused (random) order is worse: the fit is what ranks them first


def test_the_weights_work_on_raw_features_whatever_their_scale_and_offset() -> None:
    # The fit standardises the features and folds that back into the weights: served scores use raw features.
    rng = np.random.default_rng(11)
    train, held = [_case("a", rng) for _ in range(60)], [_case("b", rng) for _ in range(30)]
    scale, offset = np.array([40.0, 0.01, 3.0]), np.array([-7.0, 2.0, 100.0])

    def rescaled(cases: list[RankingCase]) -> list[RankingCase]:
        return [RankingCase(c.split, c.ids, c.features * scale + offset, c.right, c.relevant, c.served) for c in cases]

    weights = fit_ranker.fit(rescaled(train), l2=0.1)
    assert fit_ranker.scores(held, [fit_ranker.ranked(case, weights) for case in rescaled(held)]) == (30, 30.0)
    assert np.allclose(weights * scale, fit_ranker.fit(train, l2=0.1), rtol=1e-3, atol=1e-3)


def test_scores_count_a_right_film_that_is_no_candidate() -> None:
    # An original moved up by `originals_first` may be served without being one of the fused candidates.
    case = RankingCase("a", [5, 6], np.zeros((2, 1)), np.array([False, False]), frozenset({9}), [9, 5, 6])
    assert fit_ranker.scores([case], [case.served]) == (1, 1.0)
    assert fit_ranker.scores([case], [case.ids]) == (0, 0.0)


def test_the_test_split_is_never_fitted_on(capsys: pytest.CaptureFixture[str]) -> None:
    refused = cli.main(["--db", "unused.db", "fit-ranker", "--splits", "dev,test"])
    assert refused == 2 and "never fitted on" in capsys.readouterr().err


async def test_a_search_keeps_every_fused_candidate_and_serves_them_in_learned_order(movie_app: MovieApp) -> None:
    search = await plot_search(movie_app, "two people meet, fall in love and get married", 5, MovieFilters())
    pool = search.found.pool
    assert pool is not None and len(pool.fused) > 5
    assert feature_matrix(pool).shape == (len(pool.fused), len(FEATURES))
    learned = [mid for mid, _ in learned_order(pool)]
    served = [mid for mid, _ in search.found.hits]
    # No clear winner by cosine and no franchise here, so nothing moves the learned order's top 5.
    assert served == learned[:5]
    assert served != [mid for mid, _ in pool.fused[:5]]  # ... which is not the fused order


async def test_without_passages_the_vector_lists_cosines_are_reused_not_read_again(
    movie_app: MovieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    vector = await embed_query(movie_app, "two people meet, fall in love and get married")
    dense = await hybrid.dense_candidates(movie_app, vector, 3, MovieFilters())
    everyone = [mid for mid, _ in dense] + [987654321]
    read: list[int] = []

    async def recorded_cosine_to(app: MovieApp, query: bytes, movie_ids: list[int]) -> dict[int, float]:
        read.extend(movie_ids)
        return await cosine_to(app, query, movie_ids)

    async def no_passages(app: MovieApp) -> bool:
        return False

    monkeypatch.setattr(hybrid, "cosine_to", recorded_cosine_to)
    monkeypatch.setattr(hybrid, "_has_passages", no_passages)
    overview, plot = await hybrid._plot_similarities(movie_app, vector, everyone, dict(dense[:2]))
    assert read == [mid for mid, _ in dense[2:]] + [987654321]  # only what the lists did not score
    assert overview == plot and set(overview) == {mid for mid, _ in dense}  # no vector, no entry
    assert overview == pytest.approx(await cosine_to(movie_app, vector, [mid for mid, _ in dense]), abs=1e-5)
