r"""Publish a week whole: build it in a staging folder, check it, swap it in; one run per area.

The folders under ``[maps] out_dir``::

    index.html                          every planned week (rebuilt from the folders)
    <area>/.lock                        the area's advisory lock: holder's PID, command, start
    <area>/plans.gpkg                   the history of every published week
    <area>/<week>/                      one whole plan; manifest.json lists every file
    <area>/.<week>.staging-<run id>/    a week being built (gone once published or failed)

A week is built in its staging folder, its ``manifest.json`` lists every file with its
SHA-256 and the run id, the folder is checked against the manifest and then swapped with the
published one in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames elsewhere,
which :func:`recover` completes or rolls back). The history update is staged as
``.plans.<run id>.gpkg`` next to ``plans.gpkg`` and renamed in after the swap; a run killed
between the two is rolled forward by the next run. So a reader of a week folder sees either
the previous complete week or the new complete week, never a mix, and :func:`verify_week`
can tell.

Every command that writes under an area holds :func:`area_lock` for its whole run.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> with area_lock(root / "rutland", command="doctest"):
...     final = root / "rutland" / "2022-W45"
...     with staged_week(final, run_id="r1") as stage:
...         _ = (stage / "loops.csv").write_text("loop_id\nC01-L1\n")
...         _ = write_manifest(stage, {"week": "2022-W45"}, run_id="r1")
...         publish_week(stage, final)
>>> verify_week(final)
[]
>>> _ = (final / "loops.csv").write_text("loop_id\nX\n")
>>> verify_week(final)
['changed: loops.csv']
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from corridors.errors import PublishError, describe_os_error
from corridors.lock import LOCK_WAIT_S, OUT_HINT, LockedError, area_lock
from corridors.outputs import write_text
from corridors.week import (
    HISTORY_GPKG,
    LOCK_FILE,
    MANIFEST_JSON,
    WEEK_RE,
    area_dir,
    check_slug,
    pending_history_name,
    staging_name,
    week_dir,
)

__all__ = [
    "HISTORY_GPKG",
    "LOCK_FILE",
    "LOCK_WAIT_S",
    "MANIFEST_JSON",
    "OUT_HINT",
    "LockedError",
    "PublishError",
    "area_dir",
    "area_lock",
    "check_output_root",
    "check_slug",
    "commit_history",
    "file_hashes",
    "new_run_id",
    "pending_history",
    "publish_week",
    "read_manifest",
    "recover",
    "sha256_file",
    "staged_week",
    "verify_week",
    "week_dir",
    "write_manifest",
]

logger = logging.getLogger(__name__)

_STAGING = re.compile(r"\.(?P<week>[^/]+)\.(?P<kind>staging|old)-(?P<run>[A-Za-z0-9_-]+)")
_PENDING_HISTORY = re.compile(r"\.plans\.(?P<run>[A-Za-z0-9_-]+)\.pending\.gpkg")


def check_output_root(out_dir: str | Path) -> None:
    """
    Raise a one-line error before any work if ``out_dir`` cannot hold plans.

    Raises
    ------
    PublishError
        If ``out_dir`` (or a parent) is a file, or the nearest existing folder is not
        writable.
    """
    path = Path(out_dir)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise PublishError(
            f"{probe}: is a file, not a folder; set [maps] out_dir to a folder (or move the file)"
        )
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
        what = "read-only file system" if read_only else "permission denied (not writable)"
        raise PublishError(
            f"{probe}: {what}; make it writable or set [maps] out_dir to a folder you can write"
        )


def new_run_id() -> str:
    """Return a fresh run id: UTC time and 6 random hex digits (``20221107T150000Z-1a2b3c``)."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


# -- staging, manifest, verify, swap ----------------------------------------------------------


