"""`core.search.sentence_encoder`: MiniLM without sentence-transformers gives sentence-transformers' vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from core.search.embedder import Embedder, model_directory
from core.search.sentence_encoder import SentenceEncoder, UnsupportedModelError, read_pipeline

TEXTS = [
    "heist",
    "  a heist that happens inside people's dreams  ",
    "   ",
    "Amélie, 東京物語, naïve café owner 🎬",
    "Toy Story (1995). Animation, Adventure, Children. A cowboy doll is profoundly threatened by a spaceman.",
    " ".join(["A lonely lighthouse keeper finds a washed-up diary about storms coming back to the coast."] * 30),
    "",
]


def test_the_vectors_are_sentence_transformers_own() -> None:
    path = model_directory()
    expected = SentenceTransformer(str(path), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    encoder = SentenceEncoder.load(path)
    assert encoder.max_length == 256  # the long text is cut where sentence-transformers cuts it
    batched = encoder.encode(TEXTS)
    alone = np.vstack([encoder.encode([text]) for text in TEXTS])
    assert batched.dtype == np.float32 and batched.shape == (len(TEXTS), 384)
    assert np.abs(batched - expected).max() < 1e-5
    assert np.abs(alone - expected).max() < 1e-5
    # The build's path (sorted by length, in batches) gives them too.
    assert np.abs(Embedder().encode(TEXTS, batch_size=2) - expected).max() < 1e-5


def _model_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    source = model_directory()
    copy.mkdir(parents=True)
    for name in ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json"):
        shutil.copy(source / name, copy / name)
    shutil.copytree(source / "1_Pooling", copy / "1_Pooling")
    return copy


def _edit(path: Path, **changes: object) -> None:
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")) | changes), encoding="utf-8")


def test_a_pipeline_it_does_not_reproduce_is_refused(tmp_path: Path) -> None:
    copy = _model_copy(tmp_path)
    assert read_pipeline(copy) == 256
    _edit(copy / "1_Pooling" / "config.json", pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    with pytest.raises(UnsupportedModelError, match="mean pooling"):
        read_pipeline(copy)

    copy = _model_copy(tmp_path / "again")
    _edit(copy / "sentence_bert_config.json", do_lower_case=True)
    with pytest.raises(UnsupportedModelError, match="do_lower_case"):
        read_pipeline(copy)

    copy = _model_copy(tmp_path / "third")
    modules = json.loads((copy / "modules.json").read_text(encoding="utf-8"))
    (copy / "modules.json").write_text(json.dumps(modules[:2]), encoding="utf-8")  # no Normalize
    with pytest.raises(UnsupportedModelError, match="pipeline"):
        read_pipeline(copy)

    copy = _model_copy(tmp_path / "fourth")  # mean and CLS pooling together
    _edit(copy / "1_Pooling" / "config.json", pooling_mode_cls_token=True)
    with pytest.raises(UnsupportedModelError, match="mean pooling"):
        read_pipeline(copy)

    copy = _model_copy(tmp_path / "fifth")  # a tokenizer argument sentence-transformers would pass on
    _edit(copy / "sentence_bert_config.json", tokenizer_args={"model_max_length": 128})
    with pytest.raises(UnsupportedModelError, match="max_seq_length"):
        read_pipeline(copy)

    copy = _model_copy(tmp_path / "sixth")  # a prompt sentence-transformers would put before every text
    (copy / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: "}, "default_prompt_name": "query"}), encoding="utf-8"
    )
    with pytest.raises(UnsupportedModelError, match="prompts"):
        read_pipeline(copy)
