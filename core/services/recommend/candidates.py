"""Stage 3: the movies a request's filters allow (None: every movie the model knows)."""

from __future__ import annotations

import numpy as np

from core.data.store.recommendations import movie_ids_matching
from core.runtime import MovieApp
from core.services.recommend.request import Request


async def allowed_movies(app: MovieApp, request: Request) -> tuple[np.ndarray | None, list[str]]:
    """(movie ids the effective filters allow, notes); (None, []) when the request has no filters."""
    if not request.has_filters:
        return None, []
    ids = np.array(await movie_ids_matching(app.db, request.filters), dtype=np.int64)
    return ids, ["no movie matches the filters"] if ids.size == 0 else []
