"""The embedding model for queries in bfloat16: about 1.5x faster per query, the same ranking.

A query is 10-40 tokens, so its forward pass is a few hundred small operations: on this machine (one
thread, the 322 tuning queries twice) `SentenceTransformer.encode` in float32 took 19-20 ms at p50, the
model's transformer in bfloat16 called directly 13 ms, and every query's vector had cosine >= 0.9999 to
its float32 one, alone or in a padded batch. The movies' vectors stay float32 (the build embeds them with
`Embedder.encode`); only queries go through this.

A serving process embeds nothing but queries, so `QueryModel.prepare` converts the loaded model's
transformer in place (`core.search.sentence_encoder`). Measured on the stdio server after one call of every
tool, through sentence-transformers 5: 787 MB resident against 771 MB in float32. Tried and dropped: a
second, bfloat16 copy (+44 MB more) and tracing it with TorchScript (8 ms a query, +31 MB).
It serves only where it is shown to work: checked against the float32 model on probe sentences (one word
to a long paragraph, alone and as a padded batch) and timed against it; when it disagrees or is not
faster (a CPU without native bfloat16) the caller reads the float32 model again.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from core.search.sentence_encoder import SentenceEncoder

logger = logging.getLogger(__name__)

MIN_AGREEMENT = 0.9995  # least cosine between a probe's bfloat16 and float32 vectors
MAX_TIME_RATIO = 0.9  # bfloat16 must take at most this share of float32's time for a query
TIMING_RUNS = 7
PROBES = (
    "heist",
    "a heist that happens inside people's dreams",
    "that movie where toys come alive when nobody is in the room and a cowboy gets jealous of a spaceman",
    " ".join(
        ["A lonely lighthouse keeper on a remote island finds a washed-up diary and starts to believe"]
        + ["that the storms described in it are coming back, one by one, to the same coast"] * 6
    ),
)


@dataclass(frozen=True)
class Verdict:
    """Whether bfloat16 serves, and the figures that decided it."""

    serves: bool
    reason: str


class QueryModel:
    """Encodes query texts to unit float32 vectors with a MiniLM transformer held in bfloat16."""

    def __init__(self, model: SentenceEncoder) -> None:
        """Takes over `model`, converting its transformer to bfloat16: `model` must not embed movies after."""
        self._encoder = model.to_bfloat16()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, unit-length vectors (as all-MiniLM-L6-v2's own pooling and normalisation)."""
        return self._encoder.encode(texts)

    @staticmethod
    def prepare(model: SentenceEncoder) -> QueryModel | None:
        """The bfloat16 query model made from `model` when it agrees with the float32 one and is faster here;
        None (the reason logged) otherwise. Either way `model`'s transformer may have been converted: the
        caller must not use `model` again."""
        try:
            expected, float32_ms = model.encode(list(PROBES)), _median_ms(model.encode)
            fast = QueryModel(model)
            verdict = _judge(fast.encode, expected, float32_ms)
        except Exception as exc:  # an unusual torch build without bfloat16 kernels: float32 is always there
            logger.info("query embeddings: float32 (bfloat16 failed: %s)", exc)
            return None
        logger.info("query embeddings: %s (%s)", "bfloat16" if verdict.serves else "float32", verdict.reason)
        return fast if verdict.serves else None


def _judge(fast: Callable[[Sequence[str]], np.ndarray], expected: np.ndarray, float32_ms: float) -> Verdict:
    """Whether `fast` gives the float32 vectors (`expected`, of PROBES) alone and batched, in less time."""
    alone = np.vstack([fast([probe]) for probe in PROBES])
    batched = fast(list(PROBES))
    agreement = float(min((expected * alone).sum(axis=1).min(), (expected * batched).sum(axis=1).min()))
    if agreement < MIN_AGREEMENT:
        return Verdict(False, f"least cosine to float32 {agreement:.5f} < {MIN_AGREEMENT}")
    fast_ms = _median_ms(fast)
    if fast_ms > MAX_TIME_RATIO * float32_ms:
        return Verdict(False, f"not faster: {fast_ms:.1f} ms vs {float32_ms:.1f} ms for a query")
    figures = f"{fast_ms:.1f} ms vs {float32_ms:.1f} ms for a query, least cosine to float32 {agreement:.5f}"
    return Verdict(True, figures)


def _median_ms(encode: Callable[[Sequence[str]], np.ndarray]) -> float:
    encode([PROBES[2]])  # a first run pays one-time set-up
    times = []
    for _ in range(TIMING_RUNS):
        start = time.perf_counter()
        encode([PROBES[2]])
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
