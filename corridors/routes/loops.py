"""Patrol loops: a prize-collecting walk (team orienteering) per corridor, solved with PyVRP.

Clients are the midpoints of the ``max_candidates`` riskiest corridor edges, prizes their
risk, the depot the school gate or hub that reaches the most risk, and each of up to
``max_loops_per_corridor`` walkers may walk ``loop_budget_min`` at ``speed_kmh``. The gap is
measured against a fractional-knapsack upper bound. :func:`_corridor_loops` turns one
corridor's loops into rows of the ``loops`` table (meeting point, start time from
``starts.py``, duration).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from shapely.geometry import LineString
from shapely.ops import substring

from corridors import load
from corridors.config import RouteConfig
from corridors.graph import StreetGraph
from corridors.routes.corridors import _Corridor
from corridors.routes.footfall import _Hubs
from corridors.routes.network import _build_net, _edge_keys, _edge_row, _Net
from corridors.routes.result import (
    BOUND,
    CORRIDOR_ID,
    DURATION_MIN,
    GAP,
    LENGTH_M,
    LOOP_ID,
    MEETING_KIND,
    MEETING_NODE,
    MEETING_POINT,
    RISK_COVERED,
    RISK_SHARE,
    SCHOOL_IDS,
    START_TIME,
    Loop,
    NodeId,
)
from corridors.routes.solver import LoopTask, Routes, _pyvrp_routes
from corridors.routes.starts import _start_time
from corridors.week import Window


def plan_patrol_loops(
    street: StreetGraph,
    risk: pd.Series,
    depots: Sequence[NodeId],
    *,
    budget_m: float,
    max_loops: int = 1,
    max_candidates: int = 60,
    iterations: int = 1500,
    seconds: float = 2.0,
    seed: int = 0,
    patience: int = 500,
) -> list[Loop]:
    """
    Plan closed walking loops that collect the most edge risk within a length budget.

    A prize-collecting walk (team orienteering) solved with PyVRP: clients are the midpoints
    of the ``max_candidates`` riskiest edges, prizes their risk; each of up to ``max_loops``
    walkers leaves the depot and returns to it within ``budget_m``. The depot is the one of
    ``depots`` from which the most candidate risk lies within a round trip. The gap is
    measured against a fractional-knapsack upper bound (each visited candidate costs at least
    its cheapest incoming walk).

    Parameters
    ----------
    street
        The walking :class:`~corridors.graph.StreetGraph` (projected CRS, metres).
    risk
        Risk per edge, indexed by (u, v, key); the two directions of a street edge are one
        segment (their maximum counts).
    depots
        Candidate meeting points (street node ids): school gates and hubs.
    budget_m
        Longest walk per loop in metres (minutes x speed).
    max_loops
        Most loops returned (each covers different candidates).
    max_candidates
        Riskiest segments offered to the solver.
    iterations, seconds, patience
        Solver limits: at most ``iterations``, fewer when ``patience`` iterations in a row
        find nothing better (0 = off); both keep the result deterministic for a fixed
        ``seed``; ``seconds`` is a safety cap.
    seed
        Solver seed.

    Returns
    -------
    list of Loop
        Closed walks that start and end at the chosen depot, longest prize first; empty when
        no risky edge is within reach.

    Examples
    --------
    >>> from corridors.graph import toy_street
    >>> street = toy_street()
    >>> risk = pd.Series({(1, 2, 0): 5.0})
    >>> [loop] = plan_patrol_loops(street, risk, [0], budget_m=1000)
    >>> loop.nodes[0] == loop.nodes[-1] == 0, round(loop.length_m), loop.risk_share
    (True, 300, 1.0)
    """
    net = _build_net(street)
    seg_risk = _seg_risk_from_series(net, street, risk)
    depot_pos = [net.index[d] for d in depots]
    loops, _ = _solve_loops(
        net, seg_risk, depot_pos, budget_m=budget_m, max_loops=max_loops,
        max_candidates=max_candidates, iterations=iterations, seconds=seconds, seed=seed,
        patience=patience,
    )  # fmt: skip
    return loops


def _seg_risk_from_series(net: _Net, street: StreetGraph, risk: pd.Series) -> np.ndarray:
    keys = _edge_keys(street.edges)
    idx = pd.MultiIndex.from_frame(keys)
    per_edge = risk.reindex(idx).fillna(0.0).to_numpy(float)
    seg_risk = np.zeros(len(net.seg_rows))
    np.maximum.at(seg_risk, net.seg, per_edge)
    return seg_risk


@dataclass(frozen=True)
class _LoopStats:
    depot: int
    bound: float
    prize: float
    candidates: int


@dataclass(frozen=True)
class _Instance:
    """A prize-collecting instance: location 0 = depot, 1..k = candidate edge midpoints."""

    depot: int
    cand: np.ndarray  # segment ids
    prize: np.ndarray
    mat: np.ndarray  # (k+1, k+1) walking metres
    exit_at: np.ndarray  # node position where the walk leaves location i towards j
    entry_at: np.ndarray  # node position where it reaches location j
    row_of: dict[int, int]
    ball: np.ndarray  # sorted node positions a loop within the budget can pass
    limit_m: float  # the walks' search radius

    def predecessors(self, net: _Net) -> np.ndarray:
        """
        Return the shortest-path trees from every end, (ends, ball) positions in ``ball``.

        Searched again (the same search) when the loops are drawn, not kept from the
        instance's build: a city's corridors waiting for the solver held gigabytes of them.
        """
        ends = np.fromiter(self.row_of, dtype=np.int64, count=len(self.row_of))
        _dist, pred = csgraph.dijkstra(
            _ball_streets(net, self.ball), indices=np.searchsorted(self.ball, ends),
            limit=self.limit_m, return_predecessors=True,
        )  # fmt: skip
        return np.atleast_2d(pred)

    def node_path(self, pred: np.ndarray, frm: int, to: int) -> list[int]:
        """Node positions of the shortest walk from end ``frm`` to ``to`` (``pred``: the trees)."""
        local = np.searchsorted(self.ball, [frm, to])
        path = _node_path(pred, self.row_of[frm], int(local[0]), int(local[1]))
        return [int(p) for p in self.ball[path]]


def _loop_instance(
    net: _Net,
    seg_risk: np.ndarray,
    depot_pos: Sequence[int],
    *,
    budget_m: float,
    max_candidates: int,
) -> _Instance | None:
    cand = np.flatnonzero(seg_risk > 0)
    if len(cand) == 0 or not depot_pos:
        return None
    rows = net.seg_rows[cand]
    cu, cv, clen = net.eu[rows], net.ev[rows], net.length[rows]
    # choose the depot that reaches the most risk in a round trip
    dd = np.atleast_2d(
        csgraph.dijkstra(net.csr, indices=np.asarray(depot_pos), limit=budget_m / 2 + 1)
    )
    reach_ok = 2 * (np.minimum(dd[:, cu], dd[:, cv]) + clen[None, :] / 2) <= budget_m
    score = (reach_ok * seg_risk[cand][None, :]).sum(axis=1)
    best = int(np.argmax(score))
    if score[best] <= 0:
        return None
    depot = int(depot_pos[best])
    # the riskiest reachable segments become the candidates
    keep = np.flatnonzero(reach_ok[best])
    keep = keep[np.argsort(-seg_risk[cand[keep]], kind="stable")][:max_candidates]
    cand, cu, cv, clen = cand[keep], cu[keep], cv[keep], clen[keep]
    prize = seg_risk[cand]
    ends = np.unique(np.concatenate([[depot], cu, cv]))
    row_of = {int(p): i for i, p in enumerate(ends)}
    # A closed walk of length L never goes further than L / 2 from its start, so every
    # walk between candidates that a loop within the budget can use lies inside the ball of
    # radius budget / 2 around the depot: search only there (memory ends x ball, not ends x
    # the whole graph, which at city scale was hundreds of MB per corridor).
    ball = np.union1d(np.flatnonzero(dd[best] <= budget_m / 2 + 1), ends)
    inside = _ball_streets(net, ball)
    dist = np.atleast_2d(
        csgraph.dijkstra(inside, indices=np.searchsorted(ball, ends), limit=budget_m + 1)
    )
    k = len(cand)
    # locations 0 = depot, 1..k = candidate midpoints; each has two ends (the depot twice)
    loc_ends = np.stack([np.concatenate([[depot], cu]), np.concatenate([[depot], cv])])
    loc_rows = np.vectorize(row_of.__getitem__, otypes=[np.int64])(loc_ends)
    halves = np.concatenate([[0.0], clen / 2])
    # combos[a, b, i, j]: walk from end a of location i to end b of location j
    combos = dist[loc_rows[:, None, :, None], np.searchsorted(ball, loc_ends)[None, :, None, :]]
    flat = combos.reshape(4, k + 1, k + 1)
    choice = np.argmin(flat, axis=0)
    value = np.take_along_axis(flat, choice[None], axis=0)[0]
    a_end, b_end = np.divmod(choice, 2)
    idx = np.arange(k + 1)
    exit_at = loc_ends[a_end, idx[:, None]]
    entry_at = loc_ends[b_end, idx[None, :]]
    mat = np.where(np.isfinite(value), halves[:, None] + value + halves[None, :], budget_m * 100.0)
    np.fill_diagonal(mat, 0.0)
    return _Instance(depot, cand, prize, mat, exit_at, entry_at, row_of, ball, budget_m + 1)


def _ball_streets(net: _Net, ball: np.ndarray) -> sparse.csr_array | sparse.csr_matrix:
    """Return the streets among the nodes ``ball`` (sorted positions), as a CSR matrix."""
    return net.csr[ball][:, ball]


def _solve_loops(
    net: _Net,
    seg_risk: np.ndarray,
    depot_pos: Sequence[int],
    *,
    budget_m: float,
    max_loops: int,
    max_candidates: int,
    iterations: int,
    seconds: float,
    seed: int,
    patience: int = 0,
) -> tuple[list[Loop], _LoopStats | None]:
    inst = _loop_instance(
        net, seg_risk, depot_pos, budget_m=budget_m, max_candidates=max_candidates
    )
    if inst is None:
        return [], None
    routes = _pyvrp_routes(
        inst.mat, inst.prize, budget_m=budget_m, max_loops=max_loops, iterations=iterations,
        seconds=seconds, seed=seed, patience=patience,
    )  # fmt: skip
    return _loops_from_routes(net, seg_risk, inst, routes, budget_m=budget_m, max_loops=max_loops)


def _loops_from_routes(
    net: _Net,
    seg_risk: np.ndarray,
    inst: _Instance,
    routes: Routes,
    *,
    budget_m: float,
    max_loops: int,
) -> tuple[list[Loop], _LoopStats]:
    """Turn the solver's visiting orders into closed walks, richest first, with the gap."""
    total_risk = float(seg_risk.sum())
    depot, prize = inst.depot, inst.prize
    bound = _knapsack_bound(inst.mat, prize, budget_m=budget_m, max_loops=max_loops)
    collected = float(sum(prize[c - 1] for r in routes for c in r))
    gap = 0.0 if bound <= 0 else max(0.0, round(1.0 - collected / bound, 9))
    loops = []
    pred = inst.predecessors(net) if routes else np.zeros((0, 0), dtype=np.int32)
    for route in routes:
        loop = _expand(net, seg_risk, route, inst, pred)
        loops.append((float(sum(prize[c - 1] for c in route)), loop))
    loops.sort(key=lambda t: -t[0])
    out = [
        Loop(
            depot=_node_ids(net, [depot])[0],
            nodes=_node_ids(net, lp[0]),
            geometry=lp[1],
            length_m=float(lp[3]),
            risk_covered=lp[2],
            risk_share=min(1.0, lp[2] / total_risk) if total_risk > 0 else 0.0,
            prize=p,
            bound=bound,
            gap=gap,
        )
        for p, lp in loops
    ]
    return out, _LoopStats(depot, bound, collected, len(inst.cand))


