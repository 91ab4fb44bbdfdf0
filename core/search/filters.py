"""Turn typed `MovieFilters` into parameterised SQL conditions.

Two targets: the `movies` table (aliased `m`) and the `movie_vectors` vec0 table, whose numeric
metadata columns are filtered inside the KNN scan. Genre and enrichment filters become
`movie_id IN (subquery)` conditions, which vec0 also applies inside the scan, so a filtered semantic
search still returns k results whenever k movies match.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.data.genres import CANONICAL_GENRES
from core.errors import InvalidInputError
from core.search.query_parser import MovieFilters

Conditions = tuple[list[str], list[Any]]

_NUMERIC = (
    ("year", "min_year", ">="),
    ("year", "max_year", "<="),
    ("runtime", "min_runtime", ">="),
    ("runtime", "max_runtime", "<="),
    ("budget", "min_budget", ">="),
    ("budget", "max_budget", "<="),
    ("revenue", "min_revenue", ">="),
    ("revenue", "max_revenue", "<="),
)


def _membership_conditions(f: MovieFilters, id_column: str) -> Conditions:
    """Genre, enrichment and rating filters as subqueries on the movie id."""
    sql: list[str] = []
    params: list[Any] = []
    genre_ids = "SELECT mg.movie_id FROM movie_genres mg JOIN genres g USING (genre_id) WHERE g.name = ?"
    for genre in f.genres:  # every listed genre must be present ("romantic comedy" = Romance AND Comedy)
        sql.append(f"{id_column} IN ({genre_ids})")
        params.append(genre)
    for genre in f.exclude_genres:
        sql.append(f"{id_column} NOT IN ({genre_ids})")
        params.append(genre)
    for column, values in (
        ("sentiment", f.sentiments),
        ("budget_tier", f.budget_tiers),
        ("revenue_tier", f.revenue_tiers),
        ("target_audience", f.target_audiences),
    ):
        if values:
            marks = ",".join("?" * len(values))
            sql.append(f"{id_column} IN (SELECT movie_id FROM enrichments WHERE {column} IN ({marks}))")
            params.extend(values)
    if f.min_rating is not None:
        sql.append(f"{id_column} IN (SELECT movie_id FROM movies WHERE rating_mean >= ?)")
        params.append(f.min_rating)
    return sql, params


def movie_conditions(f: MovieFilters) -> Conditions:
    """Conditions on `movies m`; unknown values (NULL) never pass a numeric filter."""
    sql, params = [], []
    for column, field, op in _NUMERIC:
        value = getattr(f, field)
        if value is not None:
            sql.append(f"m.{column} {op} ?")
            params.append(value)
    more_sql, more_params = _membership_conditions(f, "m.movie_id")
    return sql + more_sql, params + more_params


def vector_conditions(f: MovieFilters) -> Conditions:
    """Conditions on `movie_vectors`; unknown numbers are stored as -1, so upper bounds also need ≥ 0."""
    sql, params = [], []
    for column, field, op in _NUMERIC:
        value = getattr(f, field)
        if value is not None:
            sql.append(f"{column} {op} ?")
            params.append(float(value) if column != "year" else int(value))
            if op == "<=":
                sql.append(f"{column} >= 0")
    more_sql, more_params = _membership_conditions(f, "movie_id")
    return sql + more_sql, params + more_params


def where(conditions: Conditions, prefix: str = "WHERE") -> tuple[str, list[Any]]:
    sql, params = conditions
    return (f" {prefix} " + " AND ".join(sql) if sql else ""), params


def describe(f: MovieFilters) -> dict[str, object]:
    """The filters that are set, for echoing back to the caller."""
    return f.model_dump(exclude_defaults=True, exclude_none=True)


def make_filters(**values: object) -> MovieFilters:
    """Build filters from tool arguments (None and empty lists mean "no filter").

    Invalid combinations (min above max, an unknown genre) become an `InvalidInputError`
    whose message names the field and the accepted values.
    """
    given = {k: v for k, v in values.items() if v is not None and v != []}
    try:
        return MovieFilters(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'filters'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInputError(f"invalid filters — {problems}. Genres are: {', '.join(CANONICAL_GENRES)}") from exc
