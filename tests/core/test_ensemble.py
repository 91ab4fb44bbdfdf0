"""The default recommender: the blend formula by hand, and the EASE + ALS ensemble on two taste blocks."""

from __future__ import annotations

import numpy as np
import pytest

from core.models.als import AlsParams, AlsRecommender
from core.models.ease import EaseParams, EaseRecommender
from core.models.ensemble import (
    EnsembleParams,
    EnsembleRecommender,
    blend_scores,
    popularity_factor,
    scale_from_top_scores,
)
from tests.core.test_ease import BLOCK_A, BLOCK_B, checkerboard


def test_blend_formula_by_hand() -> None:
    ease = np.array([2.0, 1.0, -1.0, -np.inf])
    als = np.array([0.5, 1.0, 0.5, 3.0])
    counts = np.array([100, 1, 4, 9])
    params = EnsembleParams(ease_weight=0.75, popularity_exponent=0.5)
    got = blend_scores(ease, als, counts, params, ease_scale=2.0, als_scale=0.5)
    s = 0.75 * ease[:3] / 2.0 + 0.25 * als[:3] / 0.5  # [1.0, 0.875, 0.125]
    factor = np.array([100, 1, 4]) ** -0.5
    expected = np.where(s > 0, s * factor, s / factor)
    np.testing.assert_allclose(got[:3], expected)
    assert got[3] == -np.inf  # not modelled by EASE: never ranked
    # β = 0 and w = 1 leave EASE's own scale-free scores.
    plain = blend_scores(ease, als, counts, EnsembleParams(1.0, 0.0), 2.0, 0.5)
    np.testing.assert_allclose(plain[:3], ease[:3] / 2.0)


def test_negative_blends_are_pushed_down_for_popular_movies() -> None:
    got = blend_scores(np.array([-1.0, -1.0]), np.zeros(2), np.array([1, 100]), EnsembleParams(1.0, 0.5), 1.0, 1.0)
    assert got[1] < got[0] < 0  # dividing a negative score by pop^-β makes it more negative


def test_scales_and_popularity_factor() -> None:
    assert scale_from_top_scores(np.array([1.0, 3.0, np.nan, -np.inf])) == pytest.approx(2.0)
    assert scale_from_top_scores(np.array([np.nan])) == 1.0
    np.testing.assert_allclose(popularity_factor(np.array([0, 1, 16]), 0.25), [1.0, 1.0, 0.5])
    with pytest.raises(ValueError):
        EnsembleParams(ease_weight=1.5)
    with pytest.raises(ValueError):
        EnsembleParams(popularity_exponent=-0.1)


@pytest.fixture(scope="module")
def ensemble() -> EnsembleRecommender:
    triples = checkerboard()
    ease = EaseRecommender.train(*triples, EaseParams(l2=5.0, binary=True, min_item_ratings=1))
    als = AlsRecommender.train(*triples, AlsParams(factors=4, regularization=0.5, iterations=15))
    return EnsembleRecommender.calibrate(ease, als, EnsembleParams(ease_weight=0.6, popularity_exponent=0.1))


def test_known_users_get_their_own_block_never_a_rated_movie(ensemble: EnsembleRecommender) -> None:
    users, movies, _ = checkerboard()
    for user in (2, 30):
        rated = set(movies[users == user].tolist())
        own = set(BLOCK_A if user <= 20 else BLOCK_B)
        picks = ensemble.recommend_for_user(user, 3)
        assert len(picks) == 3 and {m for m, _ in picks} <= own - rated
        assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)
    assert ensemble.recommend_for_user(999, 3) == []


def test_scores_are_the_blend_of_the_components(ensemble: EnsembleRecommender) -> None:
    ease_scores, _ = ensemble.ease.user_scores(4)  # type: ignore[misc]
    als_picks = dict(ensemble.als.recommend_for_user(4, ensemble.als.n_items))
    counts = ensemble.ease.item_counts
    for movie_id, score in ensemble.recommend_for_user(4, 3):
        i = ensemble.ease.movie_index.index_of(movie_id)
        expected = blend_scores(
            np.array([ease_scores[i]]), np.array([als_picks[movie_id]]), counts[[i]], ensemble.params, *ensemble.scales
        )[0]
        assert score == pytest.approx(expected, rel=1e-6)


def test_cold_start_and_candidates(ensemble: EnsembleRecommender) -> None:
    picks = ensemble.recommend_from_liked([101, 102, 103], 4)
    assert len(picks) == 4 and {m for m, _ in picks} <= set(BLOCK_B) - {101, 102, 103}
    only = ensemble.recommend_from_liked([101, 102], 5, candidate_movie_ids=np.array([104, 105, 1]))
    assert {m for m, _ in only} == {104, 105, 1} and only[0][0] in {104, 105}
    assert ensemble.recommend_from_liked([424242], 3) == []


def _parts(model: EnsembleRecommender, user_id: int, movie_id: int) -> tuple[float, float]:
    """(w·ease/S_ease, (1 − w)·als/S_als) of one movie for a known user, computed from the components."""
    ease_scores, _ = model.ease.user_scores(user_id)  # type: ignore[misc]
    als_scores = dict(model.als.recommend_for_user(user_id, model.als.n_items))
    w = model.params.ease_weight
    i = model.ease.movie_index.index_of(movie_id)
    return w * ease_scores[i] / model.ease_scale, (1 - w) * als_scores[movie_id] / model.als_scale


