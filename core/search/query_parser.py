"""Offline natural-language → filters parser (engine ``offline-parser-v2``).

``parse_query("90s comedies for kids under 100 minutes")`` returns a `ParsedQuery` whose
`MovieFilters` say: genres [Comedy], years 1990–1999, audiences [kids, family], runtime ≤ 100.
It is deterministic (no model, no clock). An LLM parser may produce the same `MovieFilters`; the
model validates either, so both obey the same rules.

How a query is read
===================

Before reading, "w/o" becomes "without", "anything but"/"other than" become "not"
(`core.search.parsing.negation`), and numbers in words become digits where a unit or a range makes
them numbers: "ninety minutes", "two and a half hours", "twenty million dollars", "half a billion",
"a quarter of a billion", "between ninety and 120 minutes" (`core.search.parsing.numbers`).

The text is lower-cased and read left to right. At each word the longest phrase that a rule below
recognises wins (ties go to the rule listed first). A word no rule takes is either a stop word
(ignored: "show me", "movies", "films", "with", "and", "a", "the", "some", "good", "best", …),
a negation (below), the start of a description (below), a word form or light typo of a vocabulary
word, or an *unknown term*: unknown terms are returned in ``ParsedQuery.unknown_terms`` so the caller
can tell the user what was not understood; they are never dropped silently.

Word forms and typos (`core.search.parsing.mending`): a word that would be unknown is rewritten as
the vocabulary word it is a form of ("flopped" → flop, "animes", "suspenseful", "documentarys",
"light-hearted", "light hearted") or a light typo of, by edit distance ("comdies", "thriler",
"horor", "westrens"); the vocabulary is every word of every phrase the rules below list. Known
words, words inside a description and words under five letters are never rewritten, and a word
equally near two vocabulary words is reported, not guessed.

Descriptions: "about", "where", "featuring", "starring", "involving", "whose", "in which",
"set in", "based on", "inspired by", "similar to", and "like" (unless it is the verb: after "I",
"we", "you", "would", "I'd", "really", …) start a description. Its words go to
``remaining_text`` (for semantic matching), e.g.
"sci-fi about time travel from the 90s" → remaining_text "about time travel". Inside a description
only *strong* rules (phrases with a preposition, comparison, number or two words, such as "from the
90s", "for kids", "under 2 hours", "with high revenue") are still applied, and one ends the
description; single words such as "war", "family", "dark" or "1969" stay descriptive. A comma,
semicolon, full stop, "!" or "?" also ends it. Trailing stop words are trimmed from it.

Combining: several conditions on the same bound intersect ("90s movies after 1995" → 1996–1999);
several values for the same list are united ("happy or bittersweet" → [positive, mixed]).
Contradictions (min above max, a genre both wanted and excluded) raise `InvalidInputError`.

Filter semantics (for whoever runs the filters): every genre in ``genres`` must be present, none
of ``exclude_genres`` may be; a movie matches a tier/sentiment/audience list if its label is any
of the listed values; numeric bounds are inclusive. Because genres always combine with AND,
"horror or thriller" asks for movies that are both. Unknown terms are not copied into
``remaining_text``; the caller decides whether to search for them.

Rules
-----

Genres (canonical names, see `core.data.genres`): singular, plural and common synonyms, e.g.
"comedies"/"comedic"/"funny" → Comedy; "sci-fi"/"scifi"/"sci fi"/"science fiction" → Sci-Fi;
"romcom"/"rom-com"/"romantic comedies" → Comedy + Romance; "animated"/"cartoons"/"anime" →
Animation; "scary"/"slashers" → Horror; "suspense" → Thriller; "westerns", "documentaries",
"whodunits" → Mystery, "gangster"/"heist"/"mafia" → Crime, "noir" → Film-Noir, "tv movies",
"historical" → History, "music" → Musical. "kids movies" is **not** the Children genre: kid words
are an audience (below).

Excluded genres: a negation directly before a genre, optionally with "a/any/the", chained with
"or"/"nor": "not horror", "no romance", "without musicals", "non-horror",
"no horror or thrillers" → exclude_genres. "and" ends the chain ("no horror and comedies" excludes
Horror only and asks for Comedy).

Negations: "not", "no", "nothing", "without", "except", "excluding", "non", "never", "minus",
"neither", "nor", "hate", "avoid", "skip" and the contractions "isn't", "aren't", "wasn't", "weren't",
"don't", "doesn't", "didn't", "won't", "can't" (with or without the apostrophe). A negation applies
to the next phrase a rule recognises, across fillers ("a", "any", "too", "very", "super", "that",
"into", "want", "have", "anything", …: "don't want anything scary", "doesn't have a sad ending");
once applied, "or"/"nor" carry it to the next phrase ("not dark or depressing"). Any other word,
"and", "but" or punctuation ends it. Before a genre it excludes the genre ("aren't animated").
Before a tier, sentiment or audience phrase it selects the other values ("not for kids" →
[teens, adults], "isn't too sad" → [positive, neutral, mixed], "not blockbusters" → revenue
[low, medium, high]). Before a year, runtime, money or rating phrase, or before nothing the parser
knows, it cannot be expressed as a filter and the whole phrase ("not too long") is reported as an
unknown term: a negation is never dropped and never turned into a wanted filter.

Years (1870–2100): "1999", "in 1999", "from 1999", "released in 1999", "1999 movies" → exactly 1999;
"after 2000"/"post-2000"/"newer than 2000" → min 2001; "since 2000", "2000 onwards", "2000+",
"2000 or later" → min 2000; "before 1980"/"pre-1980"/"older than 1980" → max 1979; "until 1980",
"up to 1980", "1980 or earlier" → max 1980; "around 1995"/"circa 1995" → 1993–1997;
"between 1990 and 2000", "from 1990 to 2000", "1990-2000", "released 2010-2015" → inclusive range
(a reversed range is swapped); "the 40s or 50s", "1994 or 1995" → the span covering both.
Decades: "90s", "'90s", "1990s", "90's", "the nineties", "eighties" → whole decade; "early 90s" →
1990–1993, "mid-90s" → 1994–1996, "late 90s" → 1997–1999. Two-digit decades are 19xx except "00s"
and "10s" (2000s, 2010s); "20s" is the 1920s.
Decades take the same comparisons: "after the 90s" → min 2000, "before the 80s" → max 1979,
"since the 90s" → min 1990. Relative dates ("recent", "new", "last year") are not understood
offline and come back as unknown terms.

Runtime (minutes): "under/less than/shorter than/at most/up to/within 100 minutes" → max 100;
"over/more than/longer than/at least 150 min" → min 150; "less than 2 hours" → max 120,
"1.5 hours", "an hour and a half", "2h 30m", "90-minute"; "100 minutes or less", "2+ hours",
"2 hours or more"; "between 90 and 120 minutes", "90-120 minutes", "between 2 and 3 hours long" →
range (a "long" after a duration belongs to it, it does not ask for a long film); "around 2 hours" or a
bare "2 hours" → 105–135 (±15 min); "short" → max 90; "long"/"lengthy" → min 150.

Money (US dollars): amounts need a "$", a unit (k/thousand, m/mm/mil/million, b/bn/billion) or
"dollars": "$50m", "100 million", "$1.5 billion", "$100,000,000". The field is budget when the
phrase says "budget", "cost(ing)", "made for"; revenue when it says "revenue", "box office",
"gross(ed)", "earned", "made"; otherwise the field the query last mentioned (budget or revenue),
else revenue. "budget under $10M" → max_budget 10,000,000; "grossed over $100m", "over 100
million" → min_revenue 100,000,000; "between $10m and $50m", "$10-50m" → range; no comparison
("$50m budget", "budget of $50m", "around $50m") → ±20 %; a trailing "or more"/"or less" ("budget of
$200m or more") is the bound. "a million dollars" is $1,000,000. "budget under 10" (no unit, under 1000)
is refused with a hint to write "$10M".

Tiers: "high X" means that tier or above. Revenue: "high revenue", "high-grossing", "big box
office", "box office hits", "hits", "commercial successes" → [high, blockbuster];
"blockbusters", "huge/massive/very high/record revenue" → [blockbuster]; "medium/moderate
revenue" → [medium]; "low revenue", "flops", "bombs" → [low]. Budget: "big/high budget",
"expensive" → [high, ultra_high]; "ultra high/huge/massive budget" → [ultra_high];
"medium/mid/moderate budget" → [medium]; "low/small/micro budget", "indie", "independent",
"cheap" → [low]. Tier bounds are in `core.enrichment.rules`.

Sentiment: "positive", "uplifting", "feel-good", "happy", "heartwarming", "wholesome", "upbeat",
"lighthearted", "inspiring", "fun" → positive; "negative", "dark", "sad", "bleak", "depressing",
"grim", "gloomy", "tragic", "melancholic", "disturbing", "gritty", "tearjerker" → negative;
"mixed", "bittersweet" → mixed; "neutral" → neutral. "… sentiment/tone/mood/vibe/ending"
("positive sentiment", "happy ending") is the strong form.

Audience (suitability, so the kid groups include family films): "for kids", "for children",
"kids", "kids movies", "children's", "kid-friendly", "family", "family friendly", "for the whole
family", "all ages" → [kids, family]; "teens", "for teenagers", "young adults" → [teens];
"for adults", "adults only", "mature", "grown-ups" → [adults]. Ages: "for 8 year olds", "my
10-year-old" → [kids, family] below 13, [teens] at 13–17, [adults] from 18. Certificates select the audience the
enrichment gives them: "rated G"/"G-rated" → [kids, family], "PG" → [family], "PG-13" → [teens],
"R-rated"/"rated R"/"NC-17" → [adults].

Rating (mean MovieLens stars, 0.5–5): "highly rated", "top rated", "best rated", "critically
acclaimed", "acclaimed", "high ratings" → min 4.0; "well rated", "well reviewed", "good ratings" →
min 3.5; "rated above 4", "rating over 3.5", "at least 4 stars", "4+ stars", "4 stars and up",
"rated 4 or higher" → min that value ("above" is treated as "at least"). "8/10", "8 out of 10"
are halved, "80%" divided by 20. A bare value above 5 is refused with a hint. There is no upper
rating bound, so "rated below 3" is reported as an unknown term.

Input: 1–500 characters, not only whitespace; anything else raises `InvalidInputError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from core.errors import InvalidInputError
from core.search.filters import LIST_VOCABULARY, MAX_YEAR, MIN_YEAR, MovieFilters
from core.search.parsing import negation
from core.search.parsing.mending import WordMender, phrase_words
from core.search.parsing.numbers import spell_digits

OFFLINE_PARSER = "offline-parser-v2"
MAX_QUERY_CHARS = 500
SHORT_MAX_RUNTIME = 90
LONG_MIN_RUNTIME = 150
APPROX_RUNTIME_MINUTES = 15
APPROX_MONEY_FRACTION = 0.2
APPROX_YEARS = 2
HIGH_RATING = 4.0
GOOD_RATING = 3.5


# --------------------------------------------------------------------------------------------
# Models (`MovieFilters` lives in `core.search.filters`, beside its SQL; re-exported here)
# --------------------------------------------------------------------------------------------


class ParsedQuery(BaseModel):
    """What a query asks for: filters, words not understood, and descriptive text for semantic search."""

    filters: MovieFilters = Field(default_factory=MovieFilters)
    unknown_terms: list[str] = Field(default_factory=list)
    remaining_text: str = ""
    engine: str = OFFLINE_PARSER


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

_GENRE_TERMS: dict[str, tuple[str, ...]] = {
    "action": ("Action",),
    "action packed": ("Action",),
    "adventure": ("Adventure",),
    "adventures": ("Adventure",),
    "animation": ("Animation",),
    "animations": ("Animation",),
    "animated": ("Animation",),
    "cartoon": ("Animation",),
    "cartoons": ("Animation",),
    "anime": ("Animation",),
    "comedy": ("Comedy",),
    "comedies": ("Comedy",),
    "comedic": ("Comedy",),
    "funny": ("Comedy",),
    "humor": ("Comedy",),
    "humour": ("Comedy",),
    "humorous": ("Comedy",),
    "rom com": ("Comedy", "Romance"),
    "rom coms": ("Comedy", "Romance"),
    "romantic comedy": ("Comedy", "Romance"),
    "romantic comedies": ("Comedy", "Romance"),
    "crime": ("Crime",),
    "gangster": ("Crime",),
    "gangsters": ("Crime",),
    "heist": ("Crime",),
    "heists": ("Crime",),
    "mafia": ("Crime",),
    "documentary": ("Documentary",),
    "documentaries": ("Documentary",),
    "docu": ("Documentary",),
    "drama": ("Drama",),
    "dramas": ("Drama",),
    "dramatic": ("Drama",),
    "fantasy": ("Fantasy",),
    "fantasies": ("Fantasy",),
    "film noir": ("Film-Noir",),
    "films noir": ("Film-Noir",),
    "noir": ("Film-Noir",),
    "noirs": ("Film-Noir",),
    "foreign": ("Foreign",),
    "foreign language": ("Foreign",),
    "history": ("History",),
    "historical": ("History",),
    "horror": ("Horror",),
    "horrors": ("Horror",),
    "scary": ("Horror",),
    "slasher": ("Horror",),
    "slashers": ("Horror",),
    "imax": ("IMAX",),
    "musical": ("Musical",),
    "musicals": ("Musical",),
    "music": ("Musical",),
    "mystery": ("Mystery",),
    "mysteries": ("Mystery",),
    "whodunit": ("Mystery",),
    "whodunits": ("Mystery",),
    "whodunnit": ("Mystery",),
    "whodunnits": ("Mystery",),
    "romance": ("Romance",),
    "romances": ("Romance",),
    "romantic": ("Romance",),
    "sci fi": ("Sci-Fi",),
    "science fiction": ("Sci-Fi",),
    "tv movie": ("TV Movie",),
    "tv movies": ("TV Movie",),
    "made for tv": ("TV Movie",),
    "television movie": ("TV Movie",),
    "television movies": ("TV Movie",),
    "thriller": ("Thriller",),
    "thrillers": ("Thriller",),
    "suspense": ("Thriller",),
    "war": ("War",),
    "western": ("Western",),
    "westerns": ("Western",),
}

_STOP_WORDS = frozenset(
    {
        "a", "an", "the", "some", "any", "all", "movie", "movies", "film", "films", "flick", "flicks",
        "picture", "pictures", "cinema", "title", "titles", "with", "and", "or", "but", "also", "plus",
        "show", "shows", "me", "i", "i'm", "im", "i'd", "id", "want", "wanna", "to", "watch", "see", "find",
        "give", "get", "recommend", "recommendations", "recommendation", "suggest", "suggestions", "please",
        "pls", "can", "could", "would", "will", "you", "we", "us", "my", "our", "need", "needs", "looking",
        "look", "search", "for", "something", "anything", "stuff", "one", "ones", "that", "which", "who",
        "whom", "are", "is", "was", "were", "be", "been", "being", "have", "has", "had", "there", "what",
        "good", "great", "best", "nice", "really", "very", "quite", "pretty", "too", "so", "just", "more",
        "most", "of", "in", "on", "at", "by", "from", "into", "lets", "let's", "let", "list", "top",
        "genre", "genres", "kind", "kinds", "type", "types", "sort", "sorts", "tonight", "night", "only",
        "maybe", "perhaps", "ideally", "preferably", "either", "both", "etc", "his", "her", "their", "its",
        "them", "they", "he", "she", "it", "this", "these", "those", "your", "made", "released", "style",
        "category", "categories", "than", "then", "as", "like",
    }
)  # fmt: skip
_NEGATORS = negation.NEGATORS
_NEGATION_FILLERS = negation.FILLERS
# "like" starts a description ("movies like Alien") unless it is the verb ("I'd like comedies").
_LIKE_AS_VERB_AFTER = frozenset(
    {
        "i",
        "we",
        "you",
        "they",
        "would",
        "i'd",
        "we'd",
        "you'd",
        "they'd",
        "do",
        "don't",
        "really",
        "also",
        "might",
    }
)
_MARKER_RE = re.compile(
    r"(?:about|where|featuring|starring|involving|whose|in\s+which|set\s+in|based\s+on|inspired\s+by"
    r"|similar\s+to|reminiscent\s+of)(?![\w'])"
)
_WORD_RE = re.compile(r"[\w$%+<>=~]+(?:['-][\w]+)*")
_SEPARATORS = frozenset(",;.!?")
_END = r"(?![\w'])"


def _flex(phrase: str) -> str:
    """Regex for a phrase whose words may be joined by spaces, hyphens or nothing ("rom-com")."""
    return r"[\s-]*".join(re.escape(word) for word in re.split(r"[\s-]+", phrase.strip()))


# Every phrase a rule lists, collected as the rules are built: the vocabulary typos are mended onto.
_PHRASES: set[str] = set()


def _alt(phrases: Iterable[str]) -> str:
    """Alternation of phrases, longest first so regex order does not cut a phrase short."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    _PHRASES.update(ordered)
    return "(?:" + "|".join(_flex(p) for p in ordered) + ")"


