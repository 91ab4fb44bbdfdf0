"""Pydantic models for everything the core returns. They become the tools' output schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Sentiment = Literal["positive", "negative", "neutral", "mixed"]
BudgetTier = Literal["low", "medium", "high", "ultra_high", "unknown"]
RevenueTier = Literal["low", "medium", "high", "blockbuster", "unknown"]
TargetAudience = Literal["kids", "family", "teens", "adults"]


class MovieSummary(BaseModel):
    """The short form of a movie used in every list."""

    movie_id: int = Field(description="MovieLens movie id (the id every tool takes)")
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    rating_count: int = Field(0, description="number of user ratings")
    rating_mean: float | None = Field(None, description="mean rating in stars (0.5-5.0)")


class Enrichment(BaseModel):
    """The five enrichment attributes and which engine produced them."""

    sentiment: Sentiment
    budget_tier: BudgetTier
    revenue_tier: RevenueTier
    effectiveness_score: float | None = Field(None, description="0-10; None when neither ROI nor ratings exist")
    target_audience: TargetAudience
    engine: str = Field(description="engine that produced these values, e.g. offline-rules-v1")
    model: str | None = Field(None, description="LLM model name when an LLM was used")
    reasoning: str | None = Field(None, description="the LLM's short reason, or why the offline rules were used")
    enriched_at: str


class Page(BaseModel):
    """Paging fields shared by every list that can be long."""

    total: int = Field(description="how many items match in all")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="pass as offset to get the next page; None at the end")


# 1. search_movies
class TitleMatch(MovieSummary):
    match_rank: float = Field(description="FTS5 bm25 rank; lower is a better title match")


class MovieSearchResult(Page):
    query: str
    results: list[TitleMatch]


# 2. get_movie_details
class RatingStats(BaseModel):
    count: int
    mean: float | None
    histogram: dict[str, int] = Field(description="number of ratings per star value, '0.5' to '5.0'")


class TagCount(BaseModel):
    tag: str
    count: int


class MovieDetails(BaseModel):
    movie_id: int
    imdb_id: str | None
    tmdb_id: int | None
    title: str
    year: int | None
    genres: list[str]
    overview: str | None
    budget: int | None = Field(description="US dollars; None when unknown")
    revenue: int | None = Field(description="US dollars; None when unknown")
    runtime: float | None = Field(description="minutes")
    release_date: str | None
    language: str | None
    mpaa: str | None
    ratings: RatingStats
    tags: list[TagCount]
    enrichment: Enrichment | None = Field(description="None until enrich_movies has run for this movie")


# 3. get_user_ratings
class UserRating(BaseModel):
    movie_id: int
    title: str
    year: int | None
    genres: list[str]
    rating: float
    rated_at: str = Field(description="ISO 8601 UTC")


class UserRatingsPage(Page):
    user_id: int | str = Field(description="the MovieLens user id, or the profile name")
    watched_only: int = Field(0, description="a profile's movies seen without stars (not in `ratings`)")
    mean_rating: float
    sort: str
    ratings: list[UserRating]


# 4. get_random_movies
class RandomMovies(BaseModel):
    matching: int = Field(description="how many movies match the filters")
    filters: dict[str, object] = Field(default_factory=dict, description="the effective filters every movie satisfies")
    seed: int | None
    movies: list[MovieSummary]


# 5. get_movie_recommendations
class Evidence(BaseModel):
    movie_id: int
    title: str
    rating: float | None = Field(None, description="the user's rating of this movie, when known")
    contribution: float = Field(description="share of the pick's score this movie explains")


class Recommendation(MovieSummary):
    score: float = Field(description="engine score; higher is better, comparable within one answer only")
    because: list[Evidence] = Field(description="the user's movies that contributed most to this pick")
    reason: str


class AppliedFilters(BaseModel):
    query: str
    filters: dict[str, object] = Field(description="typed filters understood from the query")
    unknown_terms: list[str] = Field(description="words of the query that were not understood")
    parser: str


class Recommendations(BaseModel):
    user_id: int | str | None = Field(description="the MovieLens user id or profile name; None for liked_movies")
    disliked_movies: list[MovieSummary] = Field(default_factory=list, description="movies pushed away from")
    liked_movies: list[MovieSummary] = Field(default_factory=list, description="cold-start seed movies")
    engine_requested: str
    engine: str = Field(description="the engine that actually produced the ranking")
    model: str | None = Field(None, description="the LLM model, when an LLM re-ranked the picks")
    query: AppliedFilters | None = None
    filters: dict[str, object] = Field(
        default_factory=dict,
        description="the effective filters every pick satisfies: the typed filter arguments and the query's"
        " filters (query.filters) combined",
    )
    genre_calibration: float | None = Field(
        None,
        description="how strongly the picks' genre mix was pulled towards the user's own (0: not at all);"
        " None when a re-ranker ordered the picks",
    )
    notes: list[str] = Field(default_factory=list)
    recommendations: list[Recommendation]


# 6. predict_rating
class SimilarRated(BaseModel):
    movie_id: int
    title: str
    user_rating: float
    similarity: float = Field(description="cosine similarity of the two movies' learned factors")


class RatingPrediction(BaseModel):
    user_id: int | str = Field(description="the MovieLens user id, or the profile name")
    ratings_used: int = Field(description="how many of the user's ratings the model used")
    movie_id: int
    title: str
    predicted_rating: float = Field(description="stars, clamped to 0.5-5.0")
    confidence: float = Field(description="0-1, grows with how many ratings the user and the movie have")
    actual_rating: float | None = Field(None, description="the user's real rating when they already rated it")
    global_mean: float
    user_bias: float
    movie_bias: float
    evidence: list[SimilarRated]
    explanation: str
    engine: str = Field(description="the model that produced the number")
    explanation_engine: str = Field(description="who wrote the explanation: offline template or llm:<model>")


# 7. summarize_user_preferences
class Affinity(BaseModel):
    name: str
    count: int
    share: float = Field(description="fraction of the user's ratings")
    mean: float = Field(description="the user's mean rating for this group")
    relative: float = Field(description="mean minus the user's overall mean; positive means preferred")


class UserPreferences(BaseModel):
    user_id: int | str = Field(description="the MovieLens user id, or the profile name")
    rating_count: int
    rating_mean: float
    distribution: dict[str, int]
    genres: list[Affinity]
    decades: list[Affinity]
    enrichment: dict[str, list[Affinity]] = Field(description="affinities by sentiment, audience, tiers")
    favourites: list[UserRating]
    least_favourites: list[UserRating]
    summary: str
    engine: str = Field(description="who wrote the summary text: offline template or llm:<model>")


# 8. compare_movies
class ComparedMovie(MovieSummary):
    budget: int | None
    revenue: int | None
    roi: float | None = Field(description="revenue / budget; None when either is unknown")
    runtime: float | None
    enrichment: Enrichment | None


class DimensionComparison(BaseModel):
    dimension: str
    leader_movie_id: int | None = Field(description="best on this dimension; None when all are unknown")
    leader_title: str | None
    minimum: float | None
    maximum: float | None
    unknown_for: list[int] = Field(description="movie ids whose value is unknown")


class MovieComparison(BaseModel):
    movies: list[ComparedMovie]
    dimensions: list[DimensionComparison]
    summary: str = Field(description="computed: the leader on each dimension")
    narrative: str | None = Field(None, description="an LLM paragraph over the comparison, when asked for")
    engine: str = Field(description="who wrote the narrative, or offline-stats-v1")


# 9. semantic_search
class SemanticMatch(MovieSummary):
    similarity: float = Field(description="cosine similarity to the query, -1 to 1")
    overview: str | None


class SemanticSearchResult(BaseModel):
    query: str
    k: int
    filters: dict[str, object] = Field(description="the effective filters every result satisfies")
    matching_movies: int = Field(description="how many embedded movies pass the filters")
    results: list[SemanticMatch]
    engine: str
    searched_for: str = Field(description="the query as searched, after chat filler was dropped")
    kind_of_film: dict[str, object] | None = Field(
        default=None,
        description="genres and years the query opened with ('30s screwball comedy, ...'): films of that kind"
        " are ranked up, others are not filtered out",
    )
    retrievers: list[str] = Field(description="the retrievers that found candidates: bm25, vector")
    notes: list[str] = Field(default_factory=list, description="what limits the answer, e.g. missing plot text")


# 10. get_enriched_movies
class EnrichedMovie(MovieSummary):
    budget: int | None
    revenue: int | None
    enrichment: Enrichment


class EnrichedMoviesPage(Page):
    order_by: str
    filters: dict[str, object]
    movies: list[EnrichedMovie]


# 11. enrich_movies
class EnrichmentReport(BaseModel):
    engine: str = Field(description="the engine asked: llm (with model) or offline-rules-v1")
    model: str | None = None
    requested: int
    enriched: list[EnrichedMovie] = Field(description="movies (re)computed by this call")
    skipped_already_enriched: list[int] = Field(description="ids left as they were (pass force=true to redo)")
    remaining_unenriched: int = Field(description="movies still without enrichment from this engine")
    fell_back_to_offline: list[int] = Field(
        default_factory=list, description="ids the LLM could not label; enriched by the offline rules instead"
    )
    notes: list[str] = Field(default_factory=list)
    usage: dict[str, int] = Field(default_factory=dict, description="LLM requests, tokens and cache hits of this call")
    next_hint: str | None
