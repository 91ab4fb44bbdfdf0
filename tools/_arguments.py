"""Tool arguments generated from a pydantic model, so a group of arguments is declared once in `core`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

T = TypeVar("T")


def _keyword(name: str, info: FieldInfo) -> inspect.Parameter:
    """A keyword argument with the field's type, constraints, description and default.

    A default factory is called once here: its value becomes the published default.
    """
    annotation = Annotated[(info.annotation, *info.metadata, Field(description=info.description))]
    default = inspect.Parameter.empty if info.is_required() else info.get_default(call_default_factory=True)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def spread_model_argument(fn: Callable[..., Awaitable[T]], parameter: str) -> Callable[..., Awaitable[T]]:
    """`fn` with its model-typed `parameter` replaced by one keyword argument per field of the model.

    The MCP SDK builds a tool's input schema from its function's signature and type hints, so the
    returned function publishes the model's fields (type, bounds, description, default) as top-level
    arguments, and on each call rebuilds the model from them and passes it to `fn` as `parameter`.
    """
    signature = inspect.signature(fn, eval_str=True)
    model = signature.parameters[parameter].annotation
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{fn.__name__}'s parameter {parameter!r} must be annotated with a pydantic model")
    kept = [p for p in signature.parameters.values() if p.name != parameter]
    spread = [_keyword(name, info) for name, info in model.model_fields.items()]
    clash = {p.name for p in kept} & {p.name for p in spread}
    if clash:
        raise TypeError(f"{fn.__name__} already has arguments named {sorted(clash)}")

    @functools.wraps(fn)
    async def adapter(*args: Any, **kwargs: Any) -> T:
        fields = {name: kwargs.pop(name) for name in model.model_fields if name in kwargs}
        return await fn(*args, **kwargs, **{parameter: model(**fields)})

    # What the SDK reads: the signature for names and defaults, the annotations for types (and the Context).
    adapter.__signature__ = signature.replace(parameters=[*kept, *spread])  # type: ignore[attr-defined]
    adapter.__annotations__ = {p.name: p.annotation for p in (*kept, *spread)} | {"return": signature.return_annotation}
    return adapter
