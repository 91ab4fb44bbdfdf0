"""The embedding model for queries in bfloat16: about 1.5x faster per query, the same ranking.

A query is 10-40 tokens, so its forward pass is a few hundred small operations: on this machine (one
thread, the 322 tuning queries twice) `SentenceTransformer.encode` in float32 took 19-20 ms at p50, the
model's transformer in bfloat16 called directly 13 ms, and every query's vector had cosine >= 0.9999 to
its float32 one, alone or in a padded batch. The movies' vectors stay float32 (the build embeds them with
`Embedder.encode`); only queries go through this.

A serving process embeds nothing but queries, so `QueryModel.prepare` converts the loaded model's
transformer in place. Measured on the stdio server after one call of every tool: 787 MB resident against
771 MB in float32. Tried and dropped: a second, bfloat16 copy (+44 MB more), tracing it with TorchScript
(8 ms a query, +31 MB), and loading it with transformers alone without sentence-transformers (813 MB).
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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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

    def __init__(self, model: SentenceTransformer) -> None:
        """Takes over `model`'s transformer, converting it to bfloat16: `model` must not embed movies after."""
        import torch

        self._torch = torch
        self._tokenizer = model.tokenizer
        self._max_length = int(model.max_seq_length)
        self._transformer: Any = model[0].auto_model.to(torch.bfloat16).eval()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, unit-length vectors (as all-MiniLM-L6-v2's own pooling and normalisation)."""
        torch = self._torch
        with torch.inference_mode():
            tokens = self._tokenizer(
                list(texts), padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
            )
            hidden = self._transformer(
                input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
            ).last_hidden_state.float()
            mask = tokens["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1).numpy().astype(np.float32, copy=False)

    @staticmethod
    def prepare(model: SentenceTransformer) -> QueryModel | None:
        """The bfloat16 query model made from `model` when it agrees with the float32 one and is faster here;
        None (the reason logged) otherwise. Either way `model`'s transformer may have been converted: the
        caller must not use `model` again."""
        if not mean_pooled_and_normalised(model):
            logger.info("query embeddings: float32 (the model is not a mean-pooled, normalised transformer)")
            return None

        def float32(texts: Sequence[str]) -> np.ndarray:
            return model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

        try:
            expected, float32_ms = float32(list(PROBES)), _median_ms(float32)
            fast = QueryModel(model)
            verdict = _judge(fast.encode, expected, float32_ms)
        except Exception as exc:  # an unusual torch build without bfloat16 kernels: float32 is always there
            logger.info("query embeddings: float32 (bfloat16 failed: %s)", exc)
            return None
        logger.info("query embeddings: %s (%s)", "bfloat16" if verdict.serves else "float32", verdict.reason)
        return fast if verdict.serves else None


def mean_pooled_and_normalised(model: SentenceTransformer) -> bool:
    """Whether the model is a transformer, mean pooling and normalisation: the pipeline `encode` reproduces."""
    modules = list(model)
    if [type(m).__name__ for m in modules] != ["Transformer", "Pooling", "Normalize"]:
        return False
    pooling = modules[1]
    mode = getattr(pooling, "pooling_mode", None)  # sentence-transformers 5; older releases had a flag per mode
    return mode == "mean" or (mode is None and bool(getattr(pooling, "pooling_mode_mean_tokens", False)))


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