_GENRE_ALT = _alt(_GENRE_TERMS)
_GENRE_FIND = re.compile(r"(?<![\w])" + _GENRE_ALT + _END)
_GENRE_LOOKUP = {re.sub(r"[\s-]+", "", term): genres for term, genres in _GENRE_TERMS.items()}

_MAX_CMP = _alt(
    [
        "under", "less than", "shorter than", "below", "at most", "no more than", "no longer than",
        "not more than", "not over", "max", "maximum", "up to", "within", "cheaper than", "lower than",
        "smaller than", "fewer than",
    ]
) + "|<=|<|≤"  # fmt: skip
_MIN_CMP = _alt(
    [
        "over", "more than", "longer than", "above", "at least", "no less than", "no shorter than",
        "not less than", "min", "minimum", "exceeding", "greater than", "higher than", "bigger than",
        "larger than", "north of", "in excess of", "upwards of",
    ]
) + "|>=|>|≥"  # fmt: skip
_APPROX_CMP = _alt(["around", "about", "roughly", "approximately", "approx", "circa", "close to", "nearly"]) + "|~"


def _cmp_kind(word: str | None) -> str | None:
    """'max', 'min', 'approx' or None for a comparison word matched by the alternations above."""
    if word is None:
        return None
    word = re.sub(r"\s+", " ", word.strip())
    for kind, pattern in (("max", _MAX_CMP), ("min", _MIN_CMP), ("approx", _APPROX_CMP)):
        if re.fullmatch(f"(?:{pattern})", word):
            return kind
    return None