def _node_ids(net: _Net, positions: list[int]) -> tuple[NodeId, ...]:
    """Return the street node ids at ``positions`` as Python values (not NumPy scalars)."""
    ids = net.node_ids[positions]
    return tuple(n.item() if hasattr(n, "item") else n for n in ids)


def _knapsack_bound(
    mat: np.ndarray, prize: np.ndarray, *, budget_m: float, max_loops: int
) -> float:
    """Fractional knapsack: each visited candidate costs at least its cheapest way in."""
    k = len(prize)
    if k == 0:
        return 0.0
    inc = mat[:, 1:].copy()
    inc[np.arange(1, k + 1), np.arange(k)] = np.inf
    weight = inc.min(axis=0)
    feasible = mat[0, 1:] + mat[1:, 0] <= budget_m + 1e-6
    order = np.argsort(-(prize / np.maximum(weight, 1e-9)))
    cap = budget_m * max_loops
    total = 0.0
    for i in order:
        if not feasible[i]:
            continue
        if weight[i] <= cap:
            total += prize[i]
            cap -= weight[i]
        else:
            total += prize[i] * cap / weight[i]
            break
    return float(total)


def _node_path(pred: np.ndarray, row: int, src: int, dst: int) -> list[int]:
    path = [dst]
    while path[-1] != src:
        p = int(pred[row, path[-1]])
        if p < 0:
            raise RuntimeError(f"no path from node {src} to {dst}")  # pragma: no cover
        path.append(p)
    return path[::-1]