@contextlib.contextmanager
def staged_week(final: str | Path, *, run_id: str) -> Iterator[Path]:
    """
    Yield an empty staging folder beside ``final``; remove it if the block fails.

    Call :func:`publish_week` inside the block to swap it in; the caller must hold the
    area's lock.
    """
    final = Path(final)
    stage = final.parent / staging_name(final.name, run_id)
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise PublishError(describe_os_error(exc, stage, hint=OUT_HINT)) from exc
    try:
        with _signals_unwind():
            yield stage
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into exceptions for the block, so ``finally`` clean-up runs.

    Libraries (solvers) may leave SIGINT at its default, which ends the process on the spot.
    Only in the main thread (elsewhere signals cannot be handled).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)

    saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def file_hashes(folder: str | Path) -> dict[str, str]:
    """Return ``{relative path: SHA-256}`` of every file under ``folder`` but the manifest."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_JSON
    }


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 (hex) of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: str | Path, doc: Mapping[str, Any], *, run_id: str) -> Path:
    """
    Write ``folder/manifest.json``: ``doc`` plus the run id and every file with its SHA-256.

    Write it last: files added afterwards are reported by :func:`verify_week`.
    """
    folder = Path(folder)
    full = {**doc, "run_id": run_id, "files": file_hashes(folder)}
    text = json.dumps(full, indent=2, ensure_ascii=False, default=str) + "\n"
    return write_text(folder / MANIFEST_JSON, text)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """
    Return a week folder's manifest.

    Raises
    ------
    PublishError
        If the folder has no readable manifest with a file list.
    """
    path = Path(folder) / MANIFEST_JSON
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PublishError(f"{path}: no manifest; this is not a published week folder") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PublishError(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise PublishError(f"{path}: the manifest has no file list (written by an older version?)")
    return doc


def verify_week(folder: str | Path) -> list[str]:
    """
    Check a week folder against its manifest.

    Returns
    -------
    list of str
        One line per difference (``changed: x``, ``missing: x``, ``not in manifest: x``);
        empty when the folder is exactly the plan its manifest describes.

    Raises
    ------
    PublishError
        If the folder or its manifest cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PublishError(f"{folder}: not a folder")
    listed: dict[str, str] = read_manifest(folder)["files"]
    present = file_hashes(folder)
    problems = [f"missing: {name}" for name in sorted(set(listed) - set(present))]
    problems += [
        f"changed: {name}"
        for name in sorted(set(listed) & set(present))
        if listed[name] != present[name]
    ]
    problems += [f"not in manifest: {name}" for name in sorted(set(present) - set(listed))]
    return problems


def publish_week(stage: str | Path, final: str | Path) -> None:
    """
    Check ``stage`` against its manifest, then swap it in as ``final`` in one step.

    The previous ``final`` (if any) is removed once the new one is in place.

    Raises
    ------
    PublishError
        If the staged folder does not match its manifest, or cannot be swapped in.
    """
    stage, final = Path(stage), Path(final)
    problems = verify_week(stage)
    if problems:
        raise PublishError(
            f"{stage}: the staged week does not match its manifest ({'; '.join(problems[:5])}); "
            "nothing was published"
        )
    try:
        if not final.exists():
            os.rename(stage, final)
            _fsync_dir(final.parent)
            return
        if _exchange(stage, final):  # stage now holds the previous week
            _fsync_dir(final.parent)
            shutil.rmtree(stage, ignore_errors=True)
            return
        old = final.parent / f".{final.name}.old-{stage.name.rsplit('-', 1)[-1]}"
        os.rename(final, old)  # a kill here leaves no week: recover() puts `old` back
        os.rename(stage, final)
        _fsync_dir(final.parent)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise PublishError(describe_os_error(exc, final, hint=OUT_HINT)) from exc


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    func = _renameat2()
    if func is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # file system or kernel without RENAME_EXCHANGE: use two renames
    raise OSError(err, os.strerror(err), str(b))


