"""
How many cores this process may fill with worker processes of its own.

``[corridors] workers = 0`` and ``[roster.solver] workers = 0`` mean "every core". A plan
run as one of several Dask tasks on one machine (``corridors plan --areas``) must not start
a pool per core in every task: its local cluster gives each worker process its share of the
machine in :data:`CORES_ENV`, which :func:`usable_cores` honours. Outputs do not depend on
the count (loops and rosters are the same for any number of processes), so nothing recorded
in a manifest changes.
"""

from __future__ import annotations

import os

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