def _oriented(net: _Net, row: int, frm: int) -> np.ndarray:
    coords = shapely.get_coordinates(net.geoms[row])
    return coords if net.eu[row] == frm else coords[::-1]


def _expand(
    net: _Net, seg_risk: np.ndarray, route: list[int], inst: _Instance, pred: np.ndarray
) -> tuple[list[int], LineString, float, float]:
    """Turn a visiting order into a closed walk: (nodes, geometry, risk covered, metres).

    Metres are summed from the edges' ``length`` (the graph's walking distance), which can
    differ slightly from the projected geometry's length.
    """
    depot, cand, exit_at, entry_at = inst.depot, inst.cand, inst.exit_at, inst.entry_at
    coords: list[np.ndarray] = [net.xy[depot][None, :]]
    nodes = [depot]
    walked: set[int] = set()
    metres = 0.0
    seq = [0, *route, 0]
    for a_loc, b_loc in itertools.pairwise(seq):
        frm = int(exit_at[a_loc, b_loc])
        to = int(entry_at[a_loc, b_loc])
        if a_loc != 0:  # leave the previous candidate's midpoint towards ``frm``
            seg = int(cand[a_loc - 1])
            half = _half_from_mid(net, int(net.seg_rows[seg]), frm)
            coords.append(half[1:])
            nodes.append(frm)
            metres += net.length[net.seg_rows[seg]] / 2
        path = inst.node_path(pred, frm, to)
        for p, q in itertools.pairwise(path):
            r = int(_edge_row(net, np.array([p]), np.array([q]))[0])
            coords.append(_oriented(net, r, p)[1:])
            nodes.append(q)
            metres += net.length[r]
            walked.add(int(net.seg[r]))
        if b_loc != 0:  # walk from ``to`` to the candidate's midpoint
            seg = int(cand[b_loc - 1])
            half = _half_from_mid(net, int(net.seg_rows[seg]), to)[::-1]
            coords.append(half[1:])
            walked.add(seg)
            metres += net.length[net.seg_rows[seg]] / 2
    line = np.concatenate(coords)
    keep = np.ones(len(line), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(line, axis=0)) > 1e-9, axis=1)
    line = line[keep]
    if len(line) < 2:
        line = np.vstack([line, line])
    risk = float(seg_risk[list(walked)].sum()) if walked else 0.0
    return nodes, LineString(line), risk, metres


