"""The one table of trained models and of the recommendation engines served from them.

`MODELS` lists every model the build trains, the runtime loads and the evaluation scores, in training
order (a composed model after its components). `ENGINES` lists the values of the recommendation tool's
`engine` argument: engines that rank with a model (`ModelEngine`) and request modes that re-order an
engine's picks (`RequestMode`). The build, the runtime, the tool's argument and descriptions,
`movie-mcp info` and `movie-mcp eval` all read these tables; adding a recommender is one model module
(a class satisfying `core.models.protocols.TopNModel`, with its params dataclass and `FORMAT_VERSION`)
and one `ModelSpec` line, plus a `ModelEngine` line to serve it.

Models are named as "module:attribute" and imported on first use: `implicit` and scipy take a second to
import, and the MCP server answers `initialize` before any model is loaded.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

log = logging.getLogger(__name__)

Role = Literal["top-n", "rating"]
DEFAULT_SEED = 42  # seeds a composed model's calibration sample (the build always uses this one)


class RatingTriples(NamedTuple):
    """Parallel arrays of (user id, movie id, stars): what a standalone model trains on."""

    user_ids: np.ndarray
    movie_ids: np.ndarray
    stars: np.ndarray


def _resolve(ref: str) -> Any:
    """The object named by "module:attribute", importing the module on first use."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class ModelSpec:
    """One trained model: how it is named, stored, trained and loaded.

    A model with `requires` is composed of those models (by registry name, in the order its class's
    `calibrate` and `from_bytes` take them, see `protocols.ComposedOf`); any other trains on rating
    triples (`protocols.TrainsOnRatings`). `loader` replaces `Class.from_bytes` when a blob may hold
    an older model; `optional` models may be missing or unreadable without failing the app (answers
    fall back, and the notes say to rebuild).
    """

    name: str  # registry name, used by engines, the runtime and the evaluation
    blob: str  # its row in `model_blobs` (names of earlier releases are kept, so old databases still load)
    title: str  # in messages and the evaluation's tables
    role: Role
    model: str  # "module:Class"; the module also defines FORMAT_VERSION, the blob format
    params: str  # "module:Class" of its hyper-parameters (a dataclass)
    format_label: str  # names the blob format in the build's reuse digest ("<label> <version>")
    requires: tuple[str, ...] = ()
    loader: str | None = None  # "module:function(bytes) -> model"
    optional: bool = False

    def model_class(self) -> Any:
        return _resolve(self.model)

    def default_params(self) -> Any:
        return _resolve(self.params)()

    def format_version(self) -> int:
        """The blob format written now (read at call time: a test may bump it)."""
        return int(importlib.import_module(self.model.partition(":")[0]).FORMAT_VERSION)

    def train(
        self,
        ratings: RatingTriples,
        params: Any | None = None,
        components: Sequence[Any] = (),
        *,
        seed: int = DEFAULT_SEED,
    ) -> Any:
        """A new model on `ratings` (a composed model: calibrated on its trained `components` instead)."""
        params = self.default_params() if params is None else params
        if self.requires:
            return self.model_class().calibrate(*components, params=params, seed=seed)
        return self.model_class().train(*ratings, params)

    def load(self, data: bytes, components: Sequence[Any] = ()) -> Any:
        """The model saved in `data` (with its loaded `components`); ValueError on a foreign or stale blob."""
        if self.loader is not None:
            return _resolve(self.loader)(data)
        return self.model_class().from_bytes(data, *components)


ALS_MODEL = ModelSpec(
    name="als",
    blob="als",
    title="ALS",
    role="top-n",
    model="core.models.als:AlsRecommender",
    params="core.models.als:AlsParams",
    format_label="als",
)
# The blob keeps the name "predictor" from the releases whose rating model was a plain biased MF
# (`core.models.biased_mf.BiasedMF`); `load_rating_model` still reads such a blob.
RATING_MODEL = ModelSpec(
    name="blended-rating",
    blob="predictor",
    title="rating",
    role="rating",
    model="core.models.blended_rating:BlendedPredictor",
    params="core.models.blended_rating:BlendParams",
    format_label="blend",
    loader="core.models.blended_rating:load_rating_model",
)
EASE_MODEL = ModelSpec(
    name="ease",
    blob="ease",
    title="EASE",
    role="top-n",
    model="core.models.ease:EaseRecommender",
    params="core.models.ease:EaseParams",
    format_label="ease",
    optional=True,
)
ENSEMBLE_MODEL = ModelSpec(
    name="ease-als-ensemble",
    blob="ensemble",
    title="EASE + ALS ensemble",
    role="top-n",
    model="core.models.ensemble:EnsembleRecommender",
    params="core.models.ensemble:EnsembleParams",
    format_label="ensemble",
    requires=(EASE_MODEL.name, ALS_MODEL.name),
    optional=True,
)
# Training order: a composed model after its components.
MODELS: tuple[ModelSpec, ...] = (ALS_MODEL, RATING_MODEL, EASE_MODEL, ENSEMBLE_MODEL)


