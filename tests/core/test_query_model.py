"""core.search.query_model: queries embedded in bfloat16 give the float32 vectors, the switch is refused
when they do not or are not faster, and the movies are still embedded in float32 afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from core.search import query_model
from core.search.embedder import Embedder
from core.search.query_model import PROBES, QueryModel, _judge
from core.search.sentence_encoder import SentenceEncoder

QUERIES = [
    "a heist inside people's dreams",
    "toys that come alive when people leave the room",
    "90s comedy about a weatherman who relives the same day over and over again until he changes",
    "shark",
]


def test_bfloat16_vectors_match_the_float32_ones_alone_and_batched() -> None:
    reference = Embedder()
    expected = reference.encode(QUERIES)
    fast = QueryModel(Embedder().load())
    alone = np.vstack([fast.encode([query]) for query in QUERIES])
    batched = fast.encode(QUERIES)  # padded to the longest: the mask keeps the padding out of the mean
    assert alone.dtype == np.float32 and alone.shape == expected.shape
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert (alone * expected).sum(axis=1).min() > 0.9995
    assert (batched * expected).sum(axis=1).min() > 0.9995
    # Not merely close to anything: each query is nearest its own float32 vector.
    assert (alone @ expected.T).argmax(axis=1).tolist() == list(range(len(QUERIES)))


def _constant(vectors: np.ndarray, delay: float = 0.0) -> Callable[[Sequence[str]], np.ndarray]:
    """An encoder that gives `vectors` for PROBES (batched or one by one), taking `delay` seconds."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        time.sleep(delay)
        return vectors[: len(texts)] if len(texts) > 1 else vectors[PROBES.index(texts[0])][None, :]

    return encode


def test_the_switch_is_refused_when_the_vectors_disagree_or_it_is_not_faster() -> None:
    rng = np.random.default_rng(3)
    expected = rng.normal(size=(len(PROBES), 8)).astype(np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert _judge(_constant(expected), expected, float32_ms=50.0).serves
    other = np.roll(expected, 1, axis=0)
    disagreeing = _judge(_constant(other), expected, float32_ms=50.0)
    assert not disagreeing.serves and "least cosine" in disagreeing.reason
    slow = _judge(_constant(expected, delay=0.01), expected, float32_ms=1.0)  # 10 ms against 1 ms
    assert not slow.serves and "not faster" in slow.reason


def test_after_preparing_queries_the_movies_are_still_embedded_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_model, "MAX_TIME_RATIO", 100.0)  # bfloat16 chosen however busy the machine is
    embedder = Embedder()
    embedder.prepare_queries()
    assert embedder._query_model is not None
    embedder.prepare_queries()  # once only
    queries = embedder.encode_queries(QUERIES)
    documents = embedder.encode(QUERIES)  # the build's path: the float32 model, read again
    fresh = Embedder().encode(QUERIES)
    assert np.allclose(documents, fresh, atol=1e-6)
    assert (queries * fresh).sum(axis=1).min() > 0.9995


def test_a_torch_without_bfloat16_keeps_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_bfloat16(self: SentenceEncoder) -> SentenceEncoder:
        raise RuntimeError("bfloat16 is not supported here")

    monkeypatch.setattr(SentenceEncoder, "to_bfloat16", no_bfloat16)
    embedder = Embedder()
    embedder.prepare_queries()
    assert embedder._query_model is None
    assert np.allclose(embedder.encode_queries(QUERIES), Embedder().encode(QUERIES), atol=1e-6)


def test_queries_are_not_prepared_while_a_build_is_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The query model converts the loaded model in place: a build encoding with it must finish first."""
    monkeypatch.setattr(query_model, "MAX_TIME_RATIO", 100.0)
    embedder = Embedder()
    texts = [f"{query} ({n})" for n in range(6) for query in QUERIES]
    preparing: list[threading.Thread] = []
    waited: list[bool] = []

    def start_preparing(done: int, total: int) -> None:
        if not preparing:  # after the first batch: the rest of the build runs while preparing waits
            preparing.append(threading.Thread(target=embedder.prepare_queries))
            preparing[0].start()
            time.sleep(0.3)
        if done == total:
            waited.append(preparing[0].is_alive())

    built = embedder.encode(texts, batch_size=4, progress=start_preparing)
    preparing[0].join(timeout=60)
    assert waited == [True] and embedder._query_model is not None
    assert np.allclose(built, Embedder().encode(texts), atol=1e-6)  # every batch in float32
