"""Stage 6: why each pick: the seed movies that contributed most to its score, and the reason text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.to_thread

from core.models.protocols import TopNModel
from core.schemas import Evidence, MovieSummary
from core.search.filters import describe
from core.services.recommend.request import Request
from core.services.recommend.seeds import Seeds

if TYPE_CHECKING:  # scipy-backed models load in the background; the server answers `initialize` first
    from core.models.common import Evidence as Contributions

EVIDENCE_PER_PICK = 3
LIKED_STARS = 3.5  # a rating at or above this reads as "liked"; lower ones as "watched"

Picks = list[tuple[int, float]]


def contributions(model: TopNModel, seeds: Seeds, picks: Picks) -> list[Contributions]:
    """Per pick, the model's (seed movie id, contribution) pairs, largest first (runs in a worker thread)."""
    movie_ids = [mid for mid, _ in picks]
    if seeds.user_id is not None:
        return model.explain_many_for_user(seeds.user_id, movie_ids, top=EVIDENCE_PER_PICK)
    return model.explain_many_from_liked(seeds.rated, movie_ids, top=EVIDENCE_PER_PICK)


async def explain_picks(model: TopNModel, seeds: Seeds, picks: Picks) -> list[Contributions]:
    """`contributions` in a worker thread (the model's linear algebra must not block the event loop)."""
    return await anyio.to_thread.run_sync(contributions, model, seeds, picks)


def evidence(parts: Contributions, summaries: dict[int, MovieSummary], rated: dict[int, float]) -> list[Evidence]:
    """A pick's positive contributions as evidence, each a share of their absolute total."""
    total = sum(abs(c) for _, c in parts) or 1.0
    return [
        Evidence(movie_id=mid, title=summaries[mid].title, rating=rated.get(mid), contribution=round(c / total, 3))
        for mid, c in parts
        if mid in summaries and c > 0
    ]


def _titles(items: list[Evidence]) -> str:
    return ", ".join(f"{e.title} ({e.rating:g}★)" if e.rating is not None else e.title for e in items)


def reason(items: list[Evidence], request: Request) -> str:
    """One sentence: the liked movies behind a pick, then the watched ones, then the filters it matches."""
    liked = [e for e in items if e.rating is None or e.rating >= LIKED_STARS]
    watched = [e for e in items if not (e.rating is None or e.rating >= LIKED_STARS)]
    if liked:
        text = f"Because you liked {_titles(liked)}."
        if watched:
            text += f" Also close to {_titles(watched)}, which you watched."
    elif watched:
        text = f"Close to {_titles(watched)}, which you watched."
    else:
        text = "Popular with people whose ratings resemble yours."
    if request.has_filters:
        text += f" Matches your request: {', '.join(f'{k}={v}' for k, v in describe(request.filters).items())}."
    return text
