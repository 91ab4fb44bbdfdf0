"""`claude_desktop_config.example.json` works as written once the path is filled in: absolute paths, and
a server that starts and answers with only the environment a desktop client passes (no venv on PATH)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "/ABSOLUTE/PATH/TO/movie-mcp"


def filled_in_config() -> dict[str, object]:
    text = (ROOT / "claude_desktop_config.example.json").read_text(encoding="utf-8")
    assert PLACEHOLDER in text
    return json.loads(text.replace(PLACEHOLDER, str(ROOT)))["mcpServers"]["movie-mcp"]  # type: ignore[no-any-return]


def test_the_example_config_uses_absolute_paths_only() -> None:
    entry = filled_in_config()
    command = Path(str(entry["command"]))
    assert command.is_absolute() and os.access(command, os.X_OK), command
    assert entry["args"] == ["serve"]
    assert entry["env"] == {"MOVIE_MCP_DB": str(ROOT / "db" / "movies.db")}


def test_the_example_config_starts_a_working_server_without_the_shells_path(synthetic_db: Path) -> None:
    entry = filled_in_config()
    # What a desktop client passes: a few basics and the entry's env; no venv on PATH, a foreign cwd.
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin", **entry["env"]}  # type: ignore[dict-item]
    env["MOVIE_MCP_DB"] = str(synthetic_db)  # the test's database instead of db/movies.db
    proc = subprocess.Popen(
        [str(entry["command"]), *entry["args"]],  # type: ignore[misc]
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd="/",
    )
    assert proc.stdin is not None and proc.stdout is not None

    def ask(message: dict[str, object]) -> dict[str, object]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        while True:
            reply = json.loads(proc.stdout.readline())
            if reply.get("id") == message["id"]:
                return reply

    try:
        init = ask(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "0"},
                },
            }
        )
        assert init["result"]["serverInfo"]["name"] == "movie-mcp"  # type: ignore[index]
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        call = ask(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get_movie_details", "arguments": {"movie_id": 1}},
            }
        )
        assert call["result"]["structuredContent"]["title"] == "The Star Voyage"  # type: ignore[index]
        proc.stdin.close()  # the client leaves: the server exits on its own
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
