"""Plan several areas at once, one Dask task per area (``corridors plan --areas A.toml B.toml``).

Each area is planned exactly as ``corridors -c A.toml plan`` plans it: :func:`plan_area` holds
the area's lock and runs :func:`corridors.pipeline.run` then
:func:`corridors.pipeline.write_plan`, which stage the week and swap it in whole, so each
area's week folder is byte for byte the one a run on its own writes (run ids and times
apart). Areas are independent: a task gets one :class:`~corridors.config.Config` (small and
picklable) and sends back an :class:`AreaOutcome` (a few counts and the one-line error, never
a GeoDataFrame); one area failing costs only that area.

The tasks run on a :class:`distributed.LocalCluster` of worker processes on this machine (one
thread each; as many as cores unless ``workers`` says), or on an existing Dask cluster named by
its scheduler address, whose workers must have this package installed and see the configs'
data and output folders at the same paths.

Examples
--------
>>> from pathlib import Path
>>> configs = read_areas([Path("a.toml"), Path("b.toml")])  # doctest: +SKIP
>>> outcomes = plan_areas(configs, workers=2)  # doctest: +SKIP
>>> [o.ok for o in outcomes]  # doctest: +SKIP
[True, True]
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from corridors import maps, pipeline, publish
from corridors.config import Config, load_config, override
from corridors.cores import CORES_ENV, usable_cores
from corridors.errors import CorridorsError, describe_os_error

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["AreaOutcome", "dask_client", "plan_area", "plan_areas", "read_areas", "run_each"]

T = TypeVar("T")
R = TypeVar("R")

Done = Callable[[int, int], None]
"""Called with (areas done, areas in all) as each task ends."""


@dataclass(frozen=True)
class AreaOutcome:
    """What planning one area gave: the counts of its plan, or the one-line error."""

    config_file: str
    area: str
    week: str
    error: str | None = None
    folder: str = ""
    files: int = 0
    corridors: int = 0
    patrolled: int = 0
    loops: int = 0
    slots_filled: int | None = None
    slots: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the area's week was planned and published."""
        return self.error is None

    def line(self) -> str:
        """One line for the summary: what was planned, or why not."""
        head = f"{self.area} {self.week}"
        if self.error is not None:
            return f"FAILED {head}: {self.error}"
        roster = (
            f", roster {self.slots_filled}/{self.slots} slots"
            if self.slots is not None
            else ", no roster"
        )
        return (
            f"ok     {head}: {_count(self.corridors, 'corridor')} ({self.patrolled} patrolled), "
            f"{_count(self.loops, 'loop')}{roster}; {self.files} files in {self.folder} "
            f"({self.seconds:.1f} s)"
        )


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + "s" * (n != 1)


def _outcome(cfg: Config, **kw: object) -> AreaOutcome:
    source = str(cfg.source_file) if cfg.source_file else ""
    return AreaOutcome(source, cfg.area.name, cfg.area.week, **kw)  # type: ignore[arg-type]


def read_areas(paths: Sequence[Path], week: str | None = None) -> list[Config]:
    """
    Read and check every area's config before any work; fix each one's week once.

    ``week`` (an ISO week) overrides every config's ``[area] week``.

    Raises
    ------
    CorridorsError
        If a config cannot be read or is not fit to plan (:func:`corridors.pipeline.check`),
        or if two configs would write the same area folder (same ``[maps] out_dir`` and
        ``[area] name``).
    """
    if not paths:
        raise CorridorsError("--areas names no config file: list the areas' TOML files")
    configs: list[Config] = []
    seen: dict[Path, Path] = {}
    for path in paths:
        cfg = override(load_config(path), "area", week=week)
        cfg = pipeline.resolve_week(cfg)
        pipeline.check(cfg)
        area_dir = pipeline.week_folder(cfg).area_dir.resolve()
        if area_dir in seen:
            raise CorridorsError(
                f"{path} and {seen[area_dir]} both plan area {cfg.area.name!r} into "
                f"{cfg.maps.out_dir}: give each area its own [area] name or [maps] out_dir"
            )
        seen[area_dir] = path
        configs.append(cfg)
    return configs


