"""The catalogue service's shaping helpers."""

from __future__ import annotations

from core.services.catalogue import STAR_VALUES, star_histogram


def test_star_histogram_names_every_star_value_in_order() -> None:
    histogram = star_histogram({4.5: 3, 1.0: 2})
    assert list(histogram) == [f"{v:.1f}" for v in STAR_VALUES]
    assert histogram["4.5"] == 3 and histogram["1.0"] == 2
    assert sum(histogram.values()) == 5
