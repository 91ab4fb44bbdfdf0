"""The model and engine registry: the names existing databases and clients rely on, the build's reuse
digest inputs, the engines' fallbacks and descriptions, and loading blobs by the table."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from core.models import als, blended_rating, ease, ensemble, registry
from core.models.als import AlsParams
from core.models.common import pack_npz
from core.models.ease import EaseParams
from tests.core.test_ease import checkerboard


def test_blob_names_are_those_of_existing_databases_and_components_come_first() -> None:
    assert [s.blob for s in registry.MODELS] == ["als", "predictor", "ease", "ensemble"]
    seen: set[str] = set()
    for spec in registry.MODELS:
        assert set(spec.requires) <= seen, f"{spec.name} is listed before its components"
        seen.add(spec.name)
    assert registry.rating_model_spec().blob == "predictor"
    assert [s.name for s in registry.top_n_models()] == ["als", "ease", "ease-als-ensemble"]


def test_blob_formats_name_every_format_a_blob_depends_on() -> None:
    formats = {s.blob: registry.blob_format(s) for s in registry.MODELS}
    assert formats == {
        "als": f"als {als.FORMAT_VERSION}",
        "predictor": f"blend {blended_rating.FORMAT_VERSION}",
        "ease": f"ease {ease.FORMAT_VERSION}",
        "ensemble": f"ensemble {ensemble.FORMAT_VERSION} ease {ease.FORMAT_VERSION} als {als.FORMAT_VERSION}",
    }


def test_a_bumped_component_format_changes_its_composites_format(monkeypatch: pytest.MonkeyPatch) -> None:
    before = registry.blob_format(registry.model_spec("ease-als-ensemble"))
    monkeypatch.setattr(ease, "FORMAT_VERSION", ease.FORMAT_VERSION + 1)
    assert registry.blob_format(registry.model_spec("ease-als-ensemble")) != before


def test_a_composed_model_records_its_components_params() -> None:
    params = registry.default_params({"als": AlsParams(factors=3)})
    record = registry.params_record(registry.model_spec("ease-als-ensemble"), params)
    assert set(record) == {"ensemble", "ease", "als"} and record["als"]["factors"] == 3
    assert registry.params_record(registry.model_spec("als"), params)["factors"] == 3
    assert "mf" in registry.params_record(registry.rating_model_spec(), params)


def test_engines_keep_their_published_order_and_resolve_to_registered_models() -> None:
    assert registry.ENGINE_NAMES == ("ease-als-ensemble", "als", "llm", "hybrid")
    assert registry.DEFAULT_ENGINE == "ease-als-ensemble"
    top_n = {s.name for s in registry.top_n_models()}
    for engine in registry.ENGINES:
        served = registry.model_engine(engine.name)
        assert served.model in top_n
        while served.fallback is not None:  # every fallback chain ends
            assert served.missing_note
            served = registry.model_engine(served.fallback)
    assert registry.model_engine("llm").name == "ease-als-ensemble" and registry.model_engine("hybrid").name == "als"
    with pytest.raises(KeyError):
        registry.engine("nope")


def test_descriptions_and_labels_come_from_the_table() -> None:
    # The texts clients have seen since before the registry: the argument's, the tool's and `movie-mcp info`'s.
    assert registry.engine_argument_help() == (
        "ease-als-ensemble (default: EASE and ALS blended, the most accurate); als (implicit ALS alone, the fast"
        " engine); hybrid (ALS blended with the query's meaning, needs query); llm (an LLM re-orders 30"
        " ease-als-ensemble candidates; the ensemble alone when no LLM is configured)"
    )
    assert registry.engine_summary() == (
        "'ease-als-ensemble' (default), 'als' (ALS alone, fastest), 'hybrid' (ALS blended with the query's"
        " meaning), 'llm' (the LLM re-orders 30 ease-als-ensemble candidates with a match score and a reason"
        " each; without a configured LLM it answers with the ensemble and says so)"
    )
    offline = "ease-als-ensemble (EASE + implicit ALS; engine=als: ALS alone)"
    assert registry.engines_info(llm_configured=False) == offline
    assert registry.engines_info(llm_configured=True) == offline + " + LLM re-ranking (engine=llm)"
    labels = {s.name: registry.eval_label(s) for s in registry.top_n_models()}
    assert labels == {"als": "ALS (engine=als)", "ease": "EASE", "ease-als-ensemble": "ease-als-ensemble (default)"}


@pytest.fixture(scope="module")
def blobs() -> dict[str, bytes]:
    params = {"als": AlsParams(factors=4, iterations=5), "ease": EaseParams(l2=5.0, min_item_ratings=1)}
    trained = registry.train_models(registry.top_n_models(), registry.RatingTriples(*checkerboard()), params)
    return {registry.model_spec(name).blob: t.model.to_bytes() for name, t in trained.items()}


def test_training_times_of_a_composed_model_include_its_components() -> None:
    params = {"als": AlsParams(factors=4, iterations=5), "ease": EaseParams(l2=5.0, min_item_ratings=1)}
    triples = registry.RatingTriples(*checkerboard())
    trained = registry.train_models([registry.model_spec("ease-als-ensemble")], triples, params)
    assert set(trained) == {"als", "ease", "ease-als-ensemble"}
    assert trained["ease-als-ensemble"].seconds >= trained["als"].seconds + trained["ease"].seconds
    again = registry.train_models([registry.model_spec("ease-als-ensemble")], triples, params, prebuilt=trained)
    assert again["als"] is trained["als"]  # a prebuilt component is not retrained


def test_load_models_leaves_out_what_is_missing_or_stale(
    blobs: dict[str, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    assert set(registry.load_models(blobs)) == {"als", "ease", "ease-als-ensemble"}
    without_ease = {k: v for k, v in blobs.items() if k != "ease"}
    assert set(registry.load_models(without_ease)) == {"als"}  # the ensemble needs its EASE
    stale = {**blobs, "ease": pack_npz({"kind": np.array("ease"), "format_version": np.array(1)})}
    with caplog.at_level(logging.WARNING, logger="core.models.registry"):
        assert set(registry.load_models(stale)) == {"als"}
    assert "could not load the EASE model" in caplog.text
    with pytest.raises(ValueError):  # ALS is not optional: a broken blob fails loading
        registry.load_models({**blobs, "als": b"garbage"})
