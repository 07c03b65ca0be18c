"""One run per area: an advisory lock on ``<area>/.lock`` held for a writing command's run.

The lock file records the holder's PID, command and start time, so a second run can say who
holds it. The lock is re-entrant within a process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from corridors.errors import CorridorsError, PublishError, describe_os_error
from corridors.week import LOCK_FILE

LOCK_WAIT_S = 5.0
"""How long a second run waits for the area's lock before it gives up (seconds)."""

OUT_HINT = "make it writable, free some space, or set [maps] out_dir to another folder"


class LockedError(CorridorsError):
    """Another run holds the area's lock."""


_held: dict[str, int] = {}  # lock files this process holds -> depth (the lock is re-entrant)


@contextlib.contextmanager
def area_lock(
    folder: str | Path, *, command: str = "plan", wait_s: float | None = None
) -> Iterator[None]:
    """
    Hold the area's advisory lock (``<folder>/.lock``) for the block; re-entrant per process.

    The lock file records the holder's PID, command and start time. A second run waits up to
    ``wait_s`` seconds (default :data:`LOCK_WAIT_S`), then fails.

    Raises
    ------
    LockedError
        ``<area> is being planned by PID n since HH:MM`` when another run holds it.
    PublishError
        If the lock file cannot be created (read-only folder, a file in the way...).
    """
    folder = Path(folder)
    key = str(folder.resolve())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PublishError(describe_os_error(exc, path, hint=OUT_HINT)) from exc
    try:
        deadline = time.monotonic() + (LOCK_WAIT_S if wait_s is None else wait_s)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise LockedError(_holder_message(path, folder.name))
            time.sleep(0.1)
        started = dt.datetime.now().astimezone()
        info = {
            "pid": os.getpid(),
            "command": command,
            "started": started.isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            _unlock(fd)
    finally:
        os.close(fd)


def _holder_message(path: Path, area: str) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        since = dt.datetime.fromisoformat(info["started"]).strftime("%H:%M")
        who = f"PID {int(info['pid'])} since {since}"
        what = f" ({info.get('command', 'a run')})"
    except (OSError, ValueError, KeyError, TypeError):
        who, what = "another run (PID not yet recorded)", ""
    return (
        f"{area} is being planned by {who}{what}; wait for it to finish, then run again "
        f"(lock: {path})"
    )


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
