"""catalog://stats: what the catalogue holds."""

from __future__ import annotations

from core.runtime import MovieApp
from core.services.catalogue_stats import catalogue_stats
from resources._common import ResourceSpec, as_json
from tools._errors import core_errors_as


async def catalog_stats(app: MovieApp) -> str:
    # A static resource: the SDK passes no Context, so the app is bound at registration (`ResourceSpec.bind`).
    with core_errors_as("resource"):
        return await as_json(catalogue_stats(app))


RESOURCE = ResourceSpec(
    fn=catalog_stats,
    uri="catalog://stats",
    name="catalog_stats",
    title="Catalogue statistics",
    description=(
        "What the catalogue holds: counts of movies, users, ratings and tags; the user id and year ranges;"
        " coverage of overview, budget, revenue and other fields; movies per genre; the ratings histogram;"
        " and enrichment counts per sentiment, tier, audience and engine."
    ),
)