# --------------------------------------------------------------------------------------------
# Parser state and rules
# --------------------------------------------------------------------------------------------

Effect = dict[str, Any]


@dataclass
class _State:
    bounds: dict[str, float] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, set[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    segments: list[list[str]] = field(default_factory=list)
    money_field: str = "revenue"

    def apply(self, effect: Effect, negated: bool) -> bool:
        """Merge one rule's effect; False when a negated effect cannot be expressed as a filter."""
        if negated:
            if set(effect) == {"genres"}:
                effect = {"exclude_genres": effect["genres"]}
            elif len(effect) == 1 and next(iter(effect)) in LIST_VOCABULARY:
                key, values = next(iter(effect.items()))
                self.excluded.setdefault(key, set()).update(values)
                return True
            else:
                return False
        for key, value in effect.items():
            if key.startswith("min_"):
                self.bounds[key] = max(self.bounds.get(key, value), value)
            elif key.startswith("max_"):
                self.bounds[key] = min(self.bounds.get(key, value), value)
            else:
                bucket = self.lists.setdefault(key, [])
                bucket.extend(v for v in value if v not in bucket)
        if any("budget" in key for key in effect):
            self.money_field = "budget"
        elif any("revenue" in key for key in effect):
            self.money_field = "revenue"
        return True


Handler = Callable[[re.Match[str], _State], Effect | None]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    handler: Handler
    strong: bool
    strong_groups: tuple[str, ...]

    def is_strong(self, match: re.Match[str]) -> bool:
        return self.strong or any(match.group(name) for name in self.strong_groups)


_RULES: list[_Rule] = []


def _rule(pattern: str, *, strong: bool = False, strong_if: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    """Register a rule; `strong_if` names groups whose presence makes a match strong."""

    def register(handler: Handler) -> Handler:
        _RULES.append(_Rule(re.compile(pattern + _END), handler, strong, strong_if))
        return handler

    return register


def _words_rule(phrases: Iterable[str], effect: Effect, *, strong: bool) -> None:
    """A rule for a fixed list of phrases that all mean the same filter."""
    _rule(_alt(phrases), strong=strong)(lambda _m, _s: dict(effect))


# ---- genres -------------------------------------------------------------------------------

_GENRE_ITEM = _GENRE_ALT + r"(?:\s+(?:movies?|films?|flicks?))?"
_NEGATION_ALT = negation.NEGATION_ALT


def _genres_in(text: str) -> list[str]:
    found: list[str] = []
    for match in _GENRE_FIND.finditer(text):
        for genre in _GENRE_LOOKUP[re.sub(r"[\s-]+", "", match.group())]:
            if genre not in found:
                found.append(genre)
    return found


@_rule(
    _NEGATION_ALT
    + r"(?:\s+(?:a|an|any|the))?[\s-]+"
    + _GENRE_ITEM
    + r"(?:\s*,?\s*(?:or|nor)\s+(?:any\s+|an?\s+)?"
    + _GENRE_ITEM
    + ")*",
    strong=True,
)
def _excluded_genres(match: re.Match[str], _state: _State) -> Effect:
    return {"exclude_genres": _genres_in(match.group())}


@_rule(_GENRE_ALT)
def _genre(match: re.Match[str], _state: _State) -> Effect:
    return {"genres": _genres_in(match.group())}


# ---- years and decades ----------------------------------------------------------------------

_YEAR = r"(?:18[7-9]\d|19\d\d|20\d\d|2100)"
_DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
    "noughties": 2000,
    "aughts": 2000,
}


def _period(p: str) -> str:
    """A year or a decade, with named groups prefixed by `p` so one regex can hold two periods."""
    return (
        rf"(?:(?P<{p}year>{_YEAR})(?![\d'])(?!s\b)"
        rf"|(?:(?P<{p}part>early|mid|late)[\s-]*)?(?:(?P<{p}d4>18[7-9]0|19\d0|20\d0)'?s"
        rf"|'?(?P<{p}d2>\d0)'?s|(?P<{p}word>{'|'.join(_DECADE_WORDS)})))"
    )


def _period_span(match: re.Match[str], p: str) -> tuple[int, int]:
    """First and last year of the period matched under prefix `p`."""
    year = match.group(f"{p}year")
    if year:
        return int(year), int(year)
    if match.group(f"{p}d4"):
        start = int(match.group(f"{p}d4"))
    elif match.group(f"{p}d2"):
        two = int(match.group(f"{p}d2"))
        start = 2000 + two if two in (0, 10) else 1900 + two  # "00s", "10s" are this century
    else:
        start = _DECADE_WORDS[match.group(f"{p}word")]
    part = match.group(f"{p}part")
    if part == "early":
        return start, start + 3
    if part == "mid":
        return start + 4, start + 6
    if part == "late":
        return start + 7, start + 9
    return start, start + 9


_YEAR_CMP: dict[str, str] = {
    "after": "gt",
    "post": "gt",
    "later than": "gt",
    "newer than": "gt",
    "more recent than": "gt",
    "since": "ge",
    "starting": "ge",
    "starting from": "ge",
    "starting in": "ge",
    "not before": "ge",
    "before": "lt",
    "pre": "lt",
    "prior to": "lt",
    "earlier than": "lt",
    "older than": "lt",
    "until": "le",
    "till": "le",
    "up to": "le",
    "up until": "le",
    "through": "le",
    "thru": "le",
    "no later than": "le",
    "not after": "le",
    "in": "eq",
    "from": "eq",
    "of": "eq",
    "during": "eq",
    "around": "approx",
    "circa": "approx",
    "approximately": "approx",
    "roughly": "approx",
}
_YEAR_CMP_BY_KEY = {re.sub(r"\s+", "", k): v for k, v in _YEAR_CMP.items()}
_LEAD = r"(?:(?P<lead>released|made|produced|filmed|came\s+out|coming\s+out)\s+)"
_LATER_SUFFIX = r"\s*\+|\s+(?:or|and)\s+(?:later|after|newer|up|beyond|since|onwards?)|\s+onwards?"
_EARLIER_SUFFIX = r"\s+(?:or|and)\s+(?:earlier|before|older|prior)"


@_rule(
    _LEAD
    + r"?(?:(?P<cmp>"
    + _alt(_YEAR_CMP)
    + r")[\s-]*)?(?:the\s+(?:year\s+)?)?"
    + _period("")
    + r"(?:(?P<later>"
    + _LATER_SUFFIX
    + r")|(?P<earlier>"
    + _EARLIER_SUFFIX
    + r"))?",
    strong_if=("lead", "cmp", "later", "earlier"),
)
def _year(match: re.Match[str], _state: _State) -> Effect:
    first, last = _period_span(match, "")
    cmp = match.group("cmp")
    kind = _YEAR_CMP_BY_KEY[re.sub(r"[\s-]+", "", cmp)] if cmp else "eq"
    if match.group("later") and kind == "eq":
        kind = "ge"
    if match.group("earlier") and kind == "eq":
        kind = "le"
    if kind == "gt":
        return {"min_year": last + 1}
    if kind == "ge":
        return {"min_year": first}
    if kind == "lt":
        return {"max_year": first - 1}
    if kind == "le":
        return {"max_year": last}
    if kind == "approx" and first == last:
        return {"min_year": first - APPROX_YEARS, "max_year": last + APPROX_YEARS}
    return {"min_year": first, "max_year": last}


def _year_range(match: re.Match[str], _state: _State) -> Effect:
    a_first, a_last = _period_span(match, "a")
    b_first, b_last = _period_span(match, "b")
    if a_first > b_last:  # "2015-2010": the user means the same range
        a_first, a_last, b_first, b_last = b_first, b_last, a_first, a_last
    return {"min_year": a_first, "max_year": b_last}


_rule(
    _LEAD + r"?(?:in\s+)?between\s+(?:the\s+)?" + _period("a") + r"\s*(?:and|-|to)\s*(?:the\s+)?" + _period("b"),
    strong=True,
)(_year_range)
_rule(
    _LEAD
    + r"?(?:(?P<cmp>from|in)\s+)?(?:the\s+)?"
    + _period("a")
    + r"\s*(?:-|\s(?:to|until|till|through|thru)\s)\s*(?:the\s+)?"
    + _period("b"),
    strong_if=("lead", "cmp"),
)(_year_range)


_rule(
    _LEAD
    + r"?(?:(?P<cmp>from|in|of|during)\s+)?(?:the\s+)?"
    + _period("a")
    + r"\s*,?\s+(?:or|and)\s+(?:the\s+)?"
    + _period("b"),
    strong_if=("lead", "cmp"),
)(_year_range)  # "from the 40s or 50s": the user accepts either, so the span covers both


# ---- runtime --------------------------------------------------------------------------------

_HOUR_NUMBER = r"(?:\d+(?:\.\d+)?(?:\s+and\s+a\s+half)?|an?|one|two|three|four)"
_DURATION = (
    rf"(?:{_HOUR_NUMBER}[\s-]*(?:hours?|hrs?|h)(?![\w'])(?:\s*(?:and\s+)?(?:a\s+half|\d+\s*(?:minutes?|mins?|m)))?"
    r"|\d+[\s-]*(?:minutes?|mins?))"
)
_DURATION_RE = re.compile(
    r"(?P<h>\d+(?:\.\d+)?|an?|one|two|three|four)(?P<half1>\s+and\s+a\s+half)?[\s-]*(?:hours?|hrs?|h)"
    r"(?:\s*(?:and\s+)?(?:(?P<half2>a\s+half)|(?P<m>\d+)\s*(?:minutes?|mins?|m)))?$"
    r"|(?P<only>\d+)[\s-]*(?:minutes?|mins?)$"
)
_HOUR_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0}
_RUNTIME_KW = r"(?:(?:with\s+)?(?:an?\s+)?(?:runtime|running\s+time|run\s+time|length|duration)\s+(?:of\s+|is\s+)?)"


