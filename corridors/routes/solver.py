"""Solve patrol-loop instances with PyVRP: one in-process, or many across processes.

A :class:`LoopTask` is one corridor's prize-collecting problem as plain arrays (a walking
matrix and prizes, no street graph), so it travels to a worker process cheaply.
:func:`split_budget` shares one time budget across the corridors by their size (candidate
visits), never below a floor; :func:`solve_tasks` solves them across a process pool (or
in-process for one task or one worker) and returns the routes in task order. PyVRP stops at
a task's iterations (deterministic for its seed) or its seconds, whichever comes first, so
the routes do not depend on the number of workers unless a time cap binds.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridors.cores import process_pool, worker_count

logger = logging.getLogger(__name__)

_PRIZE_SCALE = 1e8  # total prize of a corridor, in solver units (distance is a tie-break)
_DIST_SCALE = 10  # solver distances in decimetres
_UNIT_DISTANCE_COST = 1  # a tie-break: prizes dominate

#: The least solver time a corridor gets from the shared budget (seconds), unless
#: ``[corridors] solver_seconds`` is lower still.
MIN_LOOP_SECONDS = 1.0
#: Fewer problems than this are solved in-process: starting a pool (a fork server that
#: imports the package and PyVRP, about 1-2 s) costs more than it saves on a few corridors.
MIN_POOL_TASKS = 8

Routes = list[list[int]]


@dataclass(frozen=True)
class LoopTask:
    """One corridor's loop problem: location 0 = depot, 1..k = candidate visits."""

    mat: np.ndarray  # (k+1, k+1) walking metres
    prize: np.ndarray  # (k,) risk of each candidate
    budget_m: float
    max_loops: int
    iterations: int
    seconds: float
    seed: int
    patience: int = 0  # stop after this many iterations without a better plan (0 = off)

    @property
    def size(self) -> int:
        """Candidate visits: what the solver's time grows with."""
        return len(self.prize)


def split_budget(
    sizes: Sequence[int], total_s: float, *, cap_s: float, floor_s: float = MIN_LOOP_SECONDS
) -> list[float]:
    """
    Share ``total_s`` seconds across tasks in proportion to their sizes.

    Each share is at least ``floor_s`` and at most ``cap_s`` (the per-corridor cap wins when
    it is below the floor), so the total can pass ``total_s`` only by the floors.

    Examples
    --------
    >>> split_budget([60, 30, 10], 10.0, cap_s=10.0)
    [6.0, 3.0, 1.0]
    >>> split_budget([60, 30, 10], 100.0, cap_s=10.0)
    [10.0, 10.0, 10.0]
    >>> split_budget([90, 5, 5], 10.0, cap_s=10.0, floor_s=2.0)
    [9.0, 2.0, 2.0]
    """
    total_size = sum(max(int(s), 1) for s in sizes)
    shares = []
    for size in sizes:
        share = total_s * max(int(size), 1) / total_size
        shares.append(min(cap_s, max(floor_s, share)))
    return shares


def solve_tasks(
    tasks: Sequence[LoopTask],
    *,
    workers: int = 0,
    on_done: Callable[[], None] | None = None,
    min_pool_tasks: int = MIN_POOL_TASKS,
) -> list[Routes]:
    """
    Solve every task; return their routes in task order.

    ``workers`` processes (0 = every core) solve the tasks; one worker, fewer than
    ``min_pool_tasks`` tasks, or a process that may not start children (a daemonic worker)
    solves them in-process. ``on_done`` is called in this process after each task is solved.
    """
    n = worker_count(workers, len(tasks))
    if len(tasks) < max(min_pool_tasks, 2):
        n = 1
    pool = _pool(n) if n > 1 else None
    if pool is None:
        out = []
        for task in tasks:
            out.append(solve_task(task))
            if on_done is not None:
                on_done()
        return out
    return _solve_in_pool(pool, tasks, on_done)


def _pool(n: int) -> ProcessPoolExecutor | None:
    """Return a pool of ``n`` processes that have PyVRP imported (None: solve in-process)."""
    return process_pool(n, preload=[__name__, "pyvrp"])


