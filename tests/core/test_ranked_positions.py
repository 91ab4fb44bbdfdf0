"""`ranked_positions`: the order evidence lists are built in."""

from __future__ import annotations

import numpy as np

from core.models.common import ranked_positions


def test_largest_first_ties_by_lower_position_and_only_positive() -> None:
    values = np.array([0.5, -1.0, 0.9, 0.5, 0.0, 0.9, 0.2])
    assert ranked_positions(values).tolist() == [2, 5, 0, 3, 6]
    assert ranked_positions(values, 3).tolist() == [2, 5, 0]
    assert ranked_positions(values, 0).tolist() == [] and ranked_positions(values, -1).tolist() == []
    assert ranked_positions(values, positive_only=False).tolist() == [2, 5, 0, 3, 6, 1]
    assert ranked_positions(np.zeros(3)).tolist() == []
