"""Benchmark ``corridors plan`` end to end on synthetic cities of three sizes: time per stage.

Run: .venv/bin/python benchmarks/bench_scale.py  # borough/4, /2, whole (make bench-scale)
     .venv/bin/python benchmarks/bench_scale.py --quick    # tiny, x2, x4 (the CI smoke)
     .venv/bin/python benchmarks/bench_scale.py --vary schools   # one dimension at a time
     .venv/bin/python benchmarks/bench_scale.py --case city300   # issue 14's big cases,
     .venv/bin/python benchmarks/bench_scale.py --case city1500  # one size each (see below)
     [--work DIR] keeps the generated cities (and reuses them when the case is the same)

Each size is a synthetic city written by ``scale_city.py`` (fixed seed) as the files the tool
reads: an OSM PBF street grid with schools and hubs, police.uk street CSVs, a staff CSV and a
TOML config. It is planned in a fresh child process exactly as ``corridors plan`` does it
(``pipeline.run`` with an empty graph cache, then ``pipeline.write_plan``), plus one more
``build_graph`` for the warm (cached) graph. Printed per size and stage: wall time
(``Result.timings_s``; writing and the warm graph timed around their calls) and the peak
resident memory of the plan process while the stage ran (``/proc/self/statm`` sampled every
20 ms); per size, the child's whole peak (``ru_maxrss`` of it and of the roster's worker
processes, read with ``RUSAGE_CHILDREN``), the outcome (corridors, loops, slots filled) and
the two pages' sizes.

Growth exponent: ``k`` in time ~ n^k, the slope of log time against log n fitted over the
three sizes. By default the sizes grow *together* at constant density (a bigger area with
proportionally more streets, schools, hubs, incidents and people; n = the schools, 25, 50,
100 by default), which is how a city differs from a borough. ``--vary nodes|schools|incidents``
scales one of them (staff follow schools, hubs nodes, clusters incidents) and keeps the
others at the largest size's. Against the baseline of the same run: the smallest size (its
times are the ratios' 1x) and n log n, whose slope over 1..4 x n is about 1 + 1/ln(n)
(1.1 at n = 10k): a stage with k >= 1.3 is flagged "worse than n log n".

Targets (issue 14, 2 cores): borough warm < 15 s; city 1,500 schools < 15 min and < 12 GB.
The big cases (``--case city300``: 705 x 705 corners, about 481k street nodes, 300 schools,
1M incidents, 1,000 hubs, 240 people; ``--case city1500``: the same city with 1,500 schools,
1,200 people) run one size each and need 8-24 GB today: run them only on a machine that has
it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from scale_city import CASES, Case, ensure_city, scaled

STAGES = ("load", "graph", "hotspots", "corridors", "roster", "graph warm", "writing")
RUN_STAGES = ("load", "graph", "hotspots", "corridors", "roster")  # Result.timings_s, in order
FLAG_K = 1.3


class _Sampler(threading.Thread):
    """Resident memory of this process every ``every`` s: (time, bytes) samples."""

    def __init__(self, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def rss(self) -> int:
        try:
            with open("/proc/self/statm", encoding="ascii") as f:
                return int(f.read().split()[1]) * self._page
        except OSError:  # not Linux: the peak so far
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def run(self) -> None:
        while not self._done.is_set():
            self.samples.append((time.perf_counter(), self.rss()))
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def peak(self, start: float, end: float) -> int:
        inside = [b for t, b in self.samples if start <= t <= end]
        return max(inside, default=self.rss())


def _child(config: Path, out: Path) -> None:
    """Plan the city of ``config`` (cold graph cache), time the warm graph, write the week."""
    import logging
    import warnings

    from corridors import pipeline
    from corridors.config import load_config

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    cfg = load_config(config)
    shutil.rmtree(cfg.graph.cache_dir, ignore_errors=True)
    shutil.rmtree(cfg.maps.out_dir, ignore_errors=True)
    sampler = _Sampler()
    sampler.start()
    t0 = time.perf_counter()
    result = pipeline.run(cfg)
    spans: dict[str, tuple[float, float]] = {}
    at = t0
    for stage in RUN_STAGES:
        spans[stage] = (at, at + result.timings_s[stage])
        at += result.timings_s[stage]
    t = time.perf_counter()
    pipeline.build_graph(result.cfg, result.inputs)
    spans["graph warm"] = (t, time.perf_counter())
    t = time.perf_counter()
    pipeline.write_plan(result)
    spans["writing"] = (t, time.perf_counter())
    sampler.stop()
    facts = _facts(result)
    facts["seconds"] = {s: b - a for s, (a, b) in spans.items()}
    facts["stage_peak_mb"] = {s: sampler.peak(a, b) / 2**20 for s, (a, b) in spans.items()}
    facts["self_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    facts["workers_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out.write_text(json.dumps(facts), encoding="utf-8")


def _facts(result: Any) -> dict[str, Any]:
    """What was planned: sizes of the inputs and graph, the outcome, the pages' sizes."""
    rota = result.rota
    folder = result.out_dir
    pages = {p: (folder / p).stat().st_size / 2**20 for p in ("internal.html", "shared.html")
             if (folder / p).is_file()}  # fmt: skip
    every = [*folder.glob("*.html"), *folder.glob("internal/*.html")]
    pages["largest"] = max((p.stat().st_size / 2**20 for p in every), default=0.0)
    pages["count"] = len(every)
    return {
        "nodes": len(result.street.nodes),
        "edges": len(result.street.edges),
        "schools": len(result.inputs.schools),
        "hubs": len(result.inputs.hubs),
        "incidents": len(result.inputs.incidents),
        "people": len(result.staff.people) if result.staff is not None else 0,
        "patrolled": int(result.plan.corridors["patrolled"].sum()),
        "loops": len(result.plan.loops),
        "slots": len(rota.slots) if rota is not None else 0,
        "filled": int(rota.slots["filled"].sum()) if rota is not None else 0,
        "gap": float(rota.gap) if rota is not None else float("nan"),
        "pages_mb": pages,
    }


