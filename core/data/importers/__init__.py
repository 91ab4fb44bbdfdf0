"""Readers that turn a source (embedded default, Kaggle layout, MovieLens layout) into a `Dataset`.

`SOURCES` is the one table of them: the name `movie-mcp build --from NAME` takes, the loader (imported
on first use, as "module:function"), and whether it reads a directory. Adding a data source is one
importer module returning a `Dataset` plus one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.importers.base import Dataset


@dataclass(frozen=True)
class Source:
    name: str
    loader: str  # "module:function"; takes the directory when `needs_directory`, else nothing
    needs_directory: bool

    def load(self, directory: Path | None) -> Dataset:
        module, _, function = self.loader.partition(":")
        load: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return load(directory) if self.needs_directory else load()


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("default", "core.data.importers.default:load_default", needs_directory=False),
        Source("movies-dataset", "core.data.importers.movies_dataset:load_movies_dataset", needs_directory=True),
        Source("movielens", "core.data.importers.movielens:load_movielens", needs_directory=True),
    )
}
