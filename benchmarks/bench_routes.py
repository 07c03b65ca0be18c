"""Benchmark the corridors stage on the embedded Rutland data (on demand, not in CI).

1. Many-to-many routing: the bounded scipy pass per school (``route_footfall``) against one
   networkx ``shortest_path`` call per (school, destination) pair, on the same graph. The
   per-pair side is timed on a random sample of pairs and scaled to all pairs (``--full``
   times every pair). Distances are checked to agree.
2. The whole corridor stage (``plan_corridors``) with a warm graph cache.
3. Patrol-loop quality: for harder instances (whole catchment trees as corridors, shorter
   budgets) the solver's prize against the knapsack upper bound and against a 10x longer run.
4. Many corridors (a synthetic jittered grid with 40, or 80, schools): the loop step solved
   in one process against two worker processes in the same run (the loops must be the
   same), and the shared time budget at work.

Run: ``.venv/bin/python benchmarks/bench_routes.py [--quick] [--full]``
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corridors import graph, load, routes  # noqa: E402
from corridors.config import GraphConfig, RouteConfig, load_config  # noqa: E402
from corridors.load import osm  # noqa: E402
from corridors.routes.footfall import _footfall_on_net, _street_length_weights  # noqa: E402
from corridors.routes.loops import _loop_instance, _seg_risk_from_series, _solve_loops  # noqa: E402
from corridors.routes.network import _build_net, _edge_keys, _snap  # noqa: E402
from corridors.routes.solver import LoopTask, solve_tasks, split_budget  # noqa: E402
from corridors.week import PlanWeek, Window  # noqa: E402

PBF = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
POLICE = ROOT / "data" / "police" / "leicestershire-street-rutland.csv.gz"
CRS = "EPSG:27700"
TZ = "Europe/London"
WEEK = PlanWeek.parse("2022-W45", timezone=TZ, lookback_weeks=52)


def load_inputs() -> load.Inputs:
    """The io stage's loader when it exists, else a minimal reader of the same files."""
    if hasattr(load, "load_inputs"):
        try:
            return load.load_inputs(load_config(ROOT / "data" / "rutland.toml"))
        except Exception as exc:
            print(f"(load.load_inputs failed: {exc}; using the local reader)")
    schools = osm.read_osm_schools(PBF).to_crs(CRS).rename(columns={"osm_id": load.SCHOOL_ID})
    hubs = osm.read_osm_hubs(PBF).to_crs(CRS).rename(columns={"osm_id": load.HUB_ID})
    police = pd.read_csv(POLICE).dropna(subset=["Longitude"])
    incidents = gpd.GeoDataFrame(
        {
            load.INCIDENT_ID: [f"police:{i + 2}" for i in police.index],
            load.OFFENCE: police["Crime type"].to_numpy(),
            load.MONTH: police["Month"].to_numpy(),
            load.OCCURRED_AT: pd.Series(
                pd.NaT, index=police.index, dtype=f"datetime64[ns, {TZ}]"
            ).to_numpy(),
            load.TIME_KNOWN: False,
        },
        geometry=gpd.points_from_xy(police["Longitude"], police["Latitude"]),
        crs="EPSG:4326",
    ).to_crs(CRS)
    return load.Inputs(CRS, TZ, None, schools, hubs, incidents, (), pd.DataFrame())


