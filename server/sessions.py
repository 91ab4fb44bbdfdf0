"""Streamable HTTP session admission that one client cannot exhaust.

The SDK's session manager refuses new sessions (503) while `max_sessions` are open, so a client that
opens that many and walks away locks everyone else out until they idle out. At the cap, this admits the
new session by closing the one that has been idle longest (no request in flight); that client gets
"Session not found" on its next request and, as the protocol says, starts a new session. Only when every
open session has a request in flight is a new one refused.

It reaches into the SDK's session manager and transport (`_admit_session`, `_server_instances`,
`_requests_in_flight`, `idle_scope`), which `mcp` 2.3 does not expose publicly; the tests of this module
fail loudly if a later SDK changes them.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

logger = logging.getLogger(__name__)


def longest_idle_session(instances: dict[str, Any]) -> str | None:
    """The id of the open session whose idle countdown ends first, among those with no request in flight."""
    idle = [
        (transport.idle_scope.deadline, session_id)
        for session_id, transport in instances.items()
        if getattr(transport, "_requests_in_flight", 1) == 0
        and transport.idle_scope is not None
        and math.isfinite(transport.idle_scope.deadline)
    ]
    return min(idle)[1] if idle else None


def evict_longest_idle_at_cap(manager: StreamableHTTPSessionManager) -> None:
    """Make `manager` close its longest-idle session instead of refusing a new one at `max_sessions`."""
    admit = manager._admit_session

    def admit_evicting(requestor: Any) -> Any:
        instances = manager._server_instances
        if manager.max_sessions is not None and len(instances) >= manager.max_sessions:
            victim = longest_idle_session(instances)
            if victim is not None:
                transport = instances.pop(victim)
                transport.idle_scope.cancel()  # ends that session's server task, as its idle timeout would
                logger.info("session cap reached: closed the longest-idle session to admit a new one")
        return admit(requestor)

    manager._admit_session = admit_evicting  # type: ignore[method-assign]