def _run_size(case: Case, work: Path) -> dict[str, Any]:
    """Generate ``case`` (unless kept) and plan it in a child process; its facts."""
    folder = work.resolve() / case.name
    t = time.perf_counter()
    config, written = ensure_city(case, folder)
    generated = time.perf_counter() - t if written else None
    out = folder / "bench.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    root = Path(__file__).resolve().parent.parent
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    subprocess.run([sys.executable, __file__, "--child", str(config), str(out)], check=True,
                   env={**os.environ, "PYTHONPATH": path}, cwd=root)  # fmt: skip
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    facts: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    facts.update(case=case.name, wall=wall, generated=generated)
    own = max(facts["self_peak_mb"], facts["workers_peak_mb"])
    facts["peak_mb"] = after / 1024 if after > before else own  # RUSAGE_CHILDREN is a running max
    return facts


def _exponents(runs: list[dict[str, Any]], key: str) -> dict[str, float]:
    """Per stage, the slope of log time against log ``key`` over the runs."""
    n = np.log([float(r[key]) for r in runs])
    out = {}
    for stage in (*STAGES, "total"):
        t = [max(r["seconds"][stage] if stage != "total" else r["wall"], 1e-3) for r in runs]
        out[stage] = float(np.polyfit(n, np.log(t), 1)[0]) if np.ptp(n) > 0 else float("nan")
    return out


