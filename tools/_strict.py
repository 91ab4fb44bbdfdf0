"""Strict tool arguments: every tool refuses arguments it does not declare and reports bad ones briefly
(and publishes its output schema compacted: see `tools._schema`).

The SDK builds each tool's argument model from its function and, by default, drops unknown keys, so a
misspelt filter (`genres` for `genre`) silently does nothing. `strict_tool` swaps in a subclass of that
model which names unknown arguments and lists the real ones, refuses integers beyond 64 bits by name
(SQLite cannot bind them), and turns pydantic's report (which echoes each bad value) into one short line
per problem. Integers the tool leaves unbounded get the 64-bit bound in the published schema too.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.tools import Tool
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from core.data.store import SQLITE_MAX_INT
from core.errors import bounded, excerpt
from tools._schema import compact_output_schema

MAX_PROBLEMS = 5  # problems listed in one error; the rest are counted


def _argument_names(model: type[BaseModel]) -> list[str]:
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _too_big(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > SQLITE_MAX_INT
    return isinstance(value, list) and any(_too_big(v) for v in value)


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "arguments"
    return f"{where}: {error['msg']}"


def _invalid(tool: str, detail: str, names: list[str]) -> PydanticCustomError:
    message = bounded(f"{detail}. {tool} takes: {', '.join(names)}")
    return PydanticCustomError("invalid_arguments", "{detail}", {"detail": message})


def strict_arguments(tool: str, base: type[BaseModel]) -> type[BaseModel]:
    """`base` (a tool's generated argument model) refusing unknown and oversized arguments, briefly."""
    names = _argument_names(base)
    accepted = set(names) | set(base.model_fields)

    class StrictArguments(base):  # type: ignore[misc, valid-type]
        model_config = ConfigDict(
            arbitrary_types_allowed=True, extra="forbid", hide_input_in_errors=True, title=base.__name__
        )

        @model_validator(mode="wrap")
        @classmethod
        def _checked(cls, data: Any, handler: Any) -> Any:
            if isinstance(data, dict):
                unknown = [key for key in data if key not in accepted]
                if unknown:
                    listed = ", ".join(excerpt(str(key), 40) for key in unknown[:MAX_PROBLEMS])
                    raise _invalid(tool, f"unknown argument(s) {listed}", names)
                oversized = [key for key, value in data.items() if _too_big(value)]
                if oversized:
                    raise _invalid(tool, f"{', '.join(oversized)}: whole numbers must be below 2^63", names)
            try:
                return handler(data)
            except ValidationError as exc:
                errors = exc.errors(include_input=False, include_url=False)
                problems = [_problem(e) for e in errors[:MAX_PROBLEMS]]
                more = f" (and {len(errors) - MAX_PROBLEMS} more)" if len(errors) > MAX_PROBLEMS else ""
                raise _invalid(tool, "; ".join(problems) + more, names) from None

    StrictArguments.__name__ = base.__name__
    return StrictArguments


def _bound_integers(schema: dict[str, Any]) -> None:
    """Give every integer in a (sub)schema without a maximum the 64-bit one the validator enforces."""
    if schema.get("type") == "integer":
        schema.setdefault("maximum", SQLITE_MAX_INT)
        schema.setdefault("minimum", -SQLITE_MAX_INT)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            _bound_integers(sub)
    if isinstance(schema.get("items"), dict):
        _bound_integers(schema["items"])


def strict_tool(tool: Tool) -> Tool:
    """`tool` with strict arguments (see the module docstring) and a schema that says so."""
    model = strict_arguments(tool.name, tool.fn_metadata.arg_model)
    tool.fn_metadata.arg_model = model  # type: ignore[assignment]
    parameters = model.model_json_schema(by_alias=True)
    for prop in parameters.get("properties", {}).values():
        _bound_integers(prop)
    tool.parameters = parameters
    if tool.fn_metadata.output_schema is not None:  # the same constraints, cheaper for clients to check
        tool.fn_metadata.output_schema = compact_output_schema(tool.fn_metadata.output_schema)
    return tool