def model_spec(name: str) -> ModelSpec:
    """The registered model called `name`."""
    for spec in MODELS:
        if spec.name == name:
            return spec
    raise KeyError(f"no registered model {name!r}")


def top_n_models() -> tuple[ModelSpec, ...]:
    """The registered top-N models, in training order."""
    return tuple(spec for spec in MODELS if spec.role == "top-n")


def rating_model_spec() -> ModelSpec:
    """The rating model `predict_rating` uses (exactly one is registered)."""
    (spec,) = (spec for spec in MODELS if spec.role == "rating")
    return spec


def components_of(spec: ModelSpec) -> tuple[ModelSpec, ...]:
    """The models `spec` is composed of, in the order it takes them."""
    return tuple(model_spec(name) for name in spec.requires)


def blob_format(spec: ModelSpec) -> str:
    """The formats a blob depends on: its own, then its components' (a new one forces a retrain)."""
    return " ".join(f"{s.format_label} {s.format_version()}" for s in (spec, *components_of(spec)))


def params_record(spec: ModelSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters stored with a blob (and hashed into its reuse digest), from {model name: params}.

    A composed model records its components' parameters too, under their format labels, so it is
    retrained whenever one of them is.
    """
    own = dataclasses.asdict(params[spec.name])
    if not spec.requires:
        return own
    record = {spec.format_label: own}
    record.update({c.format_label: dataclasses.asdict(params[c.name]) for c in components_of(spec)})
    return record


def default_params(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """{model name: params} for every registered model: the defaults, replaced by `overrides`."""
    chosen = dict(overrides or {})
    return {spec.name: chosen[spec.name] if spec.name in chosen else spec.default_params() for spec in MODELS}


class Trained(NamedTuple):
    model: Any
    seconds: float  # training time, a composed model's including its components'


def train_models(
    specs: Sequence[ModelSpec],
    ratings: RatingTriples,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = DEFAULT_SEED,
    prebuilt: Mapping[str, Trained] | None = None,
) -> dict[str, Trained]:
    """Train `specs` and the components they need (each once), by registry name, in registry order.

    `params` overrides the defaults by model name; models in `prebuilt` are used as given (the evaluation
    shares a component it already trained another way)."""
    chosen = default_params(params)
    trained: dict[str, Trained] = dict(prebuilt or {})
    needed = _with_components(specs)
    for spec in (s for s in MODELS if s.name in needed and s.name not in trained):
        parts = [trained[c.name] for c in components_of(spec)]
        started = time.perf_counter()
        model = spec.train(ratings, chosen[spec.name], [p.model for p in parts], seed=seed)
        trained[spec.name] = Trained(model, time.perf_counter() - started + sum(p.seconds for p in parts))
    return trained


def _with_components(specs: Sequence[ModelSpec]) -> set[str]:
    names: set[str] = set()
    todo = list(specs)
    while todo:
        spec = todo.pop()
        if spec.name not in names:
            names.add(spec.name)
            todo.extend(components_of(spec))
    return names


def load_models(blobs: Mapping[str, bytes]) -> dict[str, Any]:
    """Every registered model found in `blobs` ({blob name: data}), by registry name.

    A model whose blob or components are missing is left out; an optional model that cannot be read
    (an older format) is left out with a warning; any other unreadable blob raises ValueError.
    """
    loaded: dict[str, Any] = {}
    for spec in MODELS:
        if spec.blob in blobs:
            load_into(loaded, spec, blobs[spec.blob])
    return loaded


def load_into(loaded: dict[str, Any], spec: ModelSpec, data: bytes) -> None:
    """Load `spec` from `data` into `loaded` ({registry name: model}, its components already in it).

    The runtime calls this once per blob, in `MODELS` order, so it holds one blob's bytes at a time.
    A model whose components are missing is left out; an optional model that cannot be read (an older
    format) is left out with a warning; any other unreadable blob raises ValueError.
    """
    parts = components_of(spec)
    if any(c.name not in loaded for c in parts):
        return
    try:
        loaded[spec.name] = spec.load(data, [loaded[c.name] for c in parts])
    except ValueError as exc:
        if not spec.optional:
            raise
        log.warning(
            "could not load the %s model (%s); answers fall back until `movie-mcp build` is run", spec.title, exc
        )


# ------------------------------------------------------------------------------ engines


@dataclass(frozen=True)
class ModelEngine:
    """An `engine` value answered by one top-N model's ranking."""

    name: str
    model: str  # registry name of the top-N model
    help: str  # its part of the `engine` argument's description
    summary: str  # its part of the tool's description
    info: str  # what `movie-mcp info` says it is
    fallback: str | None = None  # the engine answering when a database lacks `model`
    missing_note: str = ""  # the note saying so
    # Ranks on the event loop instead of a worker thread: a whole rank costs about a millisecond even at
    # 60,000 movies (one matrix-vector product and a top-k), so the hand-off would add more latency than
    # the blocked loop costs other calls.
    ranks_inline: bool = False


@dataclass(frozen=True)
class RequestMode:
    """An `engine` value that re-orders a larger pool of another engine's picks."""

    name: str
    built_on: str  # the engine whose picks it re-orders
    rerank: Literal["semantic", "llm"]
    pool: int  # picks handed to the re-ranking
    reports_as: str  # the engine an answer names once the re-ranking applied
    help: str
    summary: str
    info: str | None = None  # listed by `movie-mcp info` (with an LLM configured, for an LLM mode)


Engine = ModelEngine | RequestMode

LLM_POOL = 30  # candidates (from the default model) shown to the LLM: enough choice, a modest prompt
HYBRID_POOL = 100  # ALS candidates re-scored by the hybrid

ALS_ENGINE = ModelEngine(
    "als",
    model=ALS_MODEL.name,
    help="implicit ALS alone, the fast engine",
    summary="ALS alone, fastest",
    info="ALS alone",
    ranks_inline=True,
)
ENSEMBLE_ENGINE = ModelEngine(
    "ease-als-ensemble",  # the default: measured best by `movie-mcp eval` (topn, coldstart)
    model=ENSEMBLE_MODEL.name,
    help="default: EASE and ALS blended, the most accurate",
    summary="default",
    info="EASE + implicit ALS",
    fallback=ALS_ENGINE.name,
    missing_note=(
        "this database predates the current EASE + ALS ensemble; answered with ALS (run `movie-mcp build`"
        " to update it: the catalogue, embeddings and enrichments are reused)"
    ),
)
LLM_MODE = RequestMode(
    "llm",
    built_on=ENSEMBLE_ENGINE.name,
    rerank="llm",
    pool=LLM_POOL,
    reports_as="llm-rerank",
    help=f"an LLM re-orders {LLM_POOL} {ENSEMBLE_ENGINE.name} candidates; the ensemble alone when no LLM is configured",
    summary=(
        f"the LLM re-orders {LLM_POOL} {ENSEMBLE_ENGINE.name} candidates with a match score and a reason each;"
        " without a configured LLM it answers with the ensemble and says so"
    ),
    info="LLM re-ranking",
)
HYBRID_MODE = RequestMode(
    "hybrid",
    built_on=ALS_ENGINE.name,
    rerank="semantic",
    pool=HYBRID_POOL,
    reports_as="hybrid-als-semantic",
    help="ALS blended with the query's meaning, needs query",
    summary="ALS blended with the query's meaning",
)

# The `engine` argument's values in their published order (the tool's JSON-schema enum) ...
ENGINES: tuple[Engine, ...] = (ENSEMBLE_ENGINE, ALS_ENGINE, LLM_MODE, HYBRID_MODE)
# ... and the order its descriptions walk through them: the models, then the modes built on them.
_DESCRIBED = (ENSEMBLE_ENGINE, ALS_ENGINE, HYBRID_MODE, LLM_MODE)
DEFAULT_ENGINE = ENSEMBLE_ENGINE.name
ENGINE_NAMES: tuple[str, ...] = tuple(e.name for e in ENGINES)
EngineName = Literal[ENGINE_NAMES]  # type: ignore[valid-type]  # built from the table, as pydantic reads it


def engine(name: str) -> Engine:
    """The engine called `name`."""
    for candidate in ENGINES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no engine {name!r}")


def model_engine(name: str) -> ModelEngine:
    """The model-backed engine called `name`, or the one a request mode of that name is built on."""
    found = engine(name)
    return found if isinstance(found, ModelEngine) else model_engine(found.built_on)


def served_by(model: str) -> ModelEngine | None:
    """The engine that serves a registered model, if any."""
    return next((e for e in ENGINES if isinstance(e, ModelEngine) and e.model == model), None)


def default_top_n_spec() -> ModelSpec:
    """The model behind the default engine."""
    return model_spec(model_engine(DEFAULT_ENGINE).model)


def eval_label(spec: ModelSpec) -> str:
    """A model's row name in `movie-mcp eval`: "<engine> (default)", "<title> (engine=<engine>)" or its title."""
    served = served_by(spec.name)
    if served is None:
        return spec.title
    if served.name == DEFAULT_ENGINE:
        return f"{served.name} (default)"
    return f"{spec.title} (engine={served.name})"


def engine_argument_help() -> str:
    """The `engine` argument's description."""
    return "; ".join(f"{e.name} ({e.help})" for e in _DESCRIBED)


def engine_summary() -> str:
    """The engines as the tool's description lists them."""
    return ", ".join(f"'{e.name}' ({e.summary})" for e in _DESCRIBED)


def engines_info(*, llm_configured: bool) -> str:
    """The engines as `movie-mcp info` lists them: the default, the other models in parentheses, then
    the request modes it names (the LLM ones only when an endpoint is configured)."""
    default = model_engine(DEFAULT_ENGINE)
    others = [e for e in ENGINES if isinstance(e, ModelEngine) and e is not default]
    text = f"{default.name} ({'; '.join([default.info, *(f'engine={e.name}: {e.info}' for e in others)])})"
    for mode in ENGINES:
        if isinstance(mode, RequestMode) and mode.info and (mode.rerank != "llm" or llm_configured):
            text += f" + {mode.info} (engine={mode.name})"
    return text
