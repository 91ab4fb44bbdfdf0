"""The one error table: which MCP error each caller-fixable core error becomes, for tools, resources and prompts."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from core import errors
from core.errors import InvalidInputError, MovieMcpError, NotFoundError, NotReadyError
from tools._errors import ERROR_TABLE, Primitive, core_errors_as, mcp_error

PRIMITIVES: tuple[Primitive, ...] = ("tool", "resource", "prompt")


@pytest.mark.parametrize(
    ("core_error", "primitive", "expected"),
    [
        (NotFoundError, "tool", ToolError),
        (NotFoundError, "resource", ResourceNotFoundError),
        (NotFoundError, "prompt", MCPError),
        (InvalidInputError, "tool", ToolError),
        (InvalidInputError, "resource", ResourceNotFoundError),
        (InvalidInputError, "prompt", MCPError),
        (NotReadyError, "tool", ToolError),
        (NotReadyError, "resource", ResourceError),
        (NotReadyError, "prompt", MCPError),
    ],
)
def test_each_core_error_becomes_its_primitives_error_with_the_same_message(
    core_error: type[MovieMcpError], primitive: Primitive, expected: type[Exception]
) -> None:
    mapped = mcp_error(core_error("say why"), primitive)
    assert type(mapped) is expected
    assert str(mapped) == "say why"
    if isinstance(mapped, MCPError):  # the client shows a prompt's error as it is
        assert mapped.error.code == INVALID_PARAMS and mapped.error.message == "say why"


def test_a_not_ready_resource_is_not_reported_as_not_found() -> None:
    assert not isinstance(mcp_error(NotReadyError("build it"), "resource"), ResourceNotFoundError)


def test_every_core_error_class_has_a_row_for_every_primitive() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, MovieMcpError)]
    assert len(classes) >= 4
    for cls in classes:
        for primitive in PRIMITIVES:
            assert isinstance(mcp_error(cls("x"), primitive), Exception)
    assert all(set(row) == set(PRIMITIVES) for row in ERROR_TABLE.values())


def test_a_new_subclass_gets_its_nearest_base_row() -> None:
    class GoneError(NotFoundError):
        pass

    assert type(mcp_error(GoneError("gone"), "resource")) is ResourceNotFoundError


@pytest.mark.parametrize("primitive", PRIMITIVES)
def test_the_context_manager_maps_core_errors_and_keeps_the_cause(primitive: Primitive) -> None:
    original = InvalidInputError("k must be at least 1")
    with pytest.raises(Exception, match="k must be at least 1") as raised, core_errors_as(primitive):
        raise original
    assert not isinstance(raised.value, MovieMcpError)
    assert raised.value.__cause__ is original


def test_other_exceptions_pass_through_unmapped() -> None:
    with pytest.raises(KeyError), core_errors_as("tool"):
        raise KeyError("a bug stays a bug")