def _duration_minutes(text: str) -> int:
    """Minutes in a duration phrase matched by `_DURATION`."""
    match = _DURATION_RE.match(text.strip())
    if match is None:  # unreachable for text matched by _DURATION; be safe anyway
        raise InvalidInputError(f"Could not read the duration {text!r}; write it like '90 minutes' or '2 hours'.")
    if match.group("only"):
        return int(match.group("only"))
    hours_text = match.group("h")
    hours = _HOUR_WORDS.get(hours_text) or float(hours_text)
    if match.group("half1") or match.group("half2"):
        hours += 0.5
    return round(hours * 60 + int(match.group("m") or 0))


def _runtime_effect(kind: str | None, minutes: int) -> Effect:
    if kind == "max":
        return {"max_runtime": minutes}
    if kind == "min":
        return {"min_runtime": minutes}
    return {
        "min_runtime": max(0, minutes - APPROX_RUNTIME_MINUTES),
        "max_runtime": minutes + APPROX_RUNTIME_MINUTES,
    }


@_rule(
    _RUNTIME_KW + rf"?(?P<cmp>{_MAX_CMP}|{_MIN_CMP}|{_APPROX_CMP})\s*(?P<d>{_DURATION})(?:\s+(?:long|in\s+length))?",
    strong=True,
)
def _runtime_compared(match: re.Match[str], _state: _State) -> Effect:
    return _runtime_effect(_cmp_kind(match.group("cmp")), _duration_minutes(match.group("d")))


_MAX_SUFFIX = r"or\s+(?:less|shorter|under|fewer)|max(?:imum)?|tops|at\s+most|and\s+under"
_MIN_SUFFIX = r"or\s+(?:more|longer|over)|plus|and\s+(?:up|over|longer)|at\s+least|minimum"


@_rule(
    _RUNTIME_KW + rf"?(?P<d>{_DURATION})\s*(?:(?P<max>{_MAX_SUFFIX})|(?P<min>{_MIN_SUFFIX})|(?P<approx>or\s+so))",
    strong=True,
)
def _runtime_suffixed(match: re.Match[str], _state: _State) -> Effect:
    kind = "max" if match.group("max") else "min" if match.group("min") else None
    return _runtime_effect(kind, _duration_minutes(match.group("d")))


@_rule(r"(?P<n>\d+(?:\.\d+)?)\s*\+\s*(?P<u>hours?|hrs?|h|minutes?|mins?)(?:\s+(?:long|in\s+length))?", strong=True)
def _runtime_plus(match: re.Match[str], _state: _State) -> Effect:
    return _runtime_effect("min", _duration_minutes(f"{match.group('n')} {match.group('u')}"))


def _runtime_range(match: re.Match[str], _state: _State) -> Effect:
    high = _duration_minutes(match.group("b"))
    unit = match.group("au")
    if unit is None:  # "90-120 minutes", "1.5 to 2 hours": the first number takes the second's unit
        unit = "hours" if re.search(r"h", re.sub(r"\d|\.", "", match.group("b"))) else "minutes"
    low = _duration_minutes(f"{match.group('a')} {unit}")
    low, high = min(low, high), max(low, high)
    return {"min_runtime": low, "max_runtime": high}


