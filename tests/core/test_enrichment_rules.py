"""Known-answer tests for the offline enrichment rules (core.enrichment.rules)."""

from __future__ import annotations

import pytest

from core.enrichment.rules import (
    NEGATIVE_WORDS,
    OFFLINE_ENGINE,
    POSITIVE_WORDS,
    EnrichmentInput,
    EnrichmentResult,
    budget_tier,
    effectiveness_breakdown,
    effectiveness_score,
    enrich_offline,
    input_hash,
    normalise_mpaa,
    revenue_tier,
    roi_points,
    sentiment_counts,
    sentiment_of,
    target_audience,
)

M = 1_000_000

# ---------------------------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "tier"),
    [
        (None, "unknown"),
        (0, "unknown"),
        (-5, "unknown"),
        (1, "low"),
        (10 * M - 1, "low"),
        (10 * M, "medium"),
        (50 * M - 1, "medium"),
        (50 * M, "high"),
        (150 * M - 1, "high"),
        (150 * M, "ultra_high"),
        (400 * M, "ultra_high"),
    ],
)
def test_budget_tier_boundaries(budget: int | None, tier: str) -> None:
    assert budget_tier(budget) == tier


@pytest.mark.parametrize(
    ("revenue", "tier"),
    [
        (None, "unknown"),
        (0, "unknown"),
        (-1, "unknown"),
        (1, "low"),
        (50 * M - 1, "low"),
        (50 * M, "medium"),
        (200 * M - 1, "medium"),
        (200 * M, "high"),
        (500 * M - 1, "high"),
        (500 * M, "blockbuster"),
        (2_000 * M, "blockbuster"),
    ],
)
def test_revenue_tier_boundaries(revenue: int | None, tier: str) -> None:
    assert revenue_tier(revenue) == tier


# ---------------------------------------------------------------------------------------------
# Effectiveness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roi", "points"),
    [(0.25, 0.0), (0.5, 0.0), (1.0, 2.5), (2.0, 5.0), (4.0, 7.5), (8.0, 10.0), (64.0, 10.0), (0.0, 0.0)],
)
def test_roi_points_documented_values(roi: float, points: float) -> None:
    assert roi_points(roi) == pytest.approx(points)


def test_roi_only_score() -> None:
    breakdown = effectiveness_breakdown(10 * M, 40 * M, None, None, None)
    assert breakdown.roi == pytest.approx(4.0)
    assert breakdown.roi_points == pytest.approx(7.5)
    assert breakdown.audience_points is None
    assert breakdown.score == 7.5
    assert breakdown.components == ("roi",)


def test_audience_only_score_uses_shrinkage() -> None:
    # 10 ratings of 5.0 against a global mean of 3.0: shrunk = (50 + 30) / 20 = 4.0 → 3.5 / 4.5 × 10
    breakdown = effectiveness_breakdown(None, None, 5.0, 10, 3.0)
    assert breakdown.shrunk_rating == pytest.approx(4.0)
    assert breakdown.audience_points == pytest.approx(35 / 4.5)
    assert breakdown.roi is None
    assert breakdown.score == 7.8
    assert breakdown.components == ("audience",)


def test_few_ratings_are_pulled_to_the_global_mean() -> None:
    few = effectiveness_score(None, None, 5.0, 3, 3.5)
    many = effectiveness_score(None, None, 4.5, 5000, 3.5)
    assert few is not None and many is not None
    assert few < many


def test_audience_extremes() -> None:
    assert effectiveness_score(None, None, 5.0, 10**9, 3.5) == 10.0
    assert effectiveness_score(None, None, 0.5, 10**9, 3.5) == 0.0


def test_missing_global_mean_counts_as_3_5() -> None:
    # shrunk = (10 × 4.5 + 10 × 3.5) / 20 = 4.0
    assert effectiveness_score(None, None, 4.5, 10, None) == effectiveness_score(None, None, 4.5, 10, 3.5)
    assert effectiveness_score(None, None, 4.5, 10, None) == 7.8


def test_both_components_are_averaged() -> None:
    # ROI 2 → 5 points; ratings at the global mean 3.5 → (3.0 / 4.5) × 10 = 6.667; mean 5.833 → 5.8
    breakdown = effectiveness_breakdown(10 * M, 20 * M, 3.5, 10, 3.5)
    assert breakdown.roi_points == pytest.approx(5.0)
    assert breakdown.audience_points == pytest.approx(20 / 3)
    assert breakdown.score == 5.8
    assert breakdown.components == ("roi", "audience")


@pytest.mark.parametrize(
    ("budget", "revenue", "mean", "count"),
    [
        (None, None, None, None),
        (10 * M, None, None, 0),
        (None, 10 * M, 4.0, 0),  # no ratings: the mean is ignored
        (0, 10 * M, None, None),
        (10 * M, 0, 4.0, None),
    ],
)
def test_no_components_means_none(
    budget: int | None, revenue: int | None, mean: float | None, count: int | None
) -> None:
    breakdown = effectiveness_breakdown(budget, revenue, mean, count, 3.5)
    assert breakdown.score is None
    assert breakdown.components == ()


