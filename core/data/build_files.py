"""The files around a build: the lock that keeps two builds off one path, and the litter of dead builds.

A build writes `NAME.building-PID` next to `NAME` and renames it over `NAME` when complete. A build
killed outright (SIGKILL, a crash, a power cut) leaves that file, up to the database's full size, and
its `-journal`; the next build into the same path removes every one whose process is gone.
Two builds into one path at once would each write a whole database and the later rename would win; the
lock (`NAME.build-lock`, an exclusive `flock` the kernel drops when its process dies, holding the
builder's PID for the message) refuses the second.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from core.errors import InvalidInputError

logger = logging.getLogger(__name__)

_SIDECARS = ("", "-journal", "-wal", "-shm")


def building_path(db_path: Path, pid: int | None = None) -> Path:
    """Where the process `pid` (default: this one) writes the database it is building."""
    return db_path.with_name(f"{db_path.name}.building-{os.getpid() if pid is None else pid}")


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.name}.build-lock")


def process_alive(pid: int) -> bool:
    """True when a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_builds(db_path: Path) -> list[Path]:
    """Delete the files of earlier builds into `db_path` whose process is gone; the paths removed."""
    removed = []
    for path in db_path.parent.glob(f"{db_path.name}.building-*"):
        pid_text = path.name.rsplit(".building-", 1)[1]
        for suffix in _SIDECARS:
            pid_text = pid_text.removesuffix(suffix) if suffix else pid_text
        if not pid_text.isdigit() or (int(pid_text) != os.getpid() and process_alive(int(pid_text))):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    if removed:
        logger.info("removed %d file(s) left by builds that died: %s", len(removed), ", ".join(p.name for p in removed))
    return removed


def remove_building(tmp_path: Path) -> None:
    """Delete a build's file and its sidecars (journal, WAL)."""
    for suffix in _SIDECARS:
        tmp_path.with_name(tmp_path.name + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def build_lock(db_path: Path) -> Iterator[None]:
    """Hold the build lock for `db_path`; `InvalidInputError` naming the other builder when it is taken."""
    path = lock_path(db_path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InvalidInputError(
                f"another build (process {holder}) is writing {db_path}; wait for it to finish, or build to"
                " another path"
            ) from None
        # The previous holder may have deleted the file between our open and our lock: lock the file
        # that is at the path now, or two builds could each hold a lock on a different file.
        if _same_file(fd, path):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        path.unlink(missing_ok=True)  # while still locked, so the next builder locks a fresh file
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)