_RANGE_FIRST = r"(?P<a>\d+(?:\.\d+)?)\s*(?P<au>hours?|hrs?|minutes?|mins?)?"
# "2 hours long": the trailing "long" belongs to the duration, it does not ask for a long film.
_LONG_TAIL = r"(?:\s+(?:long|in\s+length))?"
_rule(
    _RUNTIME_KW + rf"?between\s+{_RANGE_FIRST}\s*(?:and|-|to)\s*(?P<b>{_DURATION}){_LONG_TAIL}",
    strong=True,
)(_runtime_range)
_rule(
    _RUNTIME_KW + rf"?(?:from\s+)?{_RANGE_FIRST}\s*(?:-|\sto\s)\s*(?P<b>{_DURATION}){_LONG_TAIL}",
    strong=True,
)(_runtime_range)


@_rule(rf"(?:an?\s+)?(?P<d>{_DURATION})(?:\s+long)?")
def _runtime_bare(match: re.Match[str], _state: _State) -> Effect:
    return _runtime_effect(None, _duration_minutes(match.group("d")))


_words_rule(["short", "shorter", "short length"], {"max_runtime": SHORT_MAX_RUNTIME}, strong=False)
_words_rule(["long", "longer", "lengthy", "epic length"], {"min_runtime": LONG_MIN_RUNTIME}, strong=False)


# ---- money ----------------------------------------------------------------------------------