def bench_routing(street, inputs, *, sample: int, full: bool) -> None:
    cfg = RouteConfig()
    net = _build_net(street)
    home_w = _street_length_weights(net)  # every street node is a home area
    pos, _ = _snap(
        net,
        np.column_stack([inputs.schools.geometry.x, inputs.schools.geometry.y]),
        min_component=50,
    )
    sources = [net.node_ids[p] for p in pos]  # every school, all phases: more work
    # destinations: residential-weighted nodes within the catchment of each school
    dests = []
    for p in pos:
        dist = csgraph.dijkstra(net.csr, indices=int(p), limit=cfg.catchment_m)
        mask = (dist <= cfg.catchment_m) & (home_w > 0)
        mask[p] = False
        dests.append(pd.Series(home_w[mask], index=net.node_ids[mask]))
    pairs = [(s, d) for s, ds in zip(sources, dests, strict=True) for d in ds.index]

    t = time.perf_counter()
    net = _build_net(street)
    edge_index = pd.MultiIndex.from_frame(_edge_keys(street.edges))
    build = time.perf_counter() - t
    t = time.perf_counter()
    flows = _footfall_on_net(net, edge_index, sources, dests, limit_m=cfg.catchment_m)
    fast = time.perf_counter() - t

    digraph = nx.DiGraph()
    for (u, v, _k), length in street.edges["length"].items():
        if u != v and (not digraph.has_edge(u, v) or digraph[u][v]["length"] > length):
            digraph.add_edge(u, v, length=length)
    chosen = pairs if full else random.Random(0).sample(pairs, min(sample, len(pairs)))
    t = time.perf_counter()
    worst = 0.0
    for s, d in chosen:
        path = nx.shortest_path(digraph, s, d, weight="length")
        length = nx.path_weight(digraph, path, weight="length")
        dist = csgraph.dijkstra(net.csr, indices=net.index[s], limit=cfg.catchment_m)
        worst = max(worst, abs(dist[net.index[d]] - length))
        _ = path
    # the check above runs one scipy search per pair too; time networkx alone
    t_nx = time.perf_counter()
    for s, d in chosen:
        nx.shortest_path(digraph, s, d, weight="length")
    per_pair = (time.perf_counter() - t_nx) / len(chosen)
    slow = per_pair * len(pairs)
    _ = t
    print(
        "== many-to-many routing (Rutland, every school to every street node within "
        f"{cfg.catchment_m:g} m)"
    )
    print(
        f"graph: {len(street.nodes):,} nodes, {len(street.edges):,} edges; "
        f"{len(sources)} schools, {len(pairs):,} school-home pairs"
    )
    print(
        f"scipy bounded pass + tree accumulation: {fast:.3f} s "
        f"({sum(len(f) for f in flows):,} edge flows), plus {build:.3f} s to build the "
        "sparse matrix once"
    )
    scope = "all pairs" if full else f"{len(chosen):,} sampled pairs, scaled to all"
    print(f"networkx per pair: {per_pair * 1000:.2f} ms/pair -> {slow:.1f} s ({scope})")
    print(f"max distance difference: {worst:.2e} m")
    print(
        f"ratio (networkx / scipy): {slow / fast:.0f}x routing alone, "
        f"{slow / (fast + build):.0f}x with the matrix build  (target >= 20x)"
    )


def bench_stage(inputs, cache_dir: Path) -> None:
    gcfg = GraphConfig(osm_file=PBF, cache_dir=cache_dir)
    graph.build_street_graph(gcfg, crs=CRS)  # warm the cache
    t = time.perf_counter()
    street = graph.build_street_graph(gcfg, crs=CRS)
    t_graph = time.perf_counter() - t
    t = time.perf_counter()
    plan = routes.plan_corridors(
        street,
        inputs,
        None,
        RouteConfig(),
        week=WEEK,
        window=Window(),
    )
    t_stage = time.perf_counter() - t
    print("\n== whole corridor stage (Rutland, warm graph cache)")
    print(
        f"graph from cache: {t_graph:.2f} s; plan_corridors: {t_stage:.2f} s "
        f"(target < 10 s); ratio to the cache load: {t_stage / max(t_graph, 1e-9):.1f}x"
    )
    print(
        f"{len(plan.corridors)} corridors ({int(plan.corridors['patrolled'].sum())} "
        f"patrolled), {len(plan.loops)} loops, {len(plan.unpatrolled)} schools unpatrolled"
    )
    if len(plan.loops):
        print(
            plan.loops[
                ["loop_id", "meeting_point", "start_time", "length_m", "risk_share", "gap"]
            ].to_string(index=False)
        )


def bench_loops(street, inputs, *, quick: bool) -> None:
    """Harder instances: whole catchment trees, shorter budgets."""
    print("\n== patrol loops: solver prize vs knapsack bound and vs a 10x longer run")
    cfg = RouteConfig(corridor_share=1.0)
    plan = routes.plan_corridors(
        street,
        inputs,
        None,
        cfg,
        week=WEEK,
        window=Window(),
    )
    net = _build_net(street)
    budgets = (15.0, 30.0) if quick else (10.0, 15.0, 30.0, 45.0)
    rows = []
    for cid, segs in plan.segments.groupby("corridor_id"):
        corridor = plan.corridors.set_index("corridor_id").loc[cid]
        if not corridor["patrolled"]:
            continue
        risk = pd.Series(
            segs["risk"].to_numpy(), index=pd.MultiIndex.from_frame(segs[["u", "v", "key"]])
        )
        seg_risk = _seg_risk_from_series(net, street, risk)
        depot = plan.loops.loc[plan.loops["corridor_id"] == cid, "meeting_node"]
        if depot.empty:
            continue
        for minutes in budgets:
            budget = minutes * cfg.speed_kmh * 1000 / 60
            common = dict(budget_m=budget, max_loops=2, max_candidates=60, seed=0, seconds=60.0)
            t = time.perf_counter()
            _, stats = _solve_loops(
                net,
                seg_risk,
                [net.index[depot.iloc[0]]],
                iterations=cfg.solver_iterations,
                **common,
            )
            secs = time.perf_counter() - t
            _, long_stats = _solve_loops(
                net,
                seg_risk,
                [net.index[depot.iloc[0]]],
                iterations=cfg.solver_iterations * 10,
                **common,
            )
            if stats is None or stats.bound <= 0:
                continue
            rows.append({
                "corridor": cid, "budget_min": minutes, "candidates": stats.candidates,
                "prize/bound": stats.prize / stats.bound,
                "prize/long run": stats.prize / max(long_stats.prize, 1e-12),
                "seconds": secs,
            })  # fmt: skip
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if len(table):
        print(
            f"median prize/bound {statistics.median(table['prize/bound']):.3f}; "
            f"median prize/(10x run) {statistics.median(table['prize/long run']):.3f}"
        )