def plan_area(cfg: Config) -> AreaOutcome:
    """
    Plan and publish one area's week, as ``corridors plan`` does: the Dask task.

    A fault the command would report in one line (a :class:`CorridorsError`, a file-system
    fault) comes back as the outcome's ``error``; anything else is raised, and
    :func:`plan_areas` reports it.
    """
    t = time.perf_counter()
    try:
        with pipeline.locked(cfg, "plan"):
            result = pipeline.run(cfg)
            paths = pipeline.write_plan(result)
    except CorridorsError as exc:
        return _outcome(cfg, error=str(exc), seconds=time.perf_counter() - t)
    except OSError as exc:
        hint = "check the path, its permissions and free space"
        return _outcome(
            cfg, error=describe_os_error(exc, hint=hint), seconds=time.perf_counter() - t
        )
    plan, rota = result.plan, result.rota
    patrolled = int(plan.corridors["patrolled"].sum()) if len(plan.corridors) else 0
    return _outcome(
        result.cfg,
        folder=str(result.out_dir),
        files=len(paths),
        corridors=len(plan.corridors),
        patrolled=patrolled,
        loops=len(plan.loops),
        slots_filled=None if rota is None else int(rota.slots["filled"].sum()),
        slots=None if rota is None else len(rota.slots),
        seconds=time.perf_counter() - t,
    )


def _one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` for a fault a task raised (or a lost worker)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@contextlib.contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, *, connect_s: float = 10.0
) -> Iterator[Client]:
    """
    Yield a Dask client: of a new local cluster of worker processes, or of ``scheduler``.

    ``connect_s``: how long to try to reach ``scheduler``.

    The local cluster has ``workers`` processes (default: the machine's cores), one thread
    each, and no dashboard; its workers may start processes of their own, and a task whose
    worker dies is not tried again (an area that runs out of memory fails once, alone).

    Raises
    ------
    CorridorsError
        If ``workers`` is given with ``scheduler`` or is below 1, or the scheduler cannot be
        reached.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None:
            raise CorridorsError(
                "--workers goes with a local cluster; a --scheduler's cluster has its own workers"
            )
        try:
            client = Client(scheduler, timeout=f"{connect_s}s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise CorridorsError(
                f"cannot reach the Dask scheduler at {scheduler} ({_one_line(exc)}); start it "
                "('dask scheduler', then 'dask worker ADDRESS') or leave out --scheduler"
            ) from exc
        with client:
            yield client
        return
    n = workers if workers is not None else usable_cores()
    if n < 1:
        raise CorridorsError(f"--workers must be at least 1, got {n}")
    # distributed's constructors are untyped (2026.8); non-daemon workers may start processes
    with (
        dask.config.set(
            {"distributed.worker.daemon": False, "distributed.scheduler.allowed-failures": 0}
        ),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # each worker's loop and roster pools get its share of the cores, not all of them
            env={CORES_ENV: str(max(1, usable_cores() // n))},
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def plan_areas(
    configs: Sequence[Config],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    done: Done | None = None,
) -> list[AreaOutcome]:
    """
    Plan every area as its own Dask task; return their outcomes in the order given.

    Areas run in parallel on the cluster (see :func:`dask_client`); one that fails, or whose
    worker is lost, is reported in its outcome and costs no other. When all are done, each
    output root's ``index.html`` is written once more, so it lists every area planned into it.
    """
    with dask_client(workers, scheduler) as client:
        results = run_each(client, plan_area, configs, done=done)
    _write_indexes(configs)
    return [
        r if isinstance(r, AreaOutcome) else _outcome(cfg, error=r)
        for cfg, r in zip(configs, results, strict=True)
    ]


def run_each(
    client: Client, task: Callable[[T], R], items: Sequence[T], *, done: Done | None = None
) -> list[R | str]:
    """
    Run ``task`` on every item as its own Dask task; return the results in the order given.

    A task that raises, or whose worker dies, gives the one-line error in its place
    (``Type: message``) and costs no other.
    """
    from distributed import as_completed

    futures = {client.submit(task, item, pure=False): i for i, item in enumerate(items)}
    results: dict[int, R | str] = {}
    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        i = futures[future]
        try:
            results[i] = future.result()
        except Exception as exc:  # a bug or a lost worker: reported, the others go on
            results[i] = _one_line(exc)
        if done is not None:
            done(len(results), len(items))
    return [results[i] for i in range(len(items))]


def _write_indexes(configs: Sequence[Config]) -> None:
    """Rewrite the index of every output root: areas published at once may each miss the rest."""
    for root in sorted({cfg.maps.out_dir for cfg in configs}):
        try:
            maps.write_index(root)
        except OSError as exc:
            raise CorridorsError(describe_os_error(exc, root, hint=publish.OUT_HINT)) from exc