_UNIT = r"(?:k|thousand|m|mm|mn|mil|mill|mio|millions?|b|bn|billions?)"
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_CURRENCY = r"(?:\s*(?:dollars|usd|bucks))?"
_AMOUNT = (
    rf"(?:\$\s*{_NUMBER}(?:\s*{_UNIT}(?![\w']))?{_CURRENCY}"
    rf"|{_NUMBER}\s*{_UNIT}(?![\w']){_CURRENCY}"
    rf"|{_NUMBER}\s*(?:dollars|usd|bucks)"
    rf"|(?:a|one)\s+(?:thousand|million|billion)(?![\w']){_CURRENCY})"
)
_AMOUNT_OR_NUMBER = rf"(?:{_AMOUNT}|{_NUMBER})"
_UNIT_VALUES = {"k": 1e3, "thousand": 1e3, "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9}

_BUDGET_NOUNS = ["budget", "budgets", "production budget"]
_BUDGET_VERBS = ["cost", "costs", "costing", "made for", "produced for"]
_REVENUE_NOUNS = ["revenue", "revenues", "box office", "gross", "grosses", "takings", "earnings"]
_REVENUE_VERBS = ["grossed", "grossing", "earned", "earning", "made", "making", "took in", "brought in"]
_MONEY_NOUN = "(?P<field>" + _alt(_BUDGET_NOUNS + _REVENUE_NOUNS) + ")"
_MONEY_VERB = "(?P<field>" + _alt(_BUDGET_VERBS + _REVENUE_VERBS) + ")"
_MONEY_NOUN_AFTER = "(?P<field2>" + _alt(_BUDGET_NOUNS + _REVENUE_NOUNS) + ")"
_BUDGET_KEYS = {re.sub(r"\s+", "", w) for w in _BUDGET_NOUNS + _BUDGET_VERBS}


def _money_field(match: re.Match[str], state: _State) -> str:
    """'budget' or 'revenue': what the phrase names, else what the query last talked about."""
    for name in ("field", "field2"):
        word = match.groupdict().get(name)
        if word:
            return "budget" if re.sub(r"\s+", "", word) in _BUDGET_KEYS else "revenue"
    return state.money_field


def _dollars(text: str, unit_fallback: str | None = None) -> int:
    """Dollar value of an amount ("$1.5b", "100 million", "$100,000,000")."""
    number = re.search(_NUMBER, text)
    if number is None:
        one = re.search(r"(?:a|one)\s+(thousand|million|billion)", text)  # "a million dollars"
        if one is None:  # unreachable: every caller matched an amount
            raise InvalidInputError(f"Could not read the amount {text!r}; write it like '$10M' or '10 million'.")
        return round(_UNIT_VALUES.get(one.group(1), 1e6))
    value = float(number.group().replace(",", ""))
    unit_match = re.match(r"\s*(" + _UNIT + r")(?![\w'])", text[number.end() :])
    unit = unit_match.group(1) if unit_match else unit_fallback
    if unit is not None:
        value *= _UNIT_VALUES.get(unit, 1e6)  # every other unit spelling means million
    elif value < 1000 and not any(sign in text for sign in ("$", "dollar", "usd", "buck")):
        # "budget under 10": ten dollars is surely not what was meant, and guessing a unit is worse
        raise InvalidInputError(
            f"'{text.strip()}' has no unit; write the amount like '$10M', '10 million' or '$10,000,000'."
        )
    return round(value)


def _unit_of(text: str) -> str | None:
    match = re.search(_NUMBER + r"\s*(" + _UNIT + r")(?![\w'])", text)
    return match.group(1) if match else None


def _money_effect(field_name: str, kind: str | None, amount: int) -> Effect:
    if kind == "max":
        return {f"max_{field_name}": amount}
    if kind == "min":
        return {f"min_{field_name}": amount}
    return {
        f"min_{field_name}": round(amount * (1 - APPROX_MONEY_FRACTION)),
        f"max_{field_name}": round(amount * (1 + APPROX_MONEY_FRACTION)),
    }


_MONEY_CMP = rf"(?P<cmp>{_MAX_CMP}|{_MIN_CMP}|{_APPROX_CMP})"
_MONEY_LEAD = r"(?:(?:with|having)\s+)?(?:an?\s+|the\s+)?"
_MONEY_LINK = r"\s+(?:(?:is|was|of|at)\s+)?"
# "over $100m in revenue", "$500m at the box office": the field named after the amount.
_MONEY_TAIL = rf"(?:\s+(?:in\s+|of\s+|at\s+the\s+|worth\s+of\s+)?{_MONEY_NOUN_AFTER})?"


# "$200m or more", "$5m or less": a bound written after the amount instead of before it.
_MONEY_SUFFIX = (
    r"(?:(?P<more>\s+or\s+(?:more|higher|above|over|greater)|\s+and\s+(?:up|over|above))"
    r"|(?P<less>\s+or\s+(?:less|lower|under|below|cheaper)))?"
)


def _money_kind(match: re.Match[str]) -> str | None:
    """The comparison of a money phrase: its leading comparison word, else its "or more/less" suffix."""
    kind = _cmp_kind(match.group("cmp"))
    if kind is None and match.groupdict().get("more"):
        return "min"
    if kind is None and match.groupdict().get("less"):
        return "max"
    return kind


@_rule(
    _MONEY_LEAD + _MONEY_NOUN + _MONEY_LINK + rf"(?:{_MONEY_CMP}\s*)?(?P<amt>{_AMOUNT_OR_NUMBER})" + _MONEY_SUFFIX,
    strong=True,
)
def _money_noun_first(match: re.Match[str], state: _State) -> Effect:
    return _money_effect(_money_field(match, state), _money_kind(match), _dollars(match.group("amt")))


@_rule(
    r"(?:that\s+)?" + _MONEY_VERB + rf"\s+(?:{_MONEY_CMP}\s*)?(?P<amt>{_AMOUNT}){_MONEY_SUFFIX}{_MONEY_TAIL}",
    strong=True,
)
def _money_verb_first(match: re.Match[str], state: _State) -> Effect:
    return _money_effect(_money_field(match, state), _money_kind(match), _dollars(match.group("amt")))


@_rule(
    _MONEY_CMP + rf"\s*(?P<amt>{_AMOUNT}){_MONEY_TAIL}",
    strong=True,
)
def _money_compared(match: re.Match[str], state: _State) -> Effect:
    return _money_effect(_money_field(match, state), _cmp_kind(match.group("cmp")), _dollars(match.group("amt")))


@_rule(r"(?:an?\s+)?" + rf"(?P<amt>{_AMOUNT})\s+(?:in\s+)?{_MONEY_NOUN_AFTER}", strong=True)
def _money_then_field(match: re.Match[str], state: _State) -> Effect:
    return _money_effect(_money_field(match, state), None, _dollars(match.group("amt")))


def _money_range(match: re.Match[str], state: _State) -> Effect:
    high_text = match.group("b")
    high = _dollars(high_text)
    low_text = match.group("a")
    low = _dollars(low_text, unit_fallback=None if _unit_of(low_text) else _unit_of(high_text))
    low, high = min(low, high), max(low, high)
    name = _money_field(match, state)
    return {f"min_{name}": low, f"max_{name}": high}


_MONEY_RANGE_TAIL = rf"(?:\s+(?:in\s+)?{_MONEY_NOUN_AFTER})?"
_rule(
    rf"(?:{_MONEY_LEAD}{_MONEY_NOUN}{_MONEY_LINK})?between\s+(?P<a>{_AMOUNT_OR_NUMBER})\s*(?:and|-|to)\s*"
    rf"(?P<b>{_AMOUNT}){_MONEY_RANGE_TAIL}",
    strong=True,
)(_money_range)
_rule(
    rf"(?:{_MONEY_LEAD}{_MONEY_NOUN}{_MONEY_LINK})?(?:from\s+)?(?P<a>{_AMOUNT_OR_NUMBER})\s*(?:-|\sto\s)\s*"
    rf"(?P<b>{_AMOUNT}){_MONEY_RANGE_TAIL}",
    strong=True,
)(_money_range)


@_rule(rf"(?P<amt>{_AMOUNT})(?:(?P<more>\s+or\s+more|\s+and\s+up)|(?P<less>\s+or\s+less))?")
def _money_bare(match: re.Match[str], state: _State) -> Effect:
    kind = "min" if match.group("more") else "max" if match.group("less") else None
    return _money_effect(state.money_field, kind, _dollars(match.group("amt")))


# ---- tiers ----------------------------------------------------------------------------------

_BUDGET_LEVELS: dict[tuple[str, ...], list[str]] = {
    ("low", "lower", "small", "tiny", "micro", "shoestring"): ["low"],
    ("medium", "mid", "mid range", "moderate", "average", "modest"): ["medium"],
    ("high", "higher", "big", "bigger", "large"): ["high", "ultra_high"],
    (
        "ultra high",
        "very high",
        "very big",
        "huge",
        "massive",
        "enormous",
        "giant",
        "mega",
        "highest",
        "biggest",
    ): ["ultra_high"],
}
_REVENUE_LEVELS: dict[tuple[str, ...], list[str]] = {
    ("low", "lower", "small", "poor", "weak"): ["low"],
    ("medium", "mid", "moderate", "average", "modest", "decent"): ["medium"],
    ("high", "higher", "big", "bigger", "good", "strong", "large", "top"): ["high", "blockbuster"],
    (
        "ultra high",
        "very high",
        "huge",
        "massive",
        "enormous",
        "highest",
        "biggest",
        "record",
        "record breaking",
    ): ["blockbuster"],
}
_BUDGET_WORDS = r"(?:budgets?|budgeted|costs?)"
_REVENUE_WORDS = (
    r"(?:revenues?|grossing|grossers?|gross|earnings?|earners?"
    r"|box[\s-]*office(?:\s+(?:returns|numbers|results|takings|earnings))?)"
)

for _levels, _tiers in _BUDGET_LEVELS.items():
    _rule(rf"(?:with\s+)?(?:an?\s+)?{_alt(_levels)}[\s-]*{_BUDGET_WORDS}", strong=True)(
        lambda _m, _s, tiers=_tiers: {"budget_tiers": list(tiers)}
    )
for _levels, _tiers in _REVENUE_LEVELS.items():
    _rule(rf"(?:with\s+)?(?:an?\s+)?{_alt(_levels)}[\s-]*{_REVENUE_WORDS}", strong=True)(
        lambda _m, _s, tiers=_tiers: {"revenue_tiers": list(tiers)}
    )

_words_rule(["indie", "indies", "independent", "cheap", "cheaply made"], {"budget_tiers": ["low"]}, strong=False)
_words_rule(["expensive", "pricey", "costly"], {"budget_tiers": ["high", "ultra_high"]}, strong=False)
_words_rule(["blockbuster", "blockbusters"], {"revenue_tiers": ["blockbuster"]}, strong=False)
_words_rule(["hit", "hits"], {"revenue_tiers": ["high", "blockbuster"]}, strong=False)
_words_rule(
    [
        "box office hit", "box office hits", "box office success", "box office successes", "box office smash",
        "box office smashes", "smash hit", "smash hits", "commercial hit", "commercial hits",
        "commercial success", "commercial successes", "commercially successful",
    ],
    {"revenue_tiers": ["high", "blockbuster"]},
    strong=True,
)  # fmt: skip
_words_rule(["flop", "flops", "bomb", "bombs"], {"revenue_tiers": ["low"]}, strong=False)
_words_rule(
    [
        "box office flop", "box office flops", "box office bomb", "box office bombs", "box office failure",
        "box office failures", "commercial failure", "commercial failures", "commercial flops",
    ],
    {"revenue_tiers": ["low"]},
    strong=True,
)  # fmt: skip


# ---- sentiment ------------------------------------------------------------------------------

_SENTIMENT_WORDS: dict[str, tuple[str, ...]] = {
    "positive": (
        "positive", "uplifting", "feel good", "happy", "cheerful", "cheery", "heartwarming", "wholesome",
        "optimistic", "lighthearted", "upbeat", "joyful", "joyous", "inspiring", "inspirational", "fun",
        "hopeful",
    ),
    "negative": (
        "negative", "dark", "sad", "bleak", "depressing", "grim", "gloomy", "tragic", "melancholy",
        "melancholic", "disturbing", "gritty", "tearjerker", "tearjerkers", "somber", "sombre", "downbeat",
        "pessimistic", "heartbreaking", "devastating",
    ),
    "mixed": ("mixed", "bittersweet", "bitter sweet", "ambivalent"),
    "neutral": ("neutral",),
}  # fmt: skip
_SENTIMENT_NOUNS = r"(?:sentiment|tone|mood|vibes?|feel(?:ing)?|endings?|atmosphere)"

for _sentiment, _words in _SENTIMENT_WORDS.items():
    _words_rule(_words, {"sentiments": [_sentiment]}, strong=False)
    _rule(rf"(?:with\s+)?(?:an?\s+)?{_alt(_words)}\s+{_SENTIMENT_NOUNS}", strong=True)(
        lambda _m, _s, value=_sentiment: {"sentiments": [value]}
    )
    _rule(rf"{_SENTIMENT_NOUNS}\s+(?:is\s+|of\s+|:\s*)?{_alt(_words)}", strong=True)(
        lambda _m, _s, value=_sentiment: {"sentiments": [value]}
    )


# ---- audience -------------------------------------------------------------------------------

_KIDS_AND_FAMILY = ["kids", "family"]
_rule(
    r"for\s+(?:(?:my|our|the|your|little|young|small)\s+)*(?:kids|children|kiddos|toddlers|little\s+ones"
    r"|an?\s+(?:child|kid))",
    strong=True,
)(lambda _m, _s: {"target_audiences": list(_KIDS_AND_FAMILY)})
TEEN_MIN_AGE = 13
ADULT_MIN_AGE = 18


@_rule(
    r"(?:for\s+)?(?:(?:my|our|the|your|an?)\s+)?(?:(?P<age>\d{1,2})|an?)[\s-]+years?[\s-]+olds?",
    strong=True,
)
def _age_audience(match: re.Match[str], _state: _State) -> Effect:
    """ "for 8 year olds", "my 15-year-old": the audience that age belongs to."""
    age = int(match.group("age") or 1)
    if age < TEEN_MIN_AGE:
        return {"target_audiences": list(_KIDS_AND_FAMILY)}
    return {"target_audiences": ["teens" if age < ADULT_MIN_AGE else "adults"]}


_words_rule(
    ["kid friendly", "child friendly", "children friendly", "suitable for children", "suitable for kids"],
    {"target_audiences": _KIDS_AND_FAMILY},
    strong=True,
)
_words_rule(
    ["kids", "kid", "children", "childrens", "children's", "kids'", "kiddie", "kiddy"],
    {"target_audiences": _KIDS_AND_FAMILY},
    strong=False,
)
_rule(
    r"(?:family[\s-]*friendly|for\s+(?:the\s+)?(?:whole\s+|entire\s+)?famil(?:y|ies)|(?:for\s+|suitable\s+for\s+)?"
    r"all\s+ages|suitable\s+for\s+everyone)",
    strong=True,
)(lambda _m, _s: {"target_audiences": list(_KIDS_AND_FAMILY)})
_words_rule(["family", "families"], {"target_audiences": _KIDS_AND_FAMILY}, strong=False)
_rule(
    r"for\s+(?:(?:my|our|the)\s+)?(?:teens|teenagers|teenager|an?\s+teen(?:ager)?|adolescents|young\s+adults"
    r"|high\s+schoolers)",
    strong=True,
)(lambda _m, _s: {"target_audiences": ["teens"]})
_words_rule(
    ["teen", "teens", "teenager", "teenagers", "teenage", "young adult", "young adults"],
    {"target_audiences": ["teens"]},
    strong=False,
)
_rule(
    r"(?:for\s+(?:adults|grown[\s-]*ups|mature\s+audiences|a\s+mature\s+audience)(?:\s+only)?|adults?\s+only)",
    strong=True,
)(lambda _m, _s: {"target_audiences": ["adults"]})
_words_rule(["adult", "adults", "mature", "grown up", "grown ups"], {"target_audiences": ["adults"]}, strong=False)

_CERTIFICATE_AUDIENCES: dict[str, list[str]] = {
    "g": ["kids", "family"],
    "pg": ["family"],
    "pg13": ["teens"],
    "r": ["adults"],
    "nc17": ["adults"],
}
_CERTIFICATE = r"(?P<c>pg[\s-]*13|nc[\s-]*17|pg|g|r)"


def _certificate(match: re.Match[str], _state: _State) -> Effect:
    key = re.sub(r"[\s-]+", "", match.group("c"))
    return {"target_audiences": list(_CERTIFICATE_AUDIENCES[key])}


_rule(r"rated\s+" + _CERTIFICATE, strong=True)(_certificate)
_rule(_CERTIFICATE + r"[\s-]+rated", strong=True)(_certificate)
_rule(r"(?P<c>pg[\s-]*13|nc[\s-]*17|pg)")(_certificate)


# ---- rating ---------------------------------------------------------------------------------

_words_rule(
    [
        "highly rated", "high rated", "top rated", "best rated", "highest rated", "critically acclaimed",
        "highly regarded", "high rating", "high ratings", "great ratings", "excellent ratings",
        "highly reviewed", "rave reviews",
    ],
    {"min_rating": HIGH_RATING},
    strong=True,
)  # fmt: skip
_words_rule(["acclaimed"], {"min_rating": HIGH_RATING}, strong=False)
_words_rule(
    [
        "well rated", "well reviewed", "well received", "well liked", "good ratings", "good rating",
        "decent ratings", "decently rated", "positively rated", "positively reviewed", "good reviews",
    ],
    {"min_rating": GOOD_RATING},
    strong=True,
)  # fmt: skip

_RATING_CMP = rf"(?P<cmp>{_MIN_CMP}|{_MAX_CMP})"
_RATING_VALUE = (
    r"(?P<n>\d+(?:\.\d+)?)(?P<plus>\s*\+)?"
    r"(?P<scale>\s*(?:/\s*(?:5|10|100)|out\s+of\s+(?:5|10|100))|\s*%)?"
)
_RATING_SUFFIX = r"(?P<suffix>\s+(?:or|and)\s+(?:higher|more|above|better|up|over)|\s+(?:and\s+)?up)?"


def _rating(match: re.Match[str], _state: _State) -> Effect | None:
    if _cmp_kind(match.group("cmp")) == "max":
        return None  # no upper rating bound exists; report the phrase instead of guessing
    value = float(match.group("n"))
    scale = re.sub(r"\s+", "", match.group("scale") or "")
    if scale.endswith("100") or scale == "%":
        value /= 20
    elif scale.endswith("10"):
        value /= 2
    if value > 5:
        raise InvalidInputError(
            f"Ratings are MovieLens stars from 0.5 to 5, so '{match.group().strip()}' cannot be met; "
            f"write e.g. 'rated above 4', '8/10' or '80%'."
        )
    return {"min_rating": value}


_rule(
    r"(?:(?:with\s+)?(?:an?\s+)?(?:(?:average|avg|mean|user|audience)\s+)?(?:rated|ratings?|scored|scores?)"
    r"\s+(?:of\s+|is\s+|at\s+)?)" + rf"(?:{_RATING_CMP}\s*)?{_RATING_VALUE}(?:\s*stars?)?" + _RATING_SUFFIX,
    strong=True,
)(_rating)
_rule(
    rf"(?:{_RATING_CMP}\s*)?{_RATING_VALUE}[\s-]*stars?(?:\s*(?:/\s*(?:5|10)|out\s+of\s+(?:5|10)))?" + _RATING_SUFFIX,
    strong=True,
)(_rating)


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------

# Words the rules spell out in their patterns rather than in phrase lists.
_PATTERN_WORDS = (
    "kids", "children", "toddlers", "family", "families", "teens", "teenagers", "adults", "hours", "minutes",
    "runtime", "length", "duration", "rated", "ratings", "rating", "stars", "million", "billion", "thousand",
    "dollars", "sentiment", "ending", "endings", "mood", "atmosphere", "tone", "vibes", "budget", "budgets",
    "revenue", "revenues", "office", "between", "onwards", "earlier", "later",
)  # fmt: skip
_MENDER = WordMender(
    phrase_words(_PHRASES) | set(_PATTERN_WORDS) | set(_DECADE_WORDS) | {w for w in _STOP_WORDS if len(w) > 4}
)
_UNMENDABLE = _STOP_WORDS | _NEGATORS | _MENDER.vocabulary

_CHAR_MAP = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _lower_same_length(text: str) -> str:
    """Lower-case without changing any character offsets, so spans index the original text too."""
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text.translate(_CHAR_MAP))