def _half_from_mid(net: _Net, row: int, end: int) -> np.ndarray:
    """Coordinates from the midpoint of edge ``row`` to its endpoint ``end``."""
    geom = net.geoms[row]
    if net.eu[row] == end:  # midpoint -> u: first half reversed
        return shapely.get_coordinates(substring(geom, 0.0, 0.5, normalized=True))[::-1]
    return shapely.get_coordinates(substring(geom, 0.5, 1.0, normalized=True))


# -- a corridor's patrols -------------------------------------------------------------------


@dataclass(frozen=True)
class _MeetingPoint:
    """Where a loop may start: a school gate or a hub near the corridor (node position)."""

    pos: int
    name: str
    kind: str  # "school" or "hub"


def _meeting_points(
    corridor: _Corridor, name_of: dict[str, str], school_node: dict[str, int], hubs: _Hubs
) -> list[_MeetingPoint]:
    """List the corridor's school gates, then the usable hubs within 100 m of its streets."""
    points = [_MeetingPoint(school_node[s], name_of[s], "school") for s in corridor.members]
    if len(hubs.frame):
        near = shapely.distance(hubs.frame.geometry.to_numpy(), corridor.geom) <= 100.0
        for i in np.flatnonzero(hubs.ok & near):
            points.append(
                _MeetingPoint(int(hubs.pos[i]), str(hubs.frame[load.NAME].iloc[i]), "hub")
            )
    return points


