"""`benchmarks.rating_libraries`: the split it shares between processes and the skip without LensKit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.rating_libraries import run_lenskit, write_split
from core.evaluation.rating import fold_assignment


def test_split_is_the_first_eval_fold_held_out(tmp_path: Path) -> None:
    ratings = pd.DataFrame(
        {"user_id": np.arange(500) % 7, "movie_id": np.arange(500), "rating": 0.5 + np.arange(500) % 10 / 2}
    )
    with np.load(write_split(ratings, 42, tmp_path)) as split:
        test = fold_assignment(500, 5, 42) == 0
        np.testing.assert_array_equal(split["test_item"], ratings["movie_id"].to_numpy()[test])
        np.testing.assert_array_equal(split["train_rating"], ratings["rating"].to_numpy()[~test])
        assert len(split["test_user"]) == 100 and len(split["train_user"]) == 400


def test_lenskit_is_skipped_cleanly_when_its_interpreter_is_absent(tmp_path: Path) -> None:
    rows, note = run_lenskit(tmp_path / "no-venv" / "python", tmp_path, 20)
    assert rows == []
    assert note.startswith("LensKit not installed: skipped")
