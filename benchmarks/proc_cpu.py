"""CPU seconds used by a process tree, read from /proc (Linux): what a load test's server and client cost,
figures that, unlike calls/s, do not depend on how busy the rest of the machine is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds of a process and its descendants: in all, and in each process's main thread."""

    total: float
    main_threads: float
    processes: int

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(self.total - other.total, self.main_threads - other.main_threads, self.processes)


def _seconds(stat_path: Path) -> float:
    # Fields after the parenthesised command: utime and stime are the 12th and 13th.
    fields = stat_path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            children = (task / "children").read_text().split()
            todo.extend(int(c) for c in children)
    return found


def sample(pid: int) -> CpuSample | None:
    """CPU seconds of `pid` and its descendants so far; None where /proc cannot tell (not Linux, gone)."""
    try:
        pids = _tree(pid)
        total = sum(_seconds(Path(f"/proc/{p}/stat")) for p in pids)
        main = sum(_seconds(Path(f"/proc/{p}/task/{p}/stat")) for p in pids)
    except (OSError, ValueError, IndexError):
        return None
    return CpuSample(total, main, len(pids))
