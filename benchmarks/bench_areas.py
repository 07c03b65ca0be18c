"""Benchmark ``plan --areas``: N areas one after another vs on a Dask LocalCluster (on demand).

    .venv/bin/python benchmarks/bench_areas.py [--copies 4] [--quick] [--configs A.toml ...]
    .venv/bin/python benchmarks/bench_areas.py --force 30 [--case tiny|borough] [--scale 0.5]

The areas are N copies of the embedded Rutland area (``rutland-1`` ... ``rutland-N``: the
same data, each its own week folder), or the given configs, or (``--force N``) a force of N
synthetic boroughs from ``scale_city.py`` (``--case`` scaled by ``--scale``, each its own
seed, streets, schools, incidents and staff: a force-wide run; 30 boroughs of half the
scale benchmark's borough are the 1,500-school city split into 30, about 15 min per pass on
2 cores; ``--case tiny`` is the quick one). Every area writes into a
temporary folder; the street-graph cache is built first, so every run finds it warm.

The baseline, measured in the same run: the areas planned one after another in this process
(``corridors.areas.plan_area``, the task itself, after one warm-up plan so that it pays no
imports). Then the same areas on a LocalCluster of 1 and of 2 worker processes
(``corridors.areas.plan_areas``), each timed whole: starting the cluster (its workers import
the package), planning, stopping it. The cluster's own cost is timed apart (start and stop
with no task). Prints wall times and the speed-up against the baseline.

The development machine has 2 cores shared with other work: 2 workers can give at most 2x,
and less when the machine is busy (the figures vary by about 2x from run to run).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from corridors import areas, pipeline
from corridors.config import Config, load_config, override

ROOT = Path(__file__).resolve().parents[1]


def _force(args: argparse.Namespace, tmp: Path) -> list[Path]:
    """Write ``args.force`` synthetic boroughs (scale_city.py, a seed each); their configs."""
    import dataclasses

    from scale_city import CASES, SEED, ensure_city, scaled

    case = CASES[args.case] if args.scale == 1 else scaled(CASES[args.case], args.scale)
    paths = []
    for k in range(args.force):
        borough = dataclasses.replace(case, name=f"force-{k + 1:02d}")
        path, _ = ensure_city(borough, tmp / borough.name, seed=SEED + k)
        paths.append(path)
    return paths


def _areas(args: argparse.Namespace, tmp: Path) -> list[Config]:
    out = {"out_dir": tmp / "maps"}
    cache = {"cache_dir": tmp / "cache"}
    if args.force:
        cfgs = [load_config(p) for p in _force(args, tmp)]
    elif args.configs:
        cfgs = [load_config(p) for p in args.configs]
    else:
        base = load_config(ROOT / "data" / "rutland.toml")
        cfgs = [override(base, "area", name=f"rutland-{k + 1}") for k in range(args.copies)]
    return [
        pipeline.resolve_week(override(override(c, "maps", **out), "graph", **cache)) for c in cfgs
    ]


def _timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4, help="copies of the embedded area")
    ap.add_argument("--quick", action="store_true", help="2 copies")
    ap.add_argument("--configs", nargs="+", type=Path, help="plan these areas instead")
    ap.add_argument("--force", type=int, default=0, help="N synthetic boroughs instead")
    ap.add_argument("--case", default="tiny", help="--force: scale_city.py's case (tiny)")
    ap.add_argument("--scale", type=float, default=1.0, help="--force: the case scaled by")
    args = ap.parse_args()
    if args.quick:
        args.copies = 2
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, shared with other work (load average {load} before the run)")
    with tempfile.TemporaryDirectory() as tmp:
        cfgs = _areas(args, Path(tmp))
        for cfg in {c.graph: c for c in cfgs}.values():  # every distinct graph, built once
            pipeline.build_graph(cfg, pipeline.read_inputs(cfg))
        areas.plan_area(cfgs[0])  # warm-up: imports and first-call costs, out of the baseline
        seq_s, seq = _timed(lambda: [areas.plan_area(c) for c in cfgs])
        assert all(o.ok for o in seq), [o.error for o in seq if not o.ok]
        per_area = sorted(o.seconds for o in seq)
        print(
            f"{len(cfgs)} areas; one after another in this process: {seq_s:.1f} s "
            f"(per area {per_area[0]:.1f}-{per_area[-1]:.1f} s)  [baseline]"
        )
        for workers in (1, 2):

            def start_stop(n: int = workers) -> None:
                with areas.dask_client(n):
                    pass

            overhead_s, _ = _timed(start_stop)
            wall_s, outcomes = _timed(lambda n=workers: areas.plan_areas(cfgs, workers=n))
            failed = [o.line() for o in outcomes if not o.ok]
            assert not failed, failed
            tasks = sorted(o.seconds for o in outcomes)
            print(
                f"LocalCluster, {workers} worker(s): {wall_s:.1f} s, "
                f"speed-up {seq_s / wall_s:.2f}x "
                f"(cluster start and stop alone: {overhead_s:.1f} s; planning without it "
                f"{seq_s / max(wall_s - overhead_s, 1e-9):.2f}x); its tasks took "
                f"{tasks[0]:.1f}-{tasks[-1]:.1f} s each, {sum(tasks):.1f} s in all"
            )


if __name__ == "__main__":
    main()