def test_score_has_one_decimal() -> None:
    score = effectiveness_score(30 * M, 373_554_033, 3.92, 215, 3.5)
    assert score == 8.8
    assert score == round(score, 1)


# ---------------------------------------------------------------------------------------------
# Sentiment
# ---------------------------------------------------------------------------------------------


def test_lexicons_do_not_overlap() -> None:
    assert not POSITIVE_WORDS & NEGATIVE_WORDS


@pytest.mark.parametrize(
    ("overview", "expected"),
    [
        ("A heartwarming story of friendship and love.", "positive"),
        ("Two friends find joy, laughter and hope on a hilarious road trip.", "positive"),
        ("A serial killer murders his victims one by one.", "negative"),
        ("After his family's death, a man seeks revenge in a war-torn city.", "negative"),
        ("Love and friendship triumph over war, death and revenge.", "mixed"),
        ("A man walks to the store and buys some bread.", "neutral"),
        ("", "neutral"),
        (None, "neutral"),
        ("Love in a time of war.", "neutral"),  # one hit each: a tie
    ],
)
def test_sentiment_cases(overview: str | None, expected: str) -> None:
    assert sentiment_of(overview) == expected


@pytest.mark.parametrize(
    ("overview", "counts"),
    [
        ("The killers kidnapped him; tragedies followed.", (0, 3)),  # inflections of kill/kidnap/tragedy
        ("A loving, cheerful tale of friendships and victories.", (4, 0)),
        ("His friend's wedding.", (2, 0)),  # possessive 's
        ("He is not happy.", (0, 1)),  # negation flips the next sentiment word
        ("It isn't a tragedy.", (1, 0)),  # n't negates too
        ("She never gave up hope.", (0, 1)),  # within 3 words
        ("No time to rest or sleep, she finds love.", (1, 0)),  # punctuation ends the negation
        ("Not only love but also hope.", (2, 0)),  # "not only" does not negate
        ("Not a single moment of sleep or food before the murder.", (0, 1)),  # out of the 3-word window
    ],
)
def test_sentiment_counts_inflection_and_negation(overview: str, counts: tuple[int, int]) -> None:
    assert sentiment_counts(overview) == counts


def test_negation_makes_a_positive_sentence_negative() -> None:
    assert sentiment_of("He is not happy.") == "negative"
    assert sentiment_of("He is happy.") == "positive"


@pytest.mark.parametrize(
    ("overview", "expected"),
    [
        # 2 vs 2: both sides have two hits and the ratio is 1 → mixed
        ("love and hope meet murder and war", "mixed"),
        # 5 vs 2: 2 ≥ 0.4 × 5 → mixed
        ("love hope joy laughter triumph murder war", "mixed"),
        # 6 vs 2: 2 < 0.4 × 6 → positive
        ("love hope joy laughter triumph friendship murder war", "positive"),
        # 3 vs 1: the weaker side has fewer than 2 hits → negative
        ("murder war revenge love", "negative"),
    ],
)
def test_mixed_threshold(overview: str, expected: str) -> None:
    assert sentiment_of(overview) == expected


