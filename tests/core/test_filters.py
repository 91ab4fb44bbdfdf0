"""The filter models: SemanticFilters (the semantic_search arguments) turning into MovieFilters, and their SQL."""

from __future__ import annotations

import pytest

from core.errors import InvalidInputError
from core.search.filters import (
    MovieFilters,
    OneOf,
    SemanticFilters,
    describe,
    movie_conditions,
    vector_conditions,
    where,
)


def test_every_semantic_filter_fills_a_movie_filter() -> None:
    """A new SemanticFilters field is either named like a MovieFilters field or says which list it fills."""
    for name, info in SemanticFilters.model_fields.items():
        targets = [m.target for m in info.metadata if isinstance(m, OneOf)]
        assert len(targets) <= 1, name
        target = targets[0] if targets else name
        assert target in MovieFilters.model_fields, f"{name} fills no MovieFilters field"
        assert info.description, f"{name} has no description (it is a tool argument)"


def test_single_values_become_one_item_lists_and_bounds_pass_through() -> None:
    filters = SemanticFilters(
        genre="sci-fi", min_year=1990, max_runtime=120.0, sentiment="positive", target_audience="kids"
    ).to_movie_filters()
    assert filters == MovieFilters(
        genres=["Sci-Fi"], min_year=1990, max_runtime=120, sentiments=["positive"], target_audiences=["kids"]
    )
    assert describe(filters) == {
        "genres": ["Sci-Fi"],
        "min_year": 1990,
        "max_runtime": 120,
        "sentiments": ["positive"],
        "target_audiences": ["kids"],
    }


def test_no_semantic_filters_is_no_movie_filter() -> None:
    filters = SemanticFilters().to_movie_filters()
    assert filters.is_empty()
    assert where(vector_conditions(filters)) == ("", [])


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"min_year": 2000, "max_year": 1990}, "min_year"),
        ({"genre": "Opera"}, "unknown genre 'Opera'"),
        ({"min_runtime": 90.5}, "min_runtime"),  # MovieFilters counts whole minutes
    ],
)
def test_contradictions_are_invalid_input_naming_the_field(arguments: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidInputError, match=named):
        SemanticFilters(**arguments).to_movie_filters()  # type: ignore[arg-type]


def test_the_two_sql_targets_differ_only_where_unknown_values_are_stored_differently() -> None:
    filters = MovieFilters(genres=["Comedy"], max_year=1999, min_budget=1_000_000)
    movie_sql, movie_params = movie_conditions(filters)
    vector_sql, vector_params = vector_conditions(filters)
    assert movie_sql[:2] == ["m.year <= ?", "m.budget >= ?"] and movie_params == [1999, 1_000_000, "Comedy"]
    # vec0 stores an unknown year as -1, so an upper bound also excludes it.
    assert vector_sql[:3] == ["year <= ?", "year >= 0", "budget >= ?"]
    assert vector_params == [1999, 1_000_000.0, "Comedy"]
    assert where((movie_sql, movie_params), "AND")[0].startswith(" AND m.year <= ?")
