"""Output schemas that clients validate quickly: the same constraints, without `$ref`s or type-only `anyOf`s.

Clients re-validate every structured result against the tool's output schema (the Python SDK's client
with pure-Python `jsonschema`). There, each `$ref` is a resolver lookup and each `anyOf` a loop over
sub-validators, per field of every list item: for ten recommendations that was 2.4 ms a call, more than
the server spent answering. Inlining the definitions and writing `anyOf: [{type: integer}, {type: null}]`
as `type: [integer, null]` accept exactly the same documents and cut it to ~1.6 ms.
"""

from __future__ import annotations

from typing import Any

_PREFIX = "#/$defs/"


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with local `$ref`s inlined (recursive ones kept) and type-only `anyOf`s as type lists."""
    definitions: dict[str, Any] = schema.get("$defs", {})
    compacted = _compact(schema, definitions, ())
    recursive = _referenced(compacted)
    compacted.pop("$defs", None)
    if recursive:  # a self-referencing model cannot be inlined: keep the definitions it still needs
        compacted["$defs"] = {name: _compact(definitions[name], definitions, (name,)) for name in sorted(recursive)}
    return compacted


def _compact(node: Any, definitions: dict[str, Any], inlining: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_compact(item, definitions, inlining) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith(_PREFIX):
        name = reference[len(_PREFIX) :]
        if name in definitions and name not in inlining:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            merged = {**definitions[name], **siblings}  # the field's own title/description/default win
            return _compact(merged, definitions, (*inlining, name))
    compacted = {key: _compact(value, definitions, inlining) for key, value in node.items() if key != "$defs"}
    return _type_list(compacted)


def _type_list(node: dict[str, Any]) -> dict[str, Any]:
    """`anyOf` whose every branch is just `{"type": ...}` becomes one `type` list (same documents accepted)."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or "type" in node or not branches:
        return node
    if not all(isinstance(b, dict) and set(b) == {"type"} and isinstance(b["type"], str) for b in branches):
        return node
    types = [branch["type"] for branch in branches]
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    return {**rest, "type": types}


def _referenced(node: Any) -> set[str]:
    """The definition names still referenced anywhere in `node`."""
    if isinstance(node, list):
        return set().union(*(_referenced(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set().union(*(_referenced(value) for value in node.values())) if node else set()
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith(_PREFIX):
        found.add(reference[len(_PREFIX) :])
    return found
