"""Whether a catalogue has plot text, and what to tell a user when it does not.

Without overviews (the embedded default), plot search can only rank on titles, years, genres and
tags; the answer says so and names the build that adds plots, rather than passing title matches off
as plot matches.
"""

from __future__ import annotations

# Below this share of movies with an overview, plot search is mostly title and genre matching.
MIN_PLOT_SHARE = 0.5
PLOT_BUILD = "movie-mcp build --from movies-dataset DIR (Kaggle 'The Movies Dataset' layout, with TMDB overviews)"


def thin_plot_note(movies: int, with_plot: int) -> str | None:
    """The note for a catalogue with too little plot text, None when plots are there to search."""
    if movies and with_plot / movies >= MIN_PLOT_SHARE:
        return None
    return (
        f"plot text is missing: {with_plot:,} of {movies:,} movies have an overview, so plot search ranks on "
        f"titles, years, genres and tags only and may miss a film described by its story; {PLOT_BUILD} adds plots"
    )