def _no_loop_reason(cid: str, cfg: RouteConfig) -> str:
    return (
        f"corridor {cid}: no risky street within a {cfg.loop_budget_min:g}-minute "
        "round trip of a school gate or hub"
    )


@dataclass(frozen=True)
class _LoopJob:
    """One patrolled corridor's loop problem, built in this process (it holds the network)."""

    corridor: _Corridor
    points: list[_MeetingPoint]
    segs: np.ndarray  # the corridor's segments
    risk: np.ndarray  # their risk
    inst: _Instance

    def seg_risk(self, n: int) -> np.ndarray:
        """Return the risk of all ``n`` segments: the corridor's, zero elsewhere.

        Made when needed, not kept: a city's corridors waiting for the solver each held a
        vector over every street segment (about 6 GB for 900 corridors).
        """
        out = np.zeros(n)
        out[self.segs] = self.risk
        return out

    def task(self, cfg: RouteConfig, seconds: float) -> LoopTask:
        """Return the plain-array problem a worker process solves."""
        return LoopTask(
            self.inst.mat, self.inst.prize, budget_m=_budget_m(cfg),
            max_loops=cfg.max_loops_per_corridor, iterations=cfg.solver_iterations,
            seconds=seconds, seed=cfg.seed, patience=cfg.solver_patience,
        )  # fmt: skip


def _budget_m(cfg: RouteConfig) -> float:
    return cfg.loop_budget_min * cfg.speed_kmh * 1000.0 / 60.0


def _loop_job(
    net: _Net,
    corridor: _Corridor,
    points: list[_MeetingPoint],
    seg_risk_all: np.ndarray,
    cfg: RouteConfig,
) -> _LoopJob | None:
    """Return the corridor's loop problem, or None when no risky street is within reach."""
    segs = corridor.segs
    seg_risk = np.zeros(len(net.seg_rows))
    seg_risk[segs] = seg_risk_all[segs]
    inst = _loop_instance(
        net, seg_risk, [p.pos for p in points], budget_m=_budget_m(cfg),
        max_candidates=cfg.max_candidates,
    )  # fmt: skip
    return None if inst is None else _LoopJob(corridor, points, segs, seg_risk[segs], inst)


def _corridor_loops(
    net: _Net, job: _LoopJob, routes: Routes, cfg: RouteConfig, window: Window
) -> list[dict[str, object]]:
    """Rows of the ``loops`` table for one corridor's solved job (empty if no loop)."""
    corridor, points, cid = job.corridor, job.points, job.corridor.cid
    loops, _ = _loops_from_routes(
        net, job.seg_risk(len(net.seg_rows)), job.inst, routes, budget_m=_budget_m(cfg),
        max_loops=cfg.max_loops_per_corridor,
    )  # fmt: skip
    records: list[dict[str, object]] = []
    speed_m_min = cfg.speed_kmh * 1000.0 / 60.0
    for k, loop in enumerate(loops, start=1):
        depot_pos = net.index[loop.depot]
        point = next(p for p in points if p.pos == depot_pos)
        duration = loop.length_m / speed_m_min
        records.append({
            LOOP_ID: f"{cid}-L{k}", CORRIDOR_ID: cid, SCHOOL_IDS: ";".join(corridor.members),
            MEETING_POINT: point.name, MEETING_KIND: point.kind, MEETING_NODE: loop.depot,
            START_TIME: _start_time(corridor.near, duration, cfg, window),
            DURATION_MIN: round(duration, 1),
            LENGTH_M: round(loop.length_m, 1), RISK_COVERED: loop.risk_covered,
            RISK_SHARE: loop.risk_share, GAP: loop.gap, BOUND: loop.bound,
            "geometry": loop.geometry,
        })  # fmt: skip
    return records
