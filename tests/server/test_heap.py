"""server.heap: what a load brings is frozen out of the cyclic collector's full passes, and released on reload."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.runtime import MovieApp
from server import heap


class Node:
    """Part of a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_settle_moves_what_is_alive_out_of_the_collectors_generations() -> None:
    loaded = Node()
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert not any(obj is loaded for obj in gc.get_objects())  # full passes no longer walk it
    made_later = Node()
    assert any(obj is made_later for obj in gc.get_objects())  # what comes after is collected as usual


def test_settling_again_releases_the_cycles_a_reload_dropped() -> None:
    old_model = Node()
    gone = weakref.ref(old_model)
    heap.settle()
    del old_model  # a reload replaced it: garbage, but frozen
    gc.collect()
    assert gone() is not None  # a frozen cycle is never collected...
    heap.settle()
    assert gone() is None  # ...until the next settle unfreezes it first


def test_settle_after_loads_registers_once(tmp_path: Path) -> None:
    app = MovieApp(Settings(db_path=tmp_path / "none.db"), preload_embedder=False)
    assert heap.settle_after_loads(heap.settle_after_loads(app)) is app
    assert app.after_load == [heap.settle]


def test_a_serving_process_app_settles_its_heap_after_loads(tmp_path: Path) -> None:
    from server.app import serving_app

    assert serving_app(Settings(db_path=tmp_path / "none.db")).after_load == [heap.settle]