def test_evidence_comes_from_the_component_that_dominates_the_pick(ensemble: EnsembleRecommender) -> None:
    users, movies, _ = checkerboard()
    rated = set(movies[users == 5].tolist())
    for pick, _ in ensemble.recommend_for_user(5, 3):
        evidence = ensemble.explain_for_user(5, pick, top=3)
        assert evidence and {m for m, _ in evidence} <= rated and all(v > 0 for _, v in evidence)
        ease_part, als_part = _parts(ensemble, 5, pick)
        dominant = ensemble.ease if ease_part >= als_part else ensemble.als
        assert evidence == dominant.explain_for_user(5, pick, top=3)
    # With almost all the weight on ALS, ALS explains; with all of it on EASE, EASE does.
    for w, component in ((0.02, ensemble.als), (1.0, ensemble.ease)):
        skewed = EnsembleRecommender(ensemble.ease, ensemble.als, EnsembleParams(w, 0.0), *ensemble.scales)
        pick = skewed.recommend_for_user(5, 1)[0][0]
        assert skewed.explain_for_user(5, pick, top=3) == component.explain_for_user(5, pick, top=3)
        # Explaining without a prior recommendation rescoring gives the same answer.
        fresh = EnsembleRecommender(ensemble.ease, ensemble.als, EnsembleParams(w, 0.0), *ensemble.scales)
        assert fresh.explain_for_user(5, pick, top=3) == component.explain_for_user(5, pick, top=3)
    liked = ensemble.explain_from_liked([101, 102], 103, top=2)
    assert liked and {m for m, _ in liked} <= {101, 102}
    assert ensemble.explain_for_user(999, 1) == []


def _same_evidence(many: list[list[tuple[int, float]]], single: list[list[tuple[int, float]]]) -> None:
    assert [[m for m, _ in p] for p in many] == [[m for m, _ in p] for p in single]
    for a, b in zip(many, single, strict=True):
        np.testing.assert_allclose([v for _, v in a], [v for _, v in b], rtol=1e-9)


def test_explaining_many_picks_equals_explaining_each(ensemble: EnsembleRecommender) -> None:
    # Batching groups the picks by dominant component; every pick must get what explaining it alone gives.
    for w in (0.02, 0.5, 1.0):
        skewed = EnsembleRecommender(ensemble.ease, ensemble.als, EnsembleParams(w, 0.0), *ensemble.scales)
        for user in (1, 5, 8):
            picks = [m for m, _ in skewed.recommend_for_user(user, 4)]
            _same_evidence(
                skewed.explain_many_for_user(user, picks, top=3),
                [skewed.explain_for_user(user, m, top=3) for m in picks],
            )
    picks = [m for m, _ in ensemble.recommend_from_liked([101, 102], 3)]
    _same_evidence(
        ensemble.explain_many_from_liked([101, 102], picks, top=2),
        [ensemble.explain_from_liked([101, 102], m, top=2) for m in picks],
    )


def test_combined_shares_follow_the_blend(ensemble: EnsembleRecommender) -> None:
    users, movies, _ = checkerboard()
    rated = set(movies[users == 5].tolist())
    pick = ensemble.recommend_for_user(5, 1)[0][0]
    w = ensemble.params.ease_weight
    ease_part = dict(ensemble.ease.contributions(ensemble.ease.rating_row(5), pick))  # type: ignore[arg-type]
    als_part = dict(ensemble.als.explain_for_user(5, pick, top=len(rated)))
    combined = ensemble.combined_contributions(5, pick)
    assert combined and {m for m, _ in combined} <= rated
    for movie_id, value in combined:
        expected = (
            w * ease_part.get(movie_id, 0.0) / ensemble.ease_scale
            + (1 - w) * als_part.get(movie_id, 0.0) / ensemble.als_scale
        )
        assert value == pytest.approx(expected, rel=1e-6)


def test_blob_round_trip(ensemble: EnsembleRecommender) -> None:
    again = EnsembleRecommender.from_bytes(ensemble.to_bytes(), ensemble.ease, ensemble.als)
    assert again.params == ensemble.params and again.scales == ensemble.scales
    assert again.recommend_for_user(3, 4) == ensemble.recommend_for_user(3, 4)
    with pytest.raises(ValueError):
        EnsembleRecommender.from_bytes(ensemble.ease.to_bytes(), ensemble.ease, ensemble.als)


def test_components_must_come_from_the_same_ratings(ensemble: EnsembleRecommender) -> None:
    users, movies, stars = checkerboard(seed=1)
    keep = users <= 30
    other = AlsRecommender.train(users[keep], movies[keep], stars[keep], AlsParams(factors=2, iterations=2))
    with pytest.raises(ValueError, match="different ratings"):
        EnsembleRecommender(ensemble.ease, other, EnsembleParams(), 1.0, 1.0)


def test_als_fills_in_movies_ease_does_not_model() -> None:
    users, movies, stars = checkerboard()
    users, movies, stars = np.append(users, 21), np.append(movies, 500), np.append(stars, 5.0)  # 500: one rating
    ease = EaseRecommender.train(users, movies, stars, EaseParams(l2=5.0, min_item_ratings=2))
    als = AlsRecommender.train(users, movies, stars, AlsParams(factors=4, regularization=0.5, iterations=10))
    model = EnsembleRecommender.calibrate(ease, als, EnsembleParams())
    assert 500 not in ease.modelled_movie_ids
    picks = model.recommend_for_user(22, 2, candidate_movie_ids=np.array([500, 101]))
    rated_22 = set(movies[users == 22].tolist())
    expected = {500, 101} - rated_22
    assert {m for m, _ in picks} == expected and picks[-1][0] == 500  # the blend's picks first, then ALS's
    # EASE cannot explain movie 500, so the evidence is ALS's.
    assert model.explain_for_user(22, 500) == als.explain_for_user(22, 500)
