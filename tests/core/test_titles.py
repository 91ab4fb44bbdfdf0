"""MovieLens title parsing and the title+year join key."""

from __future__ import annotations

import pytest

from core.data.importers.titles import move_article, normalize_title, parse_movielens_title, title_year_key


@pytest.mark.parametrize(
    ("raw", "title", "year", "akas"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999, ()),
        ("Toy Story (1995)", "Toy Story", 1995, ()),
        ("Seven (a.k.a. Se7en) (1995)", "Seven", 1995, ("Se7en",)),
        (
            "Léon: The Professional (a.k.a. The Professional) (Léon) (1994)",
            "Léon: The Professional",
            1994,
            ("The Professional", "Léon"),
        ),
        (
            "Name of the Rose, The (Name der Rose, Der) (1986)",
            "The Name of the Rose",
            1986,
            ("Der Name der Rose",),
        ),
        ("Enfer, L' (1994)", "L'Enfer", 1994, ()),
        (
            "Vitelloni, I (a.k.a. The Young and the Passionate) (1953)",
            "I Vitelloni",
            1953,
            ("The Young and the Passionate",),
        ),
        ("Good, the Bad and the Ugly, The (1966)", "The Good, the Bad and the Ugly", 1966, ()),
        ("Lord of the Rings: The Two Towers, The (2002)", "The Lord of the Rings: The Two Towers", 2002, ()),
        ("Bug's Life, A (1998)", "A Bug's Life", 1998, ()),
        ("Rocky VI (1986) ", "Rocky VI", 1986, ()),  # trailing space in the real movies.csv
        ("Blind Side, The  (2009)", "The Blind Side", 2009, ()),
        ("Hyena Road", "Hyena Road", None, ()),  # no year at all
        ("The Lovers and the Despot", "The Lovers and the Despot", None, ()),
        ("Big Bang Theory, The (2007-)", "The Big Bang Theory", 2007, ()),  # open-ended series
        ("Fawlty Towers (1975-1979)", "Fawlty Towers", 1975, ()),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009, ()),  # leading parenthesis is the title
        ("I, Robot (2004)", "I, Robot", 2004, ()),  # "Robot" is not an article
        ("Paris, Texas (1984)", "Paris, Texas", 1984, ()),
        (
            "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
            "Amelie",
            2001,
            ("Le Fabuleux destin d'Amélie Poulain",),
        ),
    ],
)
def test_parse_movielens_title(raw: str, title: str, year: int | None, akas: tuple[str, ...]) -> None:
    parsed = parse_movielens_title(raw)
    assert (parsed.title, parsed.year, parsed.akas) == (title, year, akas)


def test_parse_without_year_keeps_a_trailing_year_like_parenthesis_as_aka() -> None:
    # dslabs has already moved the year to its own column: "(1941)" here is an alternative title.
    parsed = parse_movielens_title("Dracula (Bram Stoker's Dracula)", with_year=False)
    assert (parsed.title, parsed.year, parsed.akas) == ("Dracula", None, ("Bram Stoker's Dracula",))
    parsed = parse_movielens_title("Summer Film (1941)", with_year=False)
    assert (parsed.title, parsed.year, parsed.akas) == ("Summer Film", None, ("1941",))


def test_parse_title_that_is_only_a_parenthesis_keeps_it() -> None:
    assert parse_movielens_title("(Untitled) (2001)").title == "(Untitled)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Matrix, The", "The Matrix"),
        ("The Matrix", "The Matrix"),
        ("Enfer, L'", "L'Enfer"),
        ("Divo, Il", "Il Divo"),
        ("Miserables, Les", "Les Miserables"),
        ("Paris, Texas", "Paris, Texas"),
        ("The", "The"),
        ("Wizard, the", "Wizard, the"),  # lowercase is not MovieLens' article convention
    ],
)
def test_move_article(raw: str, expected: str) -> None:
    assert move_article(raw) == expected


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Matrix, The", "matrix"),
        ("The Matrix", "matrix"),
        ("the matrix!", "matrix"),
        ("Léon", "leon"),
        ("Dumb & Dumber", "dumb and dumber"),
        ("Schindler's List", "schindlers list"),
        ("  Multiple   spaces\t", "multiple spaces"),
        ("Bug's Life, A", "bugs life"),
        ("An American Werewolf in London", "american werewolf in london"),
        ("Enfer, L'", "lenfer"),
        ("Die Hard", "die hard"),  # only English articles are dropped from keys
        ("Alien³", "alien3"),
        ("The", "the"),  # nothing but an article keeps it
    ],
)
def test_normalize_title(title: str, key: str) -> None:
    assert normalize_title(title) == key


def test_normalisation_makes_both_conventions_meet() -> None:
    pairs = [
        ("Matrix, The", "The Matrix"),
        ("Bug's Life, A", "A Bug's Life"),
        ("Amants du Pont-Neuf, Les", "Les Amants du Pont-Neuf"),
        ("Double Vie de Véronique, La", "La double vie de Veronique"),
    ]
    for imdb_style, display_style in pairs:
        assert normalize_title(imdb_style) == normalize_title(display_style)
    assert normalize_title("Matrix, The") != normalize_title("Matrix Reloaded, The")


def test_title_year_key() -> None:
    assert title_year_key("Matrix, The", 1999) == "matrix|1999"
    assert title_year_key("The Matrix", 1999) == title_year_key("Matrix, The", 1999)
    assert title_year_key("The Matrix", 2003) != title_year_key("The Matrix", 1999)
    assert title_year_key("Hyena Road", None) == "hyena road|"
