"""Offline enrichment: five labels per movie from deterministic rules (engine ``offline-rules-v1``).

Every function here is pure (no I/O, no clock, no randomness): the same input always gives the same
output, on every machine. An LLM-backed enrichment may replace some labels later; it reports a
different ``engine`` name, so stored results always say which rules produced them.

Rules
=====

Money is in US dollars. A budget or revenue that is missing, zero or negative is *unknown*
(sources write 0 for "not known").

**Budget tier** (``budget_tier``)
    low < $10M ≤ medium < $50M ≤ high < $150M ≤ ultra_high. Lower bounds are inclusive:
    exactly $10,000,000 is ``medium``, exactly $150,000,000 is ``ultra_high``.

**Revenue tier** (``revenue_tier``, worldwide gross)
    low < $50M ≤ medium < $200M ≤ high < $500M ≤ blockbuster, lower bounds inclusive.

**Effectiveness score** (``effectiveness_score``), 0–10, one decimal (rounded half up)
    Two components, each on 0–10:

    * ROI points, when budget and revenue are both known. ``ROI = revenue / budget`` and
      ``roi_points = clamp(2.5 × (log2(ROI) + 1), 0, 10)``: every doubling of the money is worth
      2.5 points, so ROI 0.5 → 0, 1 (break-even) → 2.5, 2 → 5, 4 → 7.5, 8 or more → 10.
    * Audience points, when the movie has at least one rating. The mean rating (MovieLens stars,
      0.5–5) is shrunk towards the global mean with 10 pseudo-ratings, so a movie with three
      5-star ratings does not beat a classic with thousands:
      ``shrunk = (n × mean + 10 × global_mean) / (n + 10)`` and
      ``audience_points = (shrunk − 0.5) / 4.5 × 10``. A missing global mean counts as 3.5.

    The score is the mean of the components that exist (both → 50/50, one → that one);
    ``None`` when neither exists. ``effectiveness_breakdown`` returns the components too.

**Sentiment** (``sentiment_of``), of the overview text
    Lexicon-based. The text is lower-cased and split into words; each word is looked up in a
    positive list (love, friendship, triumph, hope, heartwarming, comedy, joy, …) and a negative list
    (murder, war, death, revenge, terror, kill, tragedy, …). Each list entry also matches its
    inflections: +s/es/ed/ing/er/ers/est/ly/ful/ness/ous, with a final "e" dropped (love → loving),
    a final consonant doubled (kidnap → kidnapped) and a final consonant+"y" turned into "i"
    (tragedy → tragedies). Hyphenated words are looked up whole, else part by part.
    Negation: "not", "no", "never", "without", "nor", "neither", "cannot" and any word ending in
    "n't" flip the polarity of the next sentiment word if it comes within 3 words and before any
    punctuation (",", ".", ";", ":", "!", "?"); "not only" does not negate.
    Decision, with ``pos`` / ``neg`` the hit counts:

    1. no overview, or ``pos + neg == 0`` → ``neutral``;
    2. ``pos ≥ 2`` and ``neg ≥ 2`` and ``min(pos, neg) ≥ 0.4 × max(pos, neg)`` → ``mixed``;
    3. ``pos − neg ≥ 1`` → ``positive``; ``neg − pos ≥ 1`` → ``negative``;
    4. otherwise (a tie such as one hit each) → ``neutral``.

**Target audience** (``target_audience``): the first rule that applies wins.

    1. MPAA certificate, when known (G, PG, PG-13, R, NC-17; spacing/case ignored):
       G → ``kids`` if the genres include Animation or Children, else ``family``; PG → ``family``;
       PG-13 → ``teens``; R and NC-17 → ``adults``. Other certificates (NR, Unrated) count as
       unknown.
    2. Children genre → ``kids`` if Animation is also a genre and there is no adult genre and no
       adult cue; otherwise ``family``.
    3. Animation genre → ``teens`` if there is an adult genre or an adult cue; else ``kids`` if the
       overview has a family cue; else ``family``.
    4. An adult genre (Horror, Crime, Thriller, War, Film-Noir) → ``adults``.
    5. An adult cue in the overview → ``adults``.
    6. A family cue in the overview → ``family``.
    7. A teen genre (Action, Adventure, Sci-Fi, Fantasy, Mystery, Comedy, Western, Musical, IMAX)
       → ``teens``.
    8. Otherwise (Drama, Romance, Documentary, History, no genres, …) → ``adults``.

    Adult cues: murder, sex/sexual, drug(s), cocaine, heroin, rape, prostitute, erotic, stripper,
    porn, incest, gore, torture, brothel, narcotics, overdose, mistress, seduce, nude/nudity, affair,
    adultery, addict/addiction, cartel, hitman, "serial killer", "drug dealer", "drug lord".
    Family cues: kids, "fairy tale"/fairytale/fairy, puppy/puppies, kitten, "talking animal(s)",
    toy(s), princess, santa, elf/elves, unicorn, "teddy bear", storybook, bedtime, kindergarten.
    Cues use the same inflection matching as the sentiment lexicon.

**Input hash** (``input_hash``)
    SHA-256 over a canonical JSON of what the labels depend on: the engine name, the stripped
    overview, the canonical genres (sorted), the normalised MPAA certificate, budget and revenue
    (unknown → null), the rating mean and global mean rounded to 2 decimals, and the rating count.
    Title and movie id are not part of it. ``enrich_offline`` itself uses the rounded means, so the
    hash fully determines the result: an unchanged hash means re-running can be skipped, and a
    change in the rules (a new engine name) changes every hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from core.data.genres import canonical_genres
from core.schemas import BudgetTier, RevenueTier, Sentiment, TargetAudience

OFFLINE_ENGINE = "offline-rules-v1"

# The value orders, lowest first; the query parser and the tool layer use them too.
SENTIMENTS: tuple[Sentiment, ...] = ("positive", "negative", "neutral", "mixed")
BUDGET_TIERS: tuple[BudgetTier, ...] = ("low", "medium", "high", "ultra_high", "unknown")
REVENUE_TIERS: tuple[RevenueTier, ...] = ("low", "medium", "high", "blockbuster", "unknown")
TARGET_AUDIENCES: tuple[TargetAudience, ...] = ("kids", "family", "teens", "adults")

MILLION = 1_000_000

# Tier -> [lower bound inclusive, upper bound exclusive or None), for turning a tier into SQL.
BUDGET_TIER_RANGES: dict[str, tuple[int, int | None]] = {
    "low": (1, 10 * MILLION),
    "medium": (10 * MILLION, 50 * MILLION),
    "high": (50 * MILLION, 150 * MILLION),
    "ultra_high": (150 * MILLION, None),
}
REVENUE_TIER_RANGES: dict[str, tuple[int, int | None]] = {
    "low": (1, 50 * MILLION),
    "medium": (50 * MILLION, 200 * MILLION),
    "high": (200 * MILLION, 500 * MILLION),
    "blockbuster": (500 * MILLION, None),
}

ROI_POINTS_PER_DOUBLING = 2.5
SHRINK_PSEUDO_RATINGS = 10
DEFAULT_GLOBAL_MEAN = 3.5  # roughly the MovieLens mean; only used when the caller has none
RATING_MIN = 0.5
RATING_MAX = 5.0

MIXED_MIN_HITS = 2
MIXED_MIN_RATIO = 0.4
SENTIMENT_MARGIN = 1
NEGATION_WINDOW = 3

ADULT_GENRES = frozenset({"Horror", "Crime", "Thriller", "War", "Film-Noir"})
TEEN_GENRES = frozenset({"Action", "Adventure", "Sci-Fi", "Fantasy", "Mystery", "Comedy", "Western", "Musical", "IMAX"})


# --------------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------------


def _tier(amount: int | None, ranges: dict[str, tuple[int, int | None]]) -> str:
    if amount is None or amount <= 0:
        return "unknown"
    for tier, (low, high) in ranges.items():
        if amount >= low and (high is None or amount < high):
            return tier
    return "unknown"  # unreachable: the ranges cover every positive amount


def budget_tier(budget: int | None) -> BudgetTier:
    """Tier of a production budget in dollars: low < $10M ≤ medium < $50M ≤ high < $150M ≤ ultra_high.

    None, zero and negative budgets are ``unknown``.
    """
    return cast(BudgetTier, _tier(budget, BUDGET_TIER_RANGES))


def revenue_tier(revenue: int | None) -> RevenueTier:
    """Tier of a worldwide gross in dollars: low < $50M ≤ medium < $200M ≤ high < $500M ≤ blockbuster.

    None, zero and negative revenues are ``unknown``.
    """
    return cast(RevenueTier, _tier(revenue, REVENUE_TIER_RANGES))


# --------------------------------------------------------------------------------------------
# Effectiveness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivenessBreakdown:
    """The effectiveness score and the components it was built from (None = not available)."""

    score: float | None
    roi: float | None
    roi_points: float | None
    audience_points: float | None
    shrunk_rating: float | None = None

    @property
    def components(self) -> tuple[str, ...]:
        """Names of the components that went into the score: "roi", "audience", both or neither."""
        used: list[str] = []
        if self.roi_points is not None:
            used.append("roi")
        if self.audience_points is not None:
            used.append("audience")
        return tuple(used)


def _round_half_up(value: float, places: int) -> float:
    # Decimal(repr) avoids binary-float surprises: 2.25 rounds to 2.3, not 2.2.
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def roi_points(roi: float) -> float:
    """Points for a return on investment: clamp(2.5 × (log2(ROI) + 1), 0, 10)."""
    if roi <= 0:
        return 0.0
    return _clamp(ROI_POINTS_PER_DOUBLING * (math.log2(roi) + 1.0), 0.0, 10.0)


def shrunk_rating(rating_mean: float, rating_count: int, global_mean: float | None) -> float:
    """Bayesian mean with 10 pseudo-ratings at the global mean, clamped to 0.5–5 stars."""
    prior = DEFAULT_GLOBAL_MEAN if global_mean is None else global_mean
    shrunk = (rating_count * rating_mean + SHRINK_PSEUDO_RATINGS * prior) / (rating_count + SHRINK_PSEUDO_RATINGS)
    return _clamp(shrunk, RATING_MIN, RATING_MAX)


def audience_points(rating_mean: float, rating_count: int, global_mean: float | None) -> float:
    """Points for the audience's verdict: (shrunk mean − 0.5) / 4.5 × 10."""
    shrunk = shrunk_rating(rating_mean, rating_count, global_mean)
    return (shrunk - RATING_MIN) / (RATING_MAX - RATING_MIN) * 10.0


