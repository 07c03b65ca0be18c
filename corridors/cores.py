"""
How many cores this process may fill with worker processes of its own, and the pool to fill them.

``[corridors] workers = 0`` and ``[roster.solver] workers = 0`` mean "every core". A plan
run as one of several Dask tasks on one machine (``corridors plan --areas``) must not start
a pool per core in every task: its local cluster gives each worker process its share of the
machine in :data:`CORES_ENV`, which :func:`usable_cores` honours. Outputs do not depend on
the count (loops and rosters are the same for any number of processes), so nothing recorded
in a manifest changes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

#: Environment variable: the cores this process may use (set per Dask worker by ``areas``).
CORES_ENV = "CORRIDORS_CORES"


def usable_cores() -> int:
    """
    Return the cores this process may use: :data:`CORES_ENV` when set, else its CPU affinity.

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    share = os.environ.get(CORES_ENV, "").strip()
    if share.isdigit() and int(share) >= 1:
        return int(share)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_count(workers: int, tasks: int) -> int:
    """Return the processes to use: ``workers`` (0 = every usable core), at most one per task."""
    if workers <= 0:
        workers = usable_cores()
    return max(1, min(workers, tasks))


def process_pool(
    n: int,
    *,
    preload: Sequence[str] = (),
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor | None:
    """
    Return a pool of ``n`` fresh worker processes, or None where there can be none.

    Workers fork from a fork server that has imported ``preload`` once (spawned where there
    is no fork server); each ends itself when this process is gone (killed, say), then runs
    ``initializer(*initargs)``. None when ``n`` < 2, when this process is daemonic (a pool's
    or a Dask worker may not start children) or when the platform cannot start processes:
    the caller then works in-process.
    """
    if n < 2 or multiprocessing.current_process().daemon:
        return None
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([__name__, *preload])  # imported once, forked per worker
    try:
        return ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_start_worker,
            initargs=(os.getpid(), initializer, initargs),
        )  # fmt: skip
    except (OSError, NotImplementedError) as exc:  # no semaphores or processes here
        logger.warning("working in one process: no process pool (%s)", exc)
        return None


def _start_worker(
    pid: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    _watch_planner(pid)
    if initializer is not None:
        initializer(*initargs)


def _watch_planner(pid: int) -> None:
    """In a worker: end it when the planning process ``pid`` is gone (killed, say).

    A worker blocked on its task queue would otherwise outlive a planner killed alone.
    """
    if os.name != "posix":  # os.kill(pid, 0) only asks on POSIX
        return

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - alive, someone else's
                pass

    threading.Thread(target=watch, name="watch-planner", daemon=True).start()