def _print_runs(runs: list[dict[str, Any]]) -> None:
    print(f"\n{'size':>14} {'nodes':>9} {'edges':>10} {'schools':>7} {'hubs':>6} "
          f"{'incidents':>10} {'people':>6} {'corr.':>5} {'loops':>5} {'filled':>9} "
          f"{'gap':>6} {'internal':>8} {'shared':>7} {'largest':>13} {'peak MB':>8} "
          f"{'wall s':>7} {'gen s':>6}")  # fmt: skip
    for r in runs:
        pages = r["pages_mb"]
        gen = f"{r['generated']:.1f}" if r["generated"] is not None else "kept"
        print(f"{r['case']:>14} {r['nodes']:>9,} {r['edges']:>10,} {r['schools']:>7,} "
              f"{r['hubs']:>6,} {r['incidents']:>10,} {r['people']:>6,} {r['patrolled']:>5} "
              f"{r['loops']:>5} {r['filled']:>4}/{r['slots']:<4} {100 * r['gap']:>5.1f}% "
              f"{pages.get('internal.html', 0):>6.1f}MB {pages.get('shared.html', 0):>5.1f}MB "
              f"{pages.get('largest', 0):>4.1f}MB of {pages.get('count', 0):>3} "
              f"{r['peak_mb']:>8,.0f} {r['wall']:>7.1f} {gen:>6}")  # fmt: skip
    print(f"\n{'stage':>12}", *(f"{r['case'][:16]:>16}" for r in runs), sep=" ")
    print(f"{'':>12}", *(f"{'s':>8}{'MB':>8}" for _ in runs), sep=" ")
    for stage in STAGES:
        cells = [f"{r['seconds'][stage]:>8.2f}{r['stage_peak_mb'][stage]:>8,.0f}" for r in runs]
        print(f"{stage:>12}", *cells, sep=" ")


def _print_exponents(runs: list[dict[str, Any]], key: str, label: str, ref: str) -> None:
    k = _exponents(runs, key)
    base = runs[0]
    n0, n1 = float(base[ref]), float(runs[-1][ref])
    nlogn = 1 + math.log(math.log(n1) / math.log(n0)) / math.log(n1 / n0) if n1 > n0 else 1.0
    print(f"\nGrowth exponent k (time ~ n^k, n = {label}: "
          f"{', '.join(f'{r[key]:,}' for r in runs)}); n log n over these sizes (n = {ref}) "
          f"is k = {nlogn:.2f}; k >= {FLAG_K} is flagged")  # fmt: skip
    print(f"{'stage':>12} {'k':>6}  {'x vs ' + base['case']:>18}  verdict")
    for stage, slope in k.items():
        t0 = base["seconds"][stage] if stage != "total" else base["wall"]
        t1 = runs[-1]["seconds"][stage] if stage != "total" else runs[-1]["wall"]
        verdict = "worse than n log n" if slope >= FLAG_K else "about n log n or better"
        print(f"{stage:>12} {slope:>6.2f}  {t1 / max(t0, 1e-3):>17.1f}x  {verdict}")


def _sizes(args: argparse.Namespace) -> tuple[list[Case], str, str]:
    """The cases to run, the fact the exponent is fitted against, and its label."""
    if args.case:
        return [CASES[args.case]], "schools", "schools"
    base = CASES["tiny"] if args.quick else CASES["borough"]
    factors = (1, 2, 4) if args.quick else (0.25, 0.5, 1)
    vary = args.vary
    tag = {"together": "", "nodes": "n", "schools": "s", "incidents": "i"}[vary]
    cases = [scaled(base, f, vary, name=f"{base.name}-{tag}x{f:g}") for f in factors]
    key = {"together": "schools", "nodes": "nodes", "schools": "schools",
           "incidents": "incidents"}[vary]  # fmt: skip
    label = "schools (nodes, incidents, hubs and people in proportion)" if vary == "together" \
        else key  # fmt: skip
    return cases, key, label


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three tiny sizes (CI smoke)")
    parser.add_argument("--vary", choices=("together", "nodes", "schools", "incidents"),
                        default="together", help="what grows over the three sizes")  # fmt: skip
    parser.add_argument("--case", choices=sorted(CASES), help="one named case only")
    parser.add_argument("--work", type=Path, help="keep the generated cities here")
    args = parser.parse_args()
    cases, key, label = _sizes(args)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = args.work or Path(tmp)
        runs = []
        for case in cases:
            print(f"planning {case} ...", flush=True)
            runs.append(_run_size(case, work))
        _print_runs(runs)
        if len(runs) >= 3:
            _print_exponents(runs, key, label, "nodes" if args.vary == "together" else key)


if __name__ == "__main__":
    main()
