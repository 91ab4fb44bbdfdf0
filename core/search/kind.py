"""The kind of film a plot description opens with: "30s screwball comedy, spoiled heiress on a bus...".

People often start with what kind of film it was (decade, genre, country, "old", "black and white") and
then tell the plot. Those first words describe the catalogue entry, not the story, so the plot's
embedding leaves them out, and the genres and decades among them rank up films of that kind in lists
of their own (`core.search.hybrid`), never filter others out: a person can misremember the decade.
Only a leading run of such words counts, ended by a comma or by "where", "about", "in which" or
"with": the same words inside the plot ("goes back to the 50s", "musical notes") are the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from core.errors import InvalidInputError
from core.search.combine import combine_filters
from core.search.filters import MovieFilters
from core.search.query_parser import parse_query

_KIND_WORDS = (
    r"old|classic|cult|silent|foreign|indie|low[- ]budget|black and white|b&w"
    r"|french|german|italian|japanese|korean|spanish|british|chinese|swedish|russian|indian"
    r"|(?:early |late |mid[- ])?(?:19|20)?\d0'?s"
    r"|sci[- ]?fi|science fiction|horror|comedy|screwball|romantic|rom[- ]?com|musical|thriller|film noir|noir"
    r"|animated|cartoon|anime|disney|war|western|drama|kids|family|teen|action|crime|mystery|fantasy|documentary"
    r"|sad|funny|scary|really|super|kinda"
    r"|movie|film|flick|one|a|an|the|this|that|some"
)
_KIND_RE = re.compile(
    rf"^\s*((?:(?:{_KIND_WORDS})\s+)*(?:{_KIND_WORDS}))\s*(?:,|\bwhere\b|\babout\b|\bin which\b|\bwith\b)\s*",
    re.IGNORECASE,
)
_ERAS = ((r"\bsilent\b", 1929), (r"\bblack and white\b|\bb&w\b", 1965), (r"\bold\b|\bclassic\b", 1979))
MIN_PLOT_WORDS = 3  # less than this after the kind words: the whole text is the description


@dataclass(frozen=True)
class KindOfFilm:
    """A description split into its leading kind-of-film words ("" when none) and its plot."""

    words: str
    plot: str


def split_kind(text: str) -> KindOfFilm:
    """`text` as its leading kind-of-film words and the plot that follows them."""
    match = _KIND_RE.match(text)
    if match is None:
        return KindOfFilm("", text)
    plot = text[match.end() :].strip()
    if len(re.findall(r"\w+", plot)) < MIN_PLOT_WORDS:
        return KindOfFilm("", text)
    return KindOfFilm(match.group(1).strip(), plot)


def kind_filters(kind: KindOfFilm, filters: MovieFilters) -> MovieFilters | None:
    """The genres and years the kind words name, within `filters`; None when they name neither, or when
    they contradict the filters (then the filters alone decide)."""
    if not kind.words:
        return None
    try:
        named = parse_query(kind.words).filters
        # A vague era word yields to a decade the person named: "black and white 70s movie" is a 70s film.
        eras = [year for year in _era_ends(kind.words) if named.min_year is None or year >= named.min_year]
        latest = min([named.max_year, *eras], key=lambda y: y if y is not None else 10_000)
        if not (named.genres or named.min_year is not None or latest is not None):
            return None
        hint = MovieFilters(genres=named.genres, min_year=named.min_year, max_year=latest)
        return combine_filters(filters, hint, kind.words)
    except (InvalidInputError, ValidationError):  # the kind only ranks films up: words it cannot use add nothing
        return None


def _era_ends(words: str) -> list[int]:
    """The latest year each era word allows: "silent" films ended by 1929, "black and white" ones by the
    mid-60s, and what people call "old" or "classic" is before 1980."""
    return [year for pattern, year in _ERAS if re.search(pattern, words, re.IGNORECASE)]
