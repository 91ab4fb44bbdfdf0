"""Every question put to a language engine: its prompt (versioned, part of the cache key), its answer
model, and the answer given without an LLM.

The system prompt's first line names the task ("Task: enrich_movies v1"); that keeps logs and test
doubles readable. Payloads are JSON so the model sees exact ids and numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from core.enrichment.rules import OFFLINE_ENGINE as OFFLINE_RULES
from core.schemas import Sentiment, TargetAudience
from core.search.filters import MovieFilters
from core.search.query_parser import OFFLINE_PARSER, ParsedQuery, parse_query

T = TypeVar("T", bound=BaseModel)

OFFLINE_TEMPLATE = "offline-template-v1"  # texts written by the services' own templates
COLLABORATIVE_ORDER = "collaborative-order"  # a re-rank that keeps the recommender's order


@dataclass(frozen=True)
class Task(Generic[T]):
    """One kind of question: a name, a prompt version, the instructions, the answer's model, and who
    answers offline.

    `offline` derives the offline answer from the payload alone; tasks whose offline answer needs more
    than the payload (the services' text templates) leave it out and their callers pass the answer.
    """

    name: str
    version: str
    instructions: str
    output: type[T]
    offline_engine: str  # names an offline answer, e.g. in a result's `engine` field
    offline: Callable[[dict[str, Any]], T] | None = None
    max_tokens: int = 600  # answer budget; callers with variable-size answers pass their own

    @property
    def system_prompt(self) -> str:
        return f"Task: {self.name} {self.version}\n{self.instructions}"

    def messages(self, payload: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": json.dumps(payload, ensure_ascii=False, sort_keys=True)},
        ]

    def json_schema(self) -> dict[str, Any]:
        return self.output.model_json_schema()


# --- enrichment ----------------------------------------------------------------------------------
class MovieLabels(BaseModel):
    movie_id: int
    sentiment: Sentiment = Field(description="tone of the overview")
    target_audience: TargetAudience
    reasoning: str = Field(max_length=400, description="one short sentence")


class EnrichmentAnswer(BaseModel):
    movies: list[MovieLabels]


def _no_labels(payload: dict[str, Any]) -> EnrichmentAnswer:
    """Offline there are no model labels: the offline rules label every movie (and compute the tiers anyway)."""
    return EnrichmentAnswer(movies=[])


ENRICH = Task(
    name="enrich_movies",
    version="v1",
    instructions=(
        "You label movies for a recommender. For every movie in the input list return its movie_id, the"
        " sentiment of its overview (positive, negative, neutral or mixed), its target audience (kids,"
        " family, teens or adults) judged from genres, MPAA certificate and overview, and one short sentence of"
        ' reasoning. Answer with JSON only: {"movies": [{"movie_id": ..., "sentiment": ..., "target_audience":'
        ' ..., "reasoning": ...}]}, one entry per input movie, same ids.'
    ),
    output=EnrichmentAnswer,
    offline_engine=OFFLINE_RULES,
    offline=_no_labels,
)


# --- recommendation re-ranking -------------------------------------------------------------------
class RerankedPick(BaseModel):
    movie_id: int
    match_score: float = Field(ge=0, le=1, description="how well the movie fits this user, 0-1")
    reason: str = Field(max_length=400, description="one sentence, citing the user's own ratings")


class RerankAnswer(BaseModel):
    picks: list[RerankedPick]


def _keep_order(payload: dict[str, Any]) -> RerankAnswer:
    """Offline nothing is re-ranked: no picks, so the candidates keep the collaborative order."""
    return RerankAnswer(picks=[])


RERANK = Task(
    name="rerank_recommendations",
    version="v1",
    instructions=(
        "You are a film expert re-ranking recommendation candidates for one user. The input holds the user's"
        " liked and disliked movies with their star ratings, an optional request, the number of picks wanted,"
        " and the candidates (chosen by collaborative filtering) with their metadata. Choose the best candidates"
        " for this user, best first. Only use movie_ids from the candidate list. For each pick give a"
        " match_score from 0 to 1 and one sentence of reason that cites the user's actual ratings."
        ' Answer with JSON only: {"picks": [{"movie_id": ..., "match_score": ..., "reason": ...}]}.'
    ),
    output=RerankAnswer,
    offline_engine=COLLABORATIVE_ORDER,
    offline=_keep_order,
)


# --- explanations and summaries ------------------------------------------------------------------
class TextAnswer(BaseModel):
    text: str = Field(max_length=1500)


EXPLAIN_PREDICTION = Task(
    name="explain_prediction",
    version="v1",
    instructions=(
        "Explain in two or three sentences why a trained rating model predicts this number of stars for this"
        " user and movie. Use only the numbers and movies given (biases, evidence of similar movies the user"
        ' rated). Do not change the prediction. Answer with JSON only: {"text": ...}.'
    ),
    output=TextAnswer,
    offline_engine=OFFLINE_TEMPLATE,
)

SUMMARIZE_USER = Task(
    name="summarize_user",
    version="v1",
    instructions=(
        "Write one readable paragraph (at most 120 words) describing this movie watcher's taste from the"
        " computed statistics given: rating habits, preferred and avoided genres and decades, favourite"
        ' movies. Use only the facts given. Answer with JSON only: {"text": ...}.'
    ),
    output=TextAnswer,
    offline_engine=OFFLINE_TEMPLATE,
)

COMPARE_NARRATIVE = Task(
    name="compare_narrative",
    version="v1",
    instructions=(
        "Write one short paragraph comparing these movies using only the computed comparison given (budgets,"
        ' revenue, ROI, ratings, enrichment, leaders). Answer with JSON only: {"text": ...}.'
    ),
    output=TextAnswer,
    offline_engine=OFFLINE_TEMPLATE,
)


# --- natural-language queries --------------------------------------------------------------------
class QueryAnswer(BaseModel):
    filters: MovieFilters
    unknown_terms: list[str] = Field(default_factory=list, description="words that are not filters")
    remaining_text: str = Field("", description="descriptive words left for semantic matching")


def query_answer(parsed: ParsedQuery) -> QueryAnswer:
    """The offline parser's result as this task's answer."""
    return QueryAnswer(filters=parsed.filters, unknown_terms=parsed.unknown_terms, remaining_text=parsed.remaining_text)


def _parse_offline(payload: dict[str, Any]) -> QueryAnswer:
    return query_answer(parse_query(payload["query"]))


PARSE_QUERY = Task(
    name="parse_query",
    version="v1",
    instructions=(
        "Turn a movie request into filters. Genres must come from the given vocabulary; years are release"
        " years; runtime in minutes; budget and revenue in US dollars; tiers: budget low <$10M, medium <$50M,"
        " high <$150M, ultra_high; revenue low <$50M, medium <$200M, high <$500M, blockbuster. 'high revenue'"
        " means revenue_tiers [high, blockbuster]; 'for kids' means target_audiences [kids, family]. Put words"
        " describing the plot in remaining_text and words you cannot use in unknown_terms. Leave out filters"
        ' that were not asked for. Answer with JSON only: {"filters": {...}, "unknown_terms": [...],'
        ' "remaining_text": "..."}.'
    ),
    output=QueryAnswer,
    offline_engine=OFFLINE_PARSER,
    offline=_parse_offline,
)

ALL_TASKS: tuple[Task[Any], ...] = (ENRICH, RERANK, EXPLAIN_PREDICTION, SUMMARIZE_USER, COMPARE_NARRATIVE, PARSE_QUERY)