def _solve_in_pool(
    pool: ProcessPoolExecutor, tasks: Sequence[LoopTask], on_done: Callable[[], None] | None
) -> list[Routes]:
    out: list[Routes | None] = [None] * len(tasks)
    try:
        futures: dict[Future[Routes], int] = {
            pool.submit(solve_task, task): i for i, task in enumerate(tasks)
        }
        for future in as_completed(futures):
            out[futures[future]] = future.result()
            if on_done is not None:
                on_done()
    except BrokenProcessPool as exc:  # a worker died (or could not start): finish here
        logger.warning("patrol loop workers stopped (%s); solving the rest in one process", exc)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True, cancel_futures=True)
    for i, routes in enumerate(out):
        if routes is None:
            out[i] = solve_task(tasks[i])
            if on_done is not None:
                on_done()
    return [routes if routes is not None else [] for routes in out]


def solve_task(task: LoopTask) -> Routes:
    """Solve one task; return its routes as lists of locations 1..k (within the budget)."""
    return _pyvrp_routes(
        task.mat, task.prize, budget_m=task.budget_m, max_loops=task.max_loops,
        iterations=task.iterations, seconds=task.seconds, seed=task.seed,
        patience=task.patience,
    )  # fmt: skip


def _pyvrp_routes(
    mat: np.ndarray,
    prize: np.ndarray,
    *,
    budget_m: float,
    max_loops: int,
    iterations: int,
    seconds: float,
    seed: int,
    patience: int = 0,
) -> Routes:
    """Solve the prize-collecting problem; return routes as lists of locations 1..k."""
    from pyvrp import Model, PenaltyParams, SolveParams
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    k = len(prize)
    scale = _PRIZE_SCALE / max(float(prize.sum()), 1e-12)
    dist = np.ceil(mat * _DIST_SCALE).astype(np.int64)
    max_dist = math.floor(budget_m * _DIST_SCALE)
    model = Model()
    locs = [model.add_location(x=0, y=0) for _ in range(k + 1)]
    model.add_depot(locs[0])
    for i in range(k):
        model.add_client(locs[i + 1], prize=max(1, round(prize[i] * scale)), required=False)
    model.add_vehicle_type(
        num_available=max_loops, max_distance=max_dist, unit_distance_cost=_UNIT_DISTANCE_COST
    )
    for i in range(k + 1):
        for j in range(k + 1):
            if i != j:
                model.add_edge(locs[i], locs[j], distance=int(dist[i, j]))
    criteria: list[Any] = [MaxIterations(iterations), MaxRuntime(seconds)]
    if 0 < patience < iterations:
        criteria.append(NoImprovement(patience))
    stop = MultipleCriteria(criteria)
    with warnings.catch_warnings():
        # PyVRP warns when its penalty for overlong routes hits its cap; the routes it
        # returns are checked against the budget below, so the warning is not actionable
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(
            stop, seed=seed, display=False, collect_stats=False,
            params=SolveParams(penalty=PenaltyParams(max_penalty=1e9)),
        )  # fmt: skip
    routes = []
    for route in result.best.routes():
        visits = _repair([a.idx + 1 for a in route if a.is_client()], mat, prize, budget_m)
        if visits:
            routes.append(visits)
    return routes


def _tour_length(mat: np.ndarray, visits: list[int]) -> float:
    seq = [0, *visits, 0]
    return float(sum(mat[a, b] for a, b in itertools.pairwise(seq)))


def _repair(visits: list[int], mat: np.ndarray, prize: np.ndarray, budget_m: float) -> list[int]:
    """Drop the visits that save the most walking per unit of prize until within budget."""
    visits = list(visits)
    while visits and _tour_length(mat, visits) > budget_m + 1e-6:
        length = _tour_length(mat, visits)
        best, best_ratio = 0, -1.0
        for i in range(len(visits)):
            saved = length - _tour_length(mat, visits[:i] + visits[i + 1 :])
            ratio = saved / max(float(prize[visits[i] - 1]), 1e-12)
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        del visits[best]
    return visits