def _grid(n: int, m: int, *, seed: int):
    rng = np.random.default_rng(seed)
    coords = {
        r * n + c: (c * 100 + rng.uniform(-20, 20), r * 100 + rng.uniform(-20, 20))
        for r in range(m)
        for c in range(n)
    }
    pairs = []
    for r in range(m):
        for c in range(n):
            i = r * n + c
            if c < n - 1:
                pairs += [(i, i + 1), (i + 1, i)]
            if r < m - 1:
                pairs += [(i, i + n), (i + n, i)]
    return routes.street_from_edges(coords, pairs, crs=CRS)


def _cpsat_optimum(mat: np.ndarray, prize: np.ndarray, budget: float, seconds: float):
    """Exact single-loop orienteering with CP-SAT (AddCircuit with optional nodes)."""
    from ortools.sat.python import cp_model

    k = len(prize)
    scale = 10  # decimetres, as the heuristic uses
    dist = np.ceil(mat * scale).astype(int)
    model = cp_model.CpModel()
    arcs, length, visit = [], [], [model.NewBoolVar(f"y{i}") for i in range(k + 1)]
    model.Add(visit[0] == 1)
    for i in range(k + 1):
        arcs.append((i, i, visit[i].Not()))
        for j in range(k + 1):
            if i != j and dist[i, j] <= budget * scale:
                lit = model.NewBoolVar(f"x{i}_{j}")
                arcs.append((i, j, lit))
                length.append(dist[i, j] * lit)
    model.AddCircuit(arcs)
    model.Add(sum(length) <= int(np.floor(budget * scale)))
    weights = np.round(prize / prize.sum() * 1e6).astype(int)
    model.Maximize(sum(int(w) * visit[i + 1] for i, w in enumerate(weights)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.Solve(model)
    chosen = [i for i in range(k) if solver.Value(visit[i + 1])]
    return float(prize[chosen].sum()), status == cp_model.OPTIMAL


def bench_exact(street, inputs, *, quick: bool) -> None:
    """Single loops on real corridors with up to 20 candidates: heuristic vs CP-SAT optimum."""
    print("\n== patrol loops: PyVRP vs exact CP-SAT (one loop, 20 candidates)")
    cfg = RouteConfig(corridor_share=1.0)
    plan = routes.plan_corridors(
        street,
        inputs,
        None,
        cfg,
        week=WEEK,
        window=Window(),
    )
    net = _build_net(street)
    rows = []
    for cid, segs in plan.segments.groupby("corridor_id"):
        depot = plan.loops.loc[plan.loops["corridor_id"] == cid, "meeting_node"]
        if depot.empty:
            continue
        risk = pd.Series(
            segs["risk"].to_numpy(), index=pd.MultiIndex.from_frame(segs[["u", "v", "key"]])
        )
        seg_risk = _seg_risk_from_series(net, street, risk)
        for minutes in (10.0, 20.0) if quick else (5.0, 10.0, 15.0, 20.0):
            budget = minutes * cfg.speed_kmh * 1000 / 60
            inst = _loop_instance(
                net, seg_risk, [net.index[depot.iloc[0]]], budget_m=budget, max_candidates=20
            )
            if inst is None or len(inst.prize) < 3:
                continue
            _, stats = _solve_loops(
                net,
                seg_risk,
                [net.index[depot.iloc[0]]],
                budget_m=budget,
                max_loops=1,
                max_candidates=20,
                iterations=cfg.solver_iterations,
                seconds=60.0,
                seed=0,
            )
            exact, optimal = _cpsat_optimum(inst.mat, inst.prize, budget, 20.0)
            rows.append(
                {
                    "corridor": cid,
                    "budget_min": minutes,
                    "candidates": len(inst.prize),
                    "pyvrp/exact": stats.prize / exact,
                    "bound/exact": stats.bound / exact,
                    "proved optimal": optimal,
                }
            )
    # synthetic: 12 x 12 jittered grids (100 m blocks), 20 risky edges scattered at random
    for seed in range(3 if quick else 8):
        street_s = _grid(12, 12, seed=seed)
        net_s = _build_net(street_s)
        rng = np.random.default_rng(seed)
        seg_risk = np.zeros(len(net_s.seg_rows))
        seg_risk[rng.choice(len(seg_risk), 20, replace=False)] = rng.uniform(1, 10, 20)
        budget = 2000.0
        inst = _loop_instance(net_s, seg_risk, [66], budget_m=budget, max_candidates=20)
        if inst is None:
            continue
        _, stats = _solve_loops(
            net_s,
            seg_risk,
            [66],
            budget_m=budget,
            max_loops=1,
            max_candidates=20,
            iterations=cfg.solver_iterations,
            seconds=60.0,
            seed=0,
        )
        exact, optimal = _cpsat_optimum(inst.mat, inst.prize, budget, 20.0)
        rows.append(
            {
                "corridor": f"grid seed {seed}",
                "budget_min": budget / 75,
                "candidates": len(inst.prize),
                "pyvrp/exact": stats.prize / exact,
                "bound/exact": stats.bound / exact,
                "proved optimal": optimal,
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if len(table):
        print(
            f"mean pyvrp/exact {table['pyvrp/exact'].mean():.4f} over {len(table)} instances "
            f"({int(table['proved optimal'].sum())} proved optimal)"
        )


def _many_corridors_case(n_schools: int):
    """A jittered grid with schools about 1 km apart and clustered month-only incidents."""
    side = int(np.ceil(np.sqrt(n_schools)))
    street = _grid(side * 10 + 2, side * 10 + 2, seed=11)
    rng = np.random.default_rng(11)
    cells = [(r, c) for r in range(side) for c in range(side)][:n_schools]
    xy = np.array([(c * 1000 + 550, r * 1000 + 550) for r, c in cells], float)
    xy += rng.uniform(-150, 150, xy.shape)
    schools = gpd.GeoDataFrame(
        {
            load.SCHOOL_ID: [f"S{i:03d}" for i in range(n_schools)],
            load.NAME: [f"School {i}" for i in range(n_schools)],
            load.PHASE: "secondary",
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )
    centres = xy[rng.random(n_schools) < 0.85]  # some schools have a quiet neighbourhood
    pts = np.concatenate([c + rng.normal(0, 300, (rng.integers(60, 150), 2)) for c in centres])
    n = len(pts)
    incidents = gpd.GeoDataFrame(
        {
            load.INCIDENT_ID: [f"synthetic:{i}" for i in range(n)],
            load.OFFENCE: "Violence and sexual offences",
            load.MONTH: rng.choice(["2022-06", "2022-08", "2022-09"], n),
            load.OCCURRED_AT: pd.Series(pd.NaT, index=range(n), dtype=f"datetime64[ns, {TZ}]"),
            load.TIME_KNOWN: False,
        },
        geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]),
        crs=CRS,
    )
    hubs = gpd.GeoDataFrame(
        {load.HUB_ID: pd.Series(dtype=str), load.NAME: pd.Series(dtype=str),
         load.KIND: pd.Series(dtype=str)},
        geometry=gpd.GeoSeries([], crs=CRS),
    )  # fmt: skip
    inputs = load.Inputs(CRS, TZ, None, schools, hubs, incidents, (), pd.DataFrame())
    return street, inputs


def _loop_tasks(street, plan, cfg: RouteConfig) -> list[LoopTask]:
    """The loop problems of a plan's looped corridors (depot: the chosen meeting point)."""
    net = _build_net(street)
    budget_m = cfg.loop_budget_min * cfg.speed_kmh * 1000 / 60
    insts = []
    for cid, segs in plan.segments.groupby("corridor_id", sort=True):
        depot = plan.loops.loc[plan.loops["corridor_id"] == cid, "meeting_node"]
        if depot.empty:
            continue
        risk = pd.Series(
            segs["risk"].to_numpy(), index=pd.MultiIndex.from_frame(segs[["u", "v", "key"]])
        )
        seg_risk = _seg_risk_from_series(net, street, risk)
        inst = _loop_instance(
            net, seg_risk, [net.index[depot.iloc[0]]], budget_m=budget_m,
            max_candidates=cfg.max_candidates,
        )  # fmt: skip
        if inst is not None:
            insts.append(inst)
    seconds = split_budget(
        [len(i.prize) for i in insts], cfg.loop_budget_s, cap_s=cfg.solver_seconds
    )
    return [
        LoopTask(i.mat, i.prize, budget_m=budget_m, max_loops=cfg.max_loops_per_corridor,
                 iterations=cfg.solver_iterations, seconds=s, seed=cfg.seed)
        for i, s in zip(insts, seconds, strict=True)
    ]  # fmt: skip


def _prize(tasks: list[LoopTask], solved: list[list[list[int]]]) -> float:
    """Share of the candidates' prize collected, summed over the tasks."""
    got = sum(
        float(t.prize[[c - 1 for r in rs for c in r]].sum())
        for t, rs in zip(tasks, solved, strict=True)
    )
    return got / sum(float(t.prize.sum()) for t in tasks)


def bench_many_corridors(*, quick: bool) -> None:
    """The loop step with many corridors: one process against two, and the time budget."""
    n_schools = 40 if quick else 80
    street, inputs = _many_corridors_case(n_schools)
    cfg = RouteConfig(catchment_m=1000, hub_walk_m=1000)
    print(
        f"\n== patrol loops, many corridors (synthetic grid: {len(street.nodes):,} nodes, "
        f"{n_schools} schools, {len(inputs.incidents):,} incidents)"
    )
    plans, stage_s = {}, {}
    for workers in (1, 2):
        t = time.perf_counter()
        plans[workers] = routes.plan_corridors(
            street, inputs, None, dataclasses.replace(cfg, workers=workers), week=WEEK,
            window=Window(),
        )  # fmt: skip
        stage_s[workers] = time.perf_counter() - t
    one, two = plans[1], plans[2]
    same = one.loops.drop(columns="geometry").equals(two.loops.drop(columns="geometry"))
    same = same and bool(one.loops.geometry.geom_equals_exact(two.loops.geometry, 0.0).all())
    print(
        f"{len(one.corridors)} corridors ({int(one.corridors['patrolled'].sum())} patrolled), "
        f"{len(one.loops)} loops; loops identical with 1 and 2 workers: {same}"
    )
    tasks = _loop_tasks(street, one, cfg)
    sizes = [t.size for t in tasks]
    solved, loop_s = {}, {}
    for workers in (1, 2):
        t = time.perf_counter()
        solved[workers] = solve_tasks(tasks, workers=workers)
        loop_s[workers] = time.perf_counter() - t
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"loop step ({len(tasks)} problems, {min(sizes)}-{max(sizes)} candidates; load average "
        f"{load_avg:.1f} on {os.cpu_count()} cores): 1 process "
        f"{loop_s[1]:.2f} s, 2 workers {loop_s[2]:.2f} s (pool start included): "
        f"speed-up {loop_s[1] / loop_s[2]:.2f}x; same routes: {solved[1] == solved[2]}"
    )
    print(
        f"whole corridor stage: workers=1 {stage_s[1]:.2f} s, workers=2 {stage_s[2]:.2f} s: "
        f"{stage_s[1] / stage_s[2]:.2f}x"
    )
    tight = dataclasses.replace(cfg, loop_budget_s=len(tasks) * 1.25, solver_iterations=100_000)
    capped = _loop_tasks(street, one, tight)
    t = time.perf_counter()
    got = solve_tasks(capped, workers=2)
    wall = time.perf_counter() - t
    allowed = [x.seconds for x in capped]
    print(
        f"time budget: iterations unbounded, loop_budget_s={tight.loop_budget_s:g} -> "
        f"{sum(allowed):.1f} solver-s allowed ({min(allowed):.2f}-{max(allowed):.2f} s each), "
        f"{wall:.1f} s wall on 2 workers; prize collected {_prize(capped, got):.4f} of the "
        f"candidates' against {_prize(tasks, solved[1]):.4f} at {cfg.solver_iterations} "
        "iterations"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--full", action="store_true", help="time networkx on every pair")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = load_inputs()
        street = graph.build_street_graph(GraphConfig(osm_file=PBF, cache_dir=Path(tmp)), crs=CRS)
        bench_routing(street, inputs, sample=300 if args.quick else 2000, full=args.full)
        bench_stage(inputs, Path(tmp))
        bench_loops(street, dataclasses.replace(inputs), quick=args.quick)
        bench_exact(street, inputs, quick=args.quick)
    bench_many_corridors(quick=args.quick)


if __name__ == "__main__":
    main()
