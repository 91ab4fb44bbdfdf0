"""What every evaluation section receives and returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pandas as pd


@dataclass
class EvalContext:
    """The data a section evaluates on. `quick` shrinks grids and folds for tests (never for reported numbers)."""

    db_path: Path
    ratings: pd.DataFrame  # user_id, movie_id, rating, timestamp — every rating in the database
    seed: int = 42
    quick: bool = False
    # Split names a section limits itself to (None: all); lets tuning runs leave the test split unopened.
    splits: tuple[str, ...] | None = None


@dataclass
class Target:
    """A quality goal and whether this run met it."""

    target: str  # e.g. "default recommender nDCG@10 above EASE"
    value: float | None
    goal: str  # e.g. "> 0.351"
    met: bool


@dataclass
class SectionResult:
    name: str
    protocol: str  # one paragraph: split, seeds, relevance, metrics
    table: list[dict[str, object]]  # one row per model/variant; printed as a table and written as JSON
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_async(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run an async entry point from sync code, in a thread of its own so a caller's event loop is no obstacle."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, fn, *args).result()
