"""The filter models: the tools' filter arguments (FilterArguments and its older spellings) turning into
MovieFilters, typed filters combined with a query's, and their SQL."""

from __future__ import annotations

import pytest

from core.errors import InvalidInputError
from core.search.combine import combine_filters
from core.search.filters import (
    FilterArguments,
    MovieFilters,
    OneOf,
    RandomFilters,
    SemanticFilters,
    describe,
    movie_conditions,
    vector_conditions,
    where,
)


@pytest.mark.parametrize("model", [FilterArguments, RandomFilters, SemanticFilters])
def test_every_filter_argument_fills_a_movie_filter(model: type[FilterArguments]) -> None:
    """A new filter argument is either named like a MovieFilters field or says which list it fills."""
    for name, info in model.model_fields.items():
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


def test_the_typed_arguments_cover_every_movie_filter_under_the_same_name() -> None:
    assert list(FilterArguments.model_fields) == list(MovieFilters.model_fields)


def test_an_older_single_value_spelling_adds_to_its_list() -> None:
    filters = SemanticFilters(genre="Comedy", genres=["romance"], sentiment="positive").to_movie_filters()
    assert filters == MovieFilters(genres=["Comedy", "Romance"], sentiments=["positive"])
    assert RandomFilters(genre="Drama").to_movie_filters() == MovieFilters(genres=["Drama"])
    with pytest.raises(InvalidInputError, match="both wanted and excluded: Drama"):
        RandomFilters(genre="Drama", exclude_genres=["Drama"]).to_movie_filters()


def test_vector_conditions_hold_every_membership_test_in_one_subquery() -> None:
    """vec0 refuses a second `movie_id IN (...)` in one query: two genres and a sentiment used to fail."""
    filters = MovieFilters(genres=["Comedy", "Romance"], exclude_genres=["Animation"], sentiments=["positive"])
    sql, params = vector_conditions(filters)
    assert len(sql) == 1 and sql[0].startswith("movie_id IN (SELECT m.movie_id FROM movies m WHERE ")
    assert params == ["Comedy", "Romance", "Animation", "positive"]


# --- typed filters combined with a query's ------------------------------------------------------
def test_combining_adds_genres_and_keeps_the_tighter_bounds() -> None:
    typed = MovieFilters(genres=["Comedy"], min_year=1990, max_year=2010, min_rating=3.0)
    parsed = MovieFilters(exclude_genres=["Animation"], min_year=1995, max_runtime=100, min_rating=2.0)
    assert combine_filters(typed, parsed, "q") == MovieFilters(
        genres=["Comedy"], exclude_genres=["Animation"], min_year=1995, max_year=2010, max_runtime=100, min_rating=3.0
    )


def test_combining_label_lists_keeps_what_both_allow() -> None:
    typed = MovieFilters(target_audiences=["kids", "family"], budget_tiers=["low"])
    parsed = MovieFilters(target_audiences=["family", "teens"])
    combined = combine_filters(typed, parsed, "q")
    assert combined.target_audiences == ["family"] and combined.budget_tiers == ["low"]


def test_combining_with_nothing_changes_nothing() -> None:
    typed = MovieFilters(genres=["War"], max_budget=5)
    assert combine_filters(typed, MovieFilters(), "q") == typed
    assert combine_filters(MovieFilters(), typed, "q") == typed


@pytest.mark.parametrize(
    ("typed", "parsed", "named"),
    [
        (MovieFilters(genres=["Comedy"]), MovieFilters(exclude_genres=["Comedy"]), "Comedy is wanted by the filter"),
        (MovieFilters(exclude_genres=["Horror"]), MovieFilters(genres=["Horror"]), "Horror is wanted by the query 'q'"),
        (MovieFilters(min_year=2000), MovieFilters(max_year=1989), "min_year=2000 from the filter arguments"),
        (MovieFilters(max_runtime=90), MovieFilters(min_runtime=120), "min_runtime=120 from the query 'q'"),
        (MovieFilters(sentiments=["positive"]), MovieFilters(sentiments=["negative"]), "shares nothing"),
    ],
)
def test_a_contradiction_names_both_sides(typed: MovieFilters, parsed: MovieFilters, named: str) -> None:
    with pytest.raises(InvalidInputError, match="the filter arguments and the query 'q' contradict") as caught:
        combine_filters(typed, parsed, "q")
    assert named in str(caught.value)