@functools.cache
def _renameat2() -> Any | None:
    """Glibc's ``renameat2`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is not None:
        func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
        func.argtypes += [ctypes.c_uint]
        func.restype = ctypes.c_int
    return func


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- history ------------------------------------------------------------------------------


def pending_history(area: str | Path, run_id: str) -> Path:
    """Where a run stages its ``plans.gpkg`` update until its week is published."""
    return Path(area) / pending_history_name(run_id)


def commit_history(area: str | Path, run_id: str) -> Path | None:
    """Rename the run's staged history onto ``plans.gpkg`` (after its week is published)."""
    pending = pending_history(area, run_id)
    if not pending.exists():
        return None
    target = Path(area) / HISTORY_GPKG
    try:
        os.replace(pending, target)
    except OSError as exc:
        raise PublishError(describe_os_error(exc, target, hint=OUT_HINT)) from exc
    return target


# -- recovery --------------------------------------------------------------------------------


def recover(area: str | Path) -> list[str]:
    """
    Finish or undo what killed runs left in an area folder (hold the area's lock).

    - a week folder that is missing while its ``.old-*`` copy exists is put back (a kill
      between the two renames of the fallback swap);
    - staging folders and ``.old-*`` copies are removed;
    - a staged history update whose run published its week is renamed in (rolled forward);
      any other is removed;
    - temporary files of interrupted atomic writes (``.name.XXXX.ext``) are removed.

    Returns
    -------
    list of str
        What was done, one line each (also logged).
    """
    area = Path(area)
    if not area.is_dir():
        return []
    done: list[str] = []
    published_runs = set()
    for entry in sorted(area.iterdir()):
        m = _STAGING.fullmatch(entry.name)
        if m and entry.is_dir():
            final = area / m.group("week")
            if m.group("kind") == "old" and not final.exists():
                os.rename(entry, final)
                done.append(f"restored {final.name} from an interrupted swap")
            else:
                shutil.rmtree(entry, ignore_errors=True)
                done.append(f"removed {entry.name} (left by an interrupted run)")
    for entry in sorted(area.iterdir()):
        if entry.is_dir() and WEEK_RE.fullmatch(entry.name):
            with contextlib.suppress(PublishError):
                published_runs.add(read_manifest(entry).get("run_id"))
            done += _remove_temp_files(entry)
    for entry in sorted(area.iterdir()):
        m = _PENDING_HISTORY.fullmatch(entry.name)
        if m and m.group("run") in published_runs:
            commit_history(area, m.group("run"))
            done.append(f"completed the history update of run {m.group('run')}")
        elif m:
            entry.unlink(missing_ok=True)
            done.append(f"removed {entry.name} (its week was never published)")
    done += _remove_temp_files(area)
    done += _remove_temp_files(area.parent, only=("index",), min_age_s=600.0)
    for line in done:
        logger.warning("Recovery in %s: %s", area, line)
    return done


_TEMP = re.compile(r"\.(?P<stem>[^.]+)\.[A-Za-z0-9_]{6,}(\.[A-Za-z0-9]+)*")


def _remove_temp_files(
    folder: Path, only: tuple[str, ...] | None = None, min_age_s: float = 0.0
) -> list[str]:
    """Remove temporary files of interrupted atomic writes (hidden files but the lock).

    Under the area's lock every hidden file in the area and its weeks but the lock and the
    staged history is a leftover. ``only`` (stems of ``atomic_path`` temporary names) and
    ``min_age_s`` limit it for folders that runs of other areas write at the same time (the
    index in ``out_dir``).
    """
    done = []
    now = time.time()
    for entry in folder.iterdir():
        if not entry.name.startswith(".") or not entry.is_file() or entry.name == LOCK_FILE:
            continue
        if _PENDING_HISTORY.fullmatch(entry.name):
            continue
        if only is not None:
            m = _TEMP.fullmatch(entry.name)
            if not m or m.group("stem") not in only:
                continue
            if now - entry.stat().st_mtime < min_age_s:
                continue
        entry.unlink(missing_ok=True)
        done.append(f"removed the temporary file {entry.name}")
    return done