def effectiveness_breakdown(
    budget: int | None,
    revenue: int | None,
    rating_mean: float | None,
    rating_count: int | None,
    global_mean: float | None,
) -> EffectivenessBreakdown:
    """The effectiveness score with its components; see the module docstring for the formula."""
    roi: float | None = None
    money_points: float | None = None
    if budget is not None and budget > 0 and revenue is not None and revenue > 0:
        roi = revenue / budget
        money_points = roi_points(roi)

    people_points: float | None = None
    shrunk: float | None = None
    if rating_mean is not None and rating_count is not None and rating_count > 0:
        shrunk = shrunk_rating(rating_mean, rating_count, global_mean)
        people_points = audience_points(rating_mean, rating_count, global_mean)

    parts = [p for p in (money_points, people_points) if p is not None]
    score = _round_half_up(sum(parts) / len(parts), 1) if parts else None
    return EffectivenessBreakdown(
        score=score, roi=roi, roi_points=money_points, audience_points=people_points, shrunk_rating=shrunk
    )


def effectiveness_score(
    budget: int | None,
    revenue: int | None,
    rating_mean: float | None,
    rating_count: int | None,
    global_mean: float | None,
) -> float | None:
    """Effectiveness on 0–10 (one decimal): mean of ROI points and audience points; None if neither."""
    return effectiveness_breakdown(budget, revenue, rating_mean, rating_count, global_mean).score


