"""all-MiniLM-L6-v2 as sentence-transformers runs it (tokenise, transformer, mean pooling, unit length), with
`transformers` alone.

Importing sentence-transformers 6 also imports scikit-learn's metrics, pandas and their dependencies, whatever
is used: measured here, a process that loads the model and embeds a sentence holds 649 MB through
sentence-transformers and 564 MB through this module, the same vectors (`tests/core/test_sentence_encoder.py`
compares them with sentence-transformers' own). The pipeline is read from the model directory's
sentence-transformers files and refused when it is not Transformer -> mean Pooling -> Normalize without
prompts or settings beyond the sequence length.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PIPELINE = ["Transformer", "Pooling", "Normalize"]
# The sentence-transformers settings this encoder reproduces; any other (tokenizer or model arguments, a
# backend, prompts) could change the vectors, so a directory that sets one is refused rather than misread.
KNOWN_SETTINGS = {"max_seq_length", "do_lower_case"}


class UnsupportedModelError(RuntimeError):
    """The model directory describes a pipeline this encoder does not reproduce."""


def read_pipeline(path: Path) -> int:
    """The model's max sequence length, after checking that its pipeline is sentence-transformers' Transformer
    (at the directory's root) -> mean Pooling -> Normalize with no prompt and no settings but the length."""
    modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    kinds = [str(module["type"]) for module in modules]
    if kinds != [f"sentence_transformers.models.{kind}" for kind in PIPELINE] or modules[0].get("path", ""):
        raise UnsupportedModelError(f"{path}: pipeline {kinds}, expected {PIPELINE} with the transformer at the root")
    pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    mode = pooling.get("pooling_mode")  # newer releases name the mode; older ones have a flag per mode
    others = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")
    mean = mode == "mean" if mode is not None else bool(pooling.get("pooling_mode_mean_tokens"))
    if not mean or any(pooling.get(f"pooling_mode_{other}") for other in others):
        raise UnsupportedModelError(f"{path}: pooling {pooling}, expected mean pooling only")
    config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    unknown = sorted(set(config) - KNOWN_SETTINGS)
    if unknown or config.get("do_lower_case") or not isinstance(config.get("max_seq_length"), int):
        raise UnsupportedModelError(f"{path}: settings {config}; only an int max_seq_length is reproduced")
    extras = path / "config_sentence_transformers.json"
    settings = json.loads(extras.read_text(encoding="utf-8")) if extras.exists() else {}
    if any(settings.get("prompts", {}).values()) or settings.get("default_prompt_name"):
        raise UnsupportedModelError(f"{path}: prompts are not reproduced")
    return int(config["max_seq_length"])


class SentenceEncoder:
    """Texts to unit-length float32 vectors: the tokenizer and transformer of a mean-pooled sentence model."""

    def __init__(self, tokenizer: Any, transformer: Any, max_length: int) -> None:
        import torch

        self._torch = torch
        self._tokenizer = tokenizer
        self._transformer = transformer.eval()
        self.max_length = max_length

    @classmethod
    def load(cls, path: Path) -> SentenceEncoder:
        """The model in `path` (a sentence-transformers directory), in float32 on the CPU."""
        max_length = read_pipeline(path)
        from transformers import AutoModel, AutoTokenizer

        return cls(AutoTokenizer.from_pretrained(str(path)), AutoModel.from_pretrained(str(path)), max_length)

    def to_bfloat16(self) -> SentenceEncoder:
        """This encoder with its transformer converted to bfloat16 in place (the float32 weights are freed)."""
        self._transformer = self._transformer.to(self._torch.bfloat16)
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One batch: mean of the token vectors under the attention mask, scaled to unit length (in float32
        whatever the transformer's precision). Texts go to the tokenizer as given, as sentence-transformers 6
        passes them."""
        torch = self._torch
        with torch.inference_mode():
            tokens = self._tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            hidden = self._transformer(**tokens).last_hidden_state.float()
            mask = tokens["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy().astype(np.float32, copy=False)