def _best_match(text: str, pos: int, strong_only: bool) -> tuple[_Rule, re.Match[str]] | None:
    """Longest rule match at `pos`; ties go to the rule registered first."""
    best: tuple[_Rule, re.Match[str]] | None = None
    for rule in _RULES:
        match = rule.pattern.match(text, pos)
        if match is None or match.end() == pos:
            continue
        if strong_only and not rule.is_strong(match):
            continue
        if best is None or match.end() > best[1].end():
            best = (rule, match)
    return best


def _clean_phrase(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" \t\n,;.!?\"'()")


def _validate(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidInputError("The query must be text, e.g. '90s comedies for kids under 100 minutes'.")
    if not text.strip():
        raise InvalidInputError(
            "The query is empty; describe the movies you want, e.g. '90s comedies for kids under 100 minutes'."
        )
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInputError(
            f"The query is {len(text)} characters long; keep it to {MAX_QUERY_CHARS} or fewer "
            "by leaving out the plot details."
        )
    return text


def _finish_segment(segments: list[list[str]]) -> None:
    """Trim trailing filler from the last description; drop it if only its marker is left."""
    if not segments:
        return
    words = segments[-1]
    while len(words) > 1 and words[-1].lower() in _STOP_WORDS | _NEGATORS:
        words.pop()
    if len(words) <= 1:
        segments.pop()


def _final_lists(state: _State) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key in ("genres", "exclude_genres"):
        if state.lists.get(key):
            result[key] = state.lists[key]
    for key, vocabulary in LIST_VOCABULARY.items():
        chosen = state.lists.get(key, [])
        excluded = state.excluded.get(key, set())
        if excluded:
            base = chosen or list(vocabulary)
            chosen = [v for v in base if v not in excluded]
            if not chosen:
                raise InvalidInputError(
                    f"The query rules out every {key.replace('_', ' ')[:-1]} value; drop one of the conditions."
                )
        if chosen:
            result[key] = chosen
    return result


_LARGEST_NUMBER = 10**15  # beyond any runtime, year or dollar amount; SQLite integers overflow at 2^63


def _bounded_number(key: str, value: float) -> float:
    """`value`, or an error naming the condition when it is too large to mean anything (or to bind)."""
    if not abs(value) <= _LARGEST_NUMBER:  # also refuses inf and nan
        raise InvalidInputError(
            f"The query's {key.replace('_', ' ')} is too large; numbers in a query must be below {_LARGEST_NUMBER:,}."
        )
    return value


def _build_filters(state: _State) -> MovieFilters:
    values: dict[str, Any] = {}
    for key, value in state.bounds.items():
        value = _bounded_number(key, value)
        values[key] = float(value) if key == "min_rating" else round(value)
    values.update(_final_lists(state))
    try:
        return MovieFilters(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            if "year" in where:
                message += f" (years must be {MIN_YEAR}-{MAX_YEAR})"
            problems.append(f"{where}: {message}" if where else message)
        raise InvalidInputError(
            "The query asks for something impossible: " + "; ".join(problems) + ". "
            "Remove or loosen one of those conditions."
        ) from None


@dataclass
class _Reader:
    """One left-to-right pass over a query (rules in the module docstring); `state` collects the result.

    `text` is the query as typed (quoted back in unknown terms and descriptions); `lowered` is its
    same-length lower-cased copy that the rules match.
    """

    text: str
    lowered: str
    state: _State = field(default_factory=_State)
    pos: int = 0
    in_description: bool = False
    pending_negation: int | None = None  # offset of a negation word still looking for its target
    negation_applied: bool = False  # the last phrase was negated, so "or"/"nor" carries the negation on
    previous_word: str = ""
    mended: set[int] = field(default_factory=set)  # offsets already mended, so a word is mended once

    def read(self) -> None:
        """Consume the whole query, one rule match, separator or word at a time."""
        while self.pos < len(self.lowered):
            char = self.lowered[self.pos]
            if char.isspace():
                self.pos += 1
            elif (found := _best_match(self.lowered, self.pos, strong_only=self.in_description)) is not None:
                self._apply_rule(*found)
            elif char in _SEPARATORS:
                self._separator()
            else:
                self._word()
        self._flush_negation(len(self.text))
        self._end_description()

    def _apply_rule(self, rule: _Rule, match: re.Match[str]) -> None:
        """A recognised phrase: merge its filter (negated if a negation waits), or report it as unknown."""
        self._end_description()
        effect = rule.handler(match, self.state)
        negated = self.pending_negation is not None
        start = self.pending_negation if self.pending_negation is not None else match.start()
        if effect is None or not self.state.apply(effect, negated):
            self.state.unknown.append(_clean_phrase(self.text[start : match.end()]))
        self.pending_negation = None
        self.negation_applied = negated
        self.previous_word = (re.findall(r"[\w']+", match.group()) or [""])[-1]
        self.pos = match.end()

    def _separator(self) -> None:
        """Punctuation ends a description and strands a pending negation."""
        self._end_description()
        self._flush_negation(self.pos)
        self.negation_applied = False
        self.pos += 1

    def _word(self) -> None:
        """A word no rule takes: description text, a description marker, a negation, a stop word or unknown."""
        word_match = _WORD_RE.match(self.lowered, self.pos)
        if word_match is None:  # stray symbol such as "(" or "-"
            self.pos += 1
            return
        original = self.text[word_match.start() : word_match.end()]
        if self.in_description:
            self.state.segments[-1].append(original)
            self.pos = word_match.end()
            return
        word = word_match.group()
        marker = _MARKER_RE.match(self.lowered, self.pos)
        if marker is None and word == "like" and self.previous_word not in _LIKE_AS_VERB_AFTER:
            marker = word_match
        if marker is not None:
            self._start_description(marker)
            return
        if self._mend(word_match):
            return  # read again from the same place, now in the vocabulary's words
        self.pos = word_match.end()
        self._plain_word(word, word_match, original)
        self.previous_word = word

    def _mend(self, word_match: re.Match[str]) -> bool:
        """Rewrite an otherwise unknown word as the vocabulary word it is a form or typo of (see `mending`)."""
        word, start, end = word_match.group(), word_match.start(), word_match.end()
        if word in _UNMENDABLE or start in self.mended:
            return False
        if self.pending_negation is not None and word in _NEGATION_FILLERS:
            return False
        replacement = _MENDER.form(word)
        if replacement is None:
            following = _WORD_RE.match(self.lowered, end + 1) if self.lowered[end : end + 1] in " -" else None
            joined = _MENDER.join(word, following.group()) if following is not None else None
            if joined is not None and following is not None:
                replacement, end = joined, following.end()
        replacement = replacement or _MENDER.typo(word)
        if replacement is None:
            return False
        self.mended.add(start)
        self.text = self.text[:start] + replacement + self.text[end:]
        self.lowered = self.lowered[:start] + replacement + self.lowered[end:]
        return True

    def _plain_word(self, word: str, word_match: re.Match[str], original: str) -> None:
        chained = self.negation_applied and word in negation.CHAIN
        self.negation_applied = False
        if word in _NEGATORS or chained:
            self._flush_negation(word_match.start())
            self.pending_negation = word_match.start()
        elif self.pending_negation is not None and word in _NEGATION_FILLERS:
            pass  # "not a horror", "not too long": the negation waits for its target
        elif word in _STOP_WORDS:
            self._flush_negation(word_match.start())
        elif self.pending_negation is not None:
            self.state.unknown.append(_clean_phrase(self.text[self.pending_negation : word_match.end()]))
            self.pending_negation = None
        else:
            self.state.unknown.append(_clean_phrase(original))

    def _start_description(self, marker: re.Match[str]) -> None:
        self._flush_negation(self.pos)
        self.in_description = True
        self.state.segments.append([_clean_phrase(self.text[marker.start() : marker.end()])])
        self.pos = marker.end()

    def _end_description(self) -> None:
        if self.in_description:
            _finish_segment(self.state.segments)
            self.in_description = False

    def _flush_negation(self, end: int) -> None:
        """A negation that found no target is reported, with what followed it, as an unknown term."""
        if self.pending_negation is not None:
            self.state.unknown.append(_clean_phrase(self.text[self.pending_negation : end]))
            self.pending_negation = None


def _unique_terms(terms: Iterable[str]) -> list[str]:
    """Non-empty terms, each once, in the order they were met."""
    return list(dict.fromkeys(term for term in terms if term))


def parse_query(text: str) -> ParsedQuery:
    """Parse a natural-language movie request into typed filters (rules in the module docstring).

    Raises `InvalidInputError` for an empty or over-long query and for impossible filters.
    """
    _validate(text)
    text = spell_digits(negation.rewrite_negations(text))
    reader = _Reader(text, _lower_same_length(text))
    reader.read()
    state = reader.state
    return ParsedQuery(
        filters=_build_filters(state),
        unknown_terms=_unique_terms(state.unknown),
        remaining_text=" ".join(" ".join(words) for words in state.segments),
        engine=OFFLINE_PARSER,
    )