# ---------------------------------------------------------------------------------------------
# Target audience
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mpaa", "certificate"),
    [
        ("G", "G"),
        ("pg", "PG"),
        ("PG-13", "PG-13"),
        ("pg 13", "PG-13"),
        ("Rated R", "R"),
        ("NC-17", "NC-17"),
        ("nc17", "NC-17"),
        ("NR", None),
        ("Unrated", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_mpaa(mpaa: str | None, certificate: str | None) -> None:
    assert normalise_mpaa(mpaa) == certificate


@pytest.mark.parametrize(
    ("genres", "mpaa", "overview", "expected"),
    [
        # 1. certificates win
        (["Animation", "Children"], "G", None, "kids"),
        (["Animation"], "G", None, "kids"),
        (["Drama"], "G", None, "family"),
        (["Horror"], "PG", None, "family"),
        (["Comedy"], "PG-13", "A drug dealer's story.", "teens"),
        (["Animation", "Children"], "R", None, "adults"),
        (["Drama"], "NC-17", None, "adults"),
        # 2. Children genre
        (["Animation", "Children", "Comedy"], None, None, "kids"),
        (["Animation", "Children", "Horror"], None, None, "family"),
        (["Animation", "Children"], None, "A tale of murder.", "family"),
        (["Children", "Comedy"], None, None, "family"),
        # 3. Animation genre
        (["Animation", "Horror"], None, None, "teens"),
        (["Animation", "Drama"], None, "A story of drug addiction.", "teens"),
        (["Animation", "Fantasy"], None, "A fairy tale about a princess.", "kids"),
        (["Animation", "Comedy"], None, None, "family"),
        # 4. adult genres
        (["Action", "Thriller"], None, None, "adults"),
        (["Comedy", "Crime"], None, None, "adults"),
        (["Film-Noir"], None, None, "adults"),
        # 5. adult cues
        (["Action"], None, "A cop hunts a serial killer.", "adults"),
        (["Comedy"], None, "Two friends sell drugs.", "adults"),
        # 6. family cues
        (["Adventure"], None, "A lost puppy finds its way home.", "family"),
        (["Drama"], None, "A fairytale for the holidays.", "family"),
        # 7. teen genres
        (["Action", "Adventure"], None, None, "teens"),
        (["Sci-Fi"], "NR", None, "teens"),
        (["Comedy"], None, None, "teens"),
        # 8. everything else
        (["Drama"], None, None, "adults"),
        (["Romance", "Drama"], None, None, "adults"),
        ([], None, None, "adults"),
        # source names are canonicalised: TMDB "Family" is Children, "Science Fiction" is Sci-Fi
        (["Family", "Animation"], None, None, "kids"),
        (["Science Fiction"], None, None, "teens"),
    ],
)
def test_target_audience_rules(genres: list[str], mpaa: str | None, overview: str | None, expected: str) -> None:
    assert target_audience(genres, mpaa, overview) == expected


# ---------------------------------------------------------------------------------------------
# The whole enrichment and its hash
# ---------------------------------------------------------------------------------------------


def _toy_story(**changes: object) -> EnrichmentInput:
    fields: dict[str, object] = {
        "movie_id": 1,
        "title": "Toy Story",
        "overview": "A cowboy doll is profoundly threatened and jealous when a new spaceman figure "
        "supplants him as top toy in a boy's room.",
        "genres": ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
        "mpaa": "G",
        "budget": 30 * M,
        "revenue": 373_554_033,
        "rating_mean": 3.92,
        "rating_count": 215,
        "global_mean": 3.5,
    }
    fields.update(changes)
    return EnrichmentInput.model_validate(fields)


def test_enrich_offline_known_answer() -> None:
    result = enrich_offline(_toy_story())
    assert result == EnrichmentResult(
        movie_id=1,
        sentiment="negative",  # "threatened", "jealous": the lexicon reads only the words
        budget_tier="medium",
        revenue_tier="high",
        effectiveness_score=8.8,
        target_audience="kids",
        engine=OFFLINE_ENGINE,
    )
    assert OFFLINE_ENGINE == "offline-rules-v1"


def test_enrich_offline_with_nothing_known() -> None:
    result = enrich_offline(EnrichmentInput(movie_id=7, title="Unknown"))
    assert result.sentiment == "neutral"
    assert result.budget_tier == "unknown"
    assert result.revenue_tier == "unknown"
    assert result.effectiveness_score is None
    assert result.target_audience == "adults"


def test_input_hash_is_stable() -> None:
    # A fixed value: it must not change between runs, machines or Python versions.
    assert input_hash(_toy_story()) == "224e2e17b48849d11a36d2e3ca6af81cd5a4dfa892c223ed97f979c634d6a6a6"
    assert input_hash(_toy_story()) == input_hash(_toy_story())


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Another title"},
        {"movie_id": 99},
        {"genres": ["Fantasy", "Comedy", "Children", "Animation", "Adventure"]},  # order
        {"genres": ["Adventure", "Animation", "Family", "Comedy", "Fantasy"]},  # alias of Children
        {"mpaa": "g"},
        {
            "overview": "  A cowboy doll is profoundly threatened and jealous when a new spaceman figure "
            "supplants him as top toy in a boy's room.\n"
        },
        {"rating_mean": 3.9249},  # same to 2 decimals
        {"global_mean": 3.501},
    ],
)
def test_input_hash_ignores_what_does_not_change_the_result(changes: dict[str, object]) -> None:
    assert input_hash(_toy_story(**changes)) == input_hash(_toy_story())
    changed = enrich_offline(_toy_story(**changes)).model_dump(exclude={"movie_id"})
    assert changed == enrich_offline(_toy_story()).model_dump(exclude={"movie_id"})


@pytest.mark.parametrize(
    "changes",
    [
        {"overview": "A cowboy doll finds a friend."},
        {"overview": None},
        {"genres": ["Animation"]},
        {"mpaa": "PG"},
        {"mpaa": None},
        {"budget": 31 * M},
        {"budget": None},
        {"revenue": 373_554_034},
        {"rating_mean": 3.93},
        {"rating_count": 216},
        {"rating_count": None},
        {"global_mean": 3.51},
    ],
)
def test_input_hash_changes_with_each_input(changes: dict[str, object]) -> None:
    assert input_hash(_toy_story(**changes)) != input_hash(_toy_story())


def test_unknown_money_hashes_like_none() -> None:
    assert input_hash(_toy_story(budget=0)) == input_hash(_toy_story(budget=None))
    assert input_hash(_toy_story(revenue=-1)) == input_hash(_toy_story(revenue=None))