# --------------------------------------------------------------------------------------------
# Lexicon machinery (shared by sentiment and audience cues)
# --------------------------------------------------------------------------------------------

_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "est", "ly", "ful", "ness", "ous")
_VOWEL_SUFFIXES = tuple(s for s in _SUFFIXES if s[0] in "aeiou")
_VOWELS = "aeiou"


def _forms(stem: str) -> set[str]:
    """The stem and its regular inflections (see the module docstring)."""
    forms = {stem}
    forms.update(stem + suffix for suffix in _SUFFIXES)
    if stem.endswith("e"):
        forms.update(stem[:-1] + suffix for suffix in _VOWEL_SUFFIXES)
    if len(stem) >= 3 and stem[-1] not in _VOWELS + "wxy" and stem[-2] in _VOWELS and stem[-3] not in _VOWELS:
        forms.update(stem + stem[-1] + suffix for suffix in _VOWEL_SUFFIXES)
    if len(stem) >= 2 and stem.endswith("y") and stem[-2] not in _VOWELS:
        forms.update(stem[:-1] + "i" + suffix for suffix in ("es", "ed", "er", "ers", "est", "ly", "ness", "ful"))
    return forms


def _lexicon(stems: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for stem in stems:
        words |= _forms(stem)
    return frozenset(words)


_POSITIVE_STEMS: tuple[str, ...] = (
    "adorable", "befriend", "beautiful", "blossom", "brave", "bravery", "carefree", "celebrate",
    "celebration", "charm", "cheer", "comedy", "comic", "compassion", "compassionate", "courage",
    "courageous", "delight", "dream", "enchant", "enchanting", "feel-good", "feelgood", "fearless",
    "forgive", "forgiveness", "friend", "friendship", "fun", "funny", "gentle", "happiness", "happy",
    "heal", "heartfelt", "heartwarming", "hero", "heroic", "heroism", "hilarious", "hilarity", "hope",
    "hopeful", "hopefully", "inspiration", "inspirational", "inspire", "joy", "laugh", "laughter", "love",
    "lovable", "loyal", "loyalty", "magic", "magical", "optimism", "optimistic", "passion",
    "passionate", "peace", "playful", "redeem", "redemption", "reunion", "reunite", "romance",
    "romantic", "smile", "success", "successful", "sweet", "tender", "triumph", "triumphant",
    "uplift", "uplifting", "victorious", "victory", "warm", "warmth", "wedding", "whimsical", "win",
    "witty", "wonderful",
)  # fmt: skip

_NEGATIVE_STEMS: tuple[str, ...] = (
    "abuse", "abusive", "addict", "addiction", "apocalypse", "apocalyptic", "assassin",
    "assassinate", "assassination", "assault", "attack", "avenge", "betray", "betrayal", "bleak",
    "blood", "bloody", "brutal", "brutality", "bully", "cancer", "conspiracy", "corpse", "corrupt",
    "corruption", "crash", "crime", "criminal", "cruel", "cruelty", "curse", "danger", "dark",
    "darkness", "dead", "deadly", "death", "deathly", "demon", "demonic", "despair", "desperate",
    "desperation", "destroy", "destruction", "die", "died", "disaster", "disastrous", "disease",
    "divorce", "doom", "drown", "drug", "dying", "enemy", "evil", "fatal", "fear", "funeral", "grief",
    "grieve", "grim", "hate", "hatred", "haunt", "heartless", "hell", "hellish", "hopeless",
    "hopelessly", "horrific", "horrify", "horror", "hostage", "illness", "insanity", "invade",
    "invasion", "jealous", "jealousy", "kidnap", "kill", "lonely", "loneliness", "lose", "loss",
    "madness", "massacre", "menace", "merciless", "mourn", "murder", "nightmare", "pain", "paranoia",
    "paranoid", "plague", "poison", "prison", "psychopath", "psychopathic", "rage", "rape", "rapist",
    "revenge", "ruthless", "sad", "scream", "shatter", "sinister", "slaughter", "sorrow", "struggle",
    "suffer", "suicide", "terror", "terrorist", "terrorize", "terrify", "threat", "threaten",
    "torture", "tragedy", "tragic", "tragically", "unhappy", "vengeance", "vengeful", "victim",
    "violence", "violent", "war", "war-torn", "zombie",
)  # fmt: skip

_POSITIVE = _lexicon(_POSITIVE_STEMS)
_NEGATIVE = _lexicon(_NEGATIVE_STEMS)
# A generated form may not sit in both lists; listed stems win, anything still shared is dropped.
_SHARED = _POSITIVE & _NEGATIVE
POSITIVE_WORDS: frozenset[str] = frozenset((_POSITIVE - _SHARED) | (set(_POSITIVE_STEMS) - set(_NEGATIVE_STEMS)))
NEGATIVE_WORDS: frozenset[str] = frozenset((_NEGATIVE - _SHARED) | (set(_NEGATIVE_STEMS) - set(_POSITIVE_STEMS)))

_NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither", "cannot"})
_CLAUSE_BREAKS = frozenset(",.;:!?")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[,.;:!?]")


def _tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens, possessive "'s" removed ("friend's" → "friend")."""
    found = _TOKEN_RE.findall(text.lower().replace("’", "'"))
    return [token.removesuffix("'s") for token in found]


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


def _polarity(token: str) -> int:
    """+1 positive, −1 negative, 0 neither; hyphenated words whole first, then part by part."""
    if token in POSITIVE_WORDS:
        return 1
    if token in NEGATIVE_WORDS:
        return -1
    if "-" in token:
        return sum(_polarity(part) for part in token.split("-") if part)
    return 0


def sentiment_counts(overview: str | None) -> tuple[int, int]:
    """Positive and negative hit counts for an overview, after negation (see the module docstring)."""
    if not overview:
        return 0, 0
    positive = negative = 0
    negate_within = 0  # how many more words a pending negation may still reach
    tokens = _tokens(overview)
    for index, token in enumerate(tokens):
        if token in _CLAUSE_BREAKS:
            negate_within = 0
            continue
        if _is_negator(token):
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            negate_within = 0 if following == "only" else NEGATION_WINDOW
            continue
        polarity = _polarity(token)
        if polarity and negate_within:
            polarity = -polarity
            negate_within = 0
        elif negate_within:
            negate_within -= 1
        if polarity > 0:
            positive += polarity
        elif polarity < 0:
            negative -= polarity
    return positive, negative


def sentiment_of(overview: str | None) -> Sentiment:
    """Sentiment of an overview: positive, negative, mixed or neutral (rules in the module docstring)."""
    positive, negative = sentiment_counts(overview)
    if positive + negative == 0:
        return "neutral"
    strong, weak = max(positive, negative), min(positive, negative)
    if positive >= MIXED_MIN_HITS and negative >= MIXED_MIN_HITS and weak >= MIXED_MIN_RATIO * strong:
        return "mixed"
    if positive - negative >= SENTIMENT_MARGIN:
        return "positive"
    if negative - positive >= SENTIMENT_MARGIN:
        return "negative"
    return "neutral"


# --------------------------------------------------------------------------------------------
# Target audience
# --------------------------------------------------------------------------------------------

_ADULT_CUE_STEMS: tuple[str, ...] = (
    "addict", "addiction", "adultery", "affair", "brothel", "cartel", "cocaine", "erotic", "erotica",
    "gore", "gory", "heroin", "hitman", "hitmen", "incest", "mistress", "murder", "narcotic", "nude",
    "nudity", "overdose", "porn", "pornographic", "pornography", "prostitute", "prostitution", "rape",
    "rapist", "seduce", "seduction", "seductive", "sex", "sexual", "sexuality", "sexy", "stripper",
    "torture", "drug",
)  # fmt: skip
_ADULT_CUE_PHRASES: tuple[str, ...] = ("serial killer", "drug dealer", "drug lord")
_FAMILY_CUE_STEMS: tuple[str, ...] = (
    "bedtime", "elf", "elves", "fairy", "fairytale", "kids", "kindergarten", "kitten", "princess",
    "puppy", "puppies", "santa", "storybook", "toy", "unicorn",
)  # fmt: skip
_FAMILY_CUE_PHRASES: tuple[str, ...] = ("fairy tale", "talking animal", "teddy bear")

ADULT_CUES: frozenset[str] = _lexicon(_ADULT_CUE_STEMS)
FAMILY_CUES: frozenset[str] = _lexicon(_FAMILY_CUE_STEMS)

_MPAA_RE = re.compile(r"[^a-z0-9]")
_MPAA_CERTIFICATES = {"g": "G", "pg": "PG", "pg13": "PG-13", "r": "R", "nc17": "NC-17"}


def normalise_mpaa(mpaa: str | None) -> str | None:
    """Canonical MPAA certificate ("pg 13" → "PG-13", "Rated R" → "R"); None when it is not one."""
    if not mpaa:
        return None
    key = _MPAA_RE.sub("", mpaa.lower())
    key = key.removeprefix("rated")
    return _MPAA_CERTIFICATES.get(key)


def _has_cue(tokens: list[str], words: frozenset[str], phrases: tuple[str, ...]) -> bool:
    if any(token in words for token in tokens):
        return True
    joined = " " + " ".join(t for t in tokens if t not in _CLAUSE_BREAKS) + " "
    # Phrases may end in an inflection: "serial killers", "talking animals".
    return any(re.search(rf" {re.escape(phrase)}(?:s|es)? ", joined) for phrase in phrases)


def overview_cues(overview: str | None) -> tuple[bool, bool]:
    """(has an adult cue, has a family cue) for an overview."""
    if not overview:
        return False, False
    tokens = _tokens(overview)
    return (
        _has_cue(tokens, ADULT_CUES, _ADULT_CUE_PHRASES),
        _has_cue(tokens, FAMILY_CUES, _FAMILY_CUE_PHRASES),
    )


def target_audience(genres: list[str], mpaa: str | None, overview: str | None) -> TargetAudience:
    """Who a movie is for: kids, family, teens or adults (ordered rules in the module docstring)."""
    genre_set = set(canonical_genres(list(genres)))
    certificate = normalise_mpaa(mpaa)
    if certificate == "G":
        return "kids" if genre_set & {"Animation", "Children"} else "family"
    if certificate == "PG":
        return "family"
    if certificate == "PG-13":
        return "teens"
    if certificate in ("R", "NC-17"):
        return "adults"

    adult_cue, family_cue = overview_cues(overview)
    adult_genre = bool(genre_set & ADULT_GENRES)
    if "Children" in genre_set:
        return "kids" if "Animation" in genre_set and not adult_genre and not adult_cue else "family"
    if "Animation" in genre_set:
        if adult_genre or adult_cue:
            return "teens"
        return "kids" if family_cue else "family"
    if adult_genre or adult_cue:
        return "adults"
    if family_cue:
        return "family"
    if genre_set & TEEN_GENRES:
        return "teens"
    return "adults"


# --------------------------------------------------------------------------------------------
# The whole enrichment
# --------------------------------------------------------------------------------------------


class EnrichmentInput(BaseModel):
    """What the offline rules look at for one movie. Unknown values are None."""

    model_config = ConfigDict(frozen=True)

    movie_id: int
    title: str = ""
    overview: str | None = None
    genres: list[str] = Field(default_factory=list)
    mpaa: str | None = None
    budget: int | None = None  # US dollars; 0 or less means unknown
    revenue: int | None = None
    rating_mean: float | None = None  # MovieLens stars, 0.5–5
    rating_count: int | None = None
    global_mean: float | None = None  # mean of all ratings; DEFAULT_GLOBAL_MEAN when None


class EnrichmentResult(BaseModel):
    """The five labels for one movie, and which engine produced them."""

    movie_id: int
    sentiment: Sentiment
    budget_tier: BudgetTier
    revenue_tier: RevenueTier
    effectiveness_score: float | None
    target_audience: TargetAudience
    engine: str = OFFLINE_ENGINE


def _round_or_none(value: float | None) -> float | None:
    return None if value is None else _round_half_up(value, 2)


def _known_money(amount: int | None) -> int | None:
    return amount if amount is not None and amount > 0 else None


def _hash_payload(movie: EnrichmentInput) -> dict[str, object]:
    """Everything the result depends on, normalised so equivalent inputs look the same."""
    return {
        "engine": OFFLINE_ENGINE,
        "overview": (movie.overview or "").strip(),
        "genres": sorted(canonical_genres(list(movie.genres))),
        "mpaa": normalise_mpaa(movie.mpaa),
        "budget": _known_money(movie.budget),
        "revenue": _known_money(movie.revenue),
        "rating_mean": _round_or_none(movie.rating_mean),
        "rating_count": movie.rating_count or 0,
        "global_mean": _round_or_none(movie.global_mean),
    }


def input_hash(movie: EnrichmentInput) -> str:
    """SHA-256 (hex) of the inputs that affect `enrich_offline`; equal hashes mean equal results."""
    payload = json.dumps(_hash_payload(movie), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def enrich_offline(movie: EnrichmentInput) -> EnrichmentResult:
    """All five labels for one movie from the offline rules (engine ``offline-rules-v1``)."""
    # Use the same 2-decimal rating stats the hash sees, so the hash determines the result.
    rating_mean = _round_or_none(movie.rating_mean)
    global_mean = _round_or_none(movie.global_mean)
    return EnrichmentResult(
        movie_id=movie.movie_id,
        sentiment=sentiment_of(movie.overview),
        budget_tier=budget_tier(movie.budget),
        revenue_tier=revenue_tier(movie.revenue),
        effectiveness_score=effectiveness_score(
            movie.budget, movie.revenue, rating_mean, movie.rating_count, global_mean
        ),
        target_audience=target_audience(movie.genres, movie.mpaa, movie.overview),
        engine=OFFLINE_ENGINE,
    )
