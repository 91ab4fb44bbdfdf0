"""MCP resources: a movie, a user's taste profile and catalogue statistics, each as JSON from `core`.

Resources are what a client can attach to a conversation without a tool call (the user picks them);
they reuse the same core functions as the tools, so a resource and its tool never disagree.
"""

from __future__ import annotations

from resources import catalog_stats, movie, user_profile
from resources._common import ResourceSpec

ALL_RESOURCES: tuple[ResourceSpec, ...] = (movie.RESOURCE, user_profile.RESOURCE, catalog_stats.RESOURCE)
