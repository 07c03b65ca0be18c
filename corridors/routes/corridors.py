"""Corridors: each school's walking routes, its corridor, and corridors merged by street.

One bounded Dijkstra per school (``max(catchment_m, hub_walk_m)``) gives its shortest-path
tree; its walkers (:func:`~corridors.routes.footfall._school_demand`) are summed up the
tree. A school's corridor is the smallest set of segments, by decreasing footfall, that
carries ``corridor_share`` of its walking (person-metres): footfall never grows away from
the school along the tree, so the set is contiguous from the gate. Corridors that share a
segment, or a street within 30 m, merge into one corridor listing its schools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csgraph
from shapely.geometry import MultiLineString
from shapely.geometry.base import BaseGeometry

from corridors.config import RouteConfig
from corridors.routes.evidence import _near
from corridors.routes.footfall import _accumulate, _HomeAreas, _Hubs, _school_demand
from corridors.routes.network import _Net

_MERGE_M = 30.0  # corridors on the same street this close merge


@dataclass(frozen=True)
class _Walking:
    """Where the chosen schools' walkers go: footfall per segment and each school's corridor.

    ``unrouted`` lists (school_id, reason) of the schools without a walking route.
    """

    seg_foot: np.ndarray  # walkers per segment, summed over the schools
    school_segs: dict[str, np.ndarray]  # school id -> its corridor's segment ids
    school_node: dict[str, int]  # school id -> node position of its gate
    unrouted: list[tuple[str, str]]


def _route_schools(
    net: _Net,
    school_ids: Sequence[str],
    school_pos: np.ndarray,
    school_snap: np.ndarray,
    homes: _HomeAreas,
    hubs: _Hubs,
    cfg: RouteConfig,
) -> _Walking:
    """One bounded Dijkstra per school; its walkers summed up its shortest-path tree."""
    seg_foot = np.zeros(len(net.seg_rows))
    school_segs: dict[str, np.ndarray] = {}
    school_node: dict[str, int] = {}
    unrouted: list[tuple[str, str]] = []
    limit = max(cfg.catchment_m, cfg.hub_walk_m)
    for sid, pos, snap in zip(school_ids, school_pos, school_snap, strict=True):
        if snap > cfg.max_snap_m:
            unrouted.append((sid, (
                f"no walking route: the school is {snap:,.0f} m from the nearest street of "
                f"the graph (corridors.max_snap_m = {cfg.max_snap_m:g})"
            )))  # fmt: skip
            continue
        dist, pred = csgraph.dijkstra(
            net.csr, indices=np.asarray(int(pos)), limit=limit, return_predecessors=True
        )
        demand = _school_demand(dist, int(pos), homes, hubs, cfg)
        rows, flow = _accumulate(net, dist, pred, demand)
        if len(rows) == 0:
            unrouted.append((sid, f"no homes or transport hubs within {limit:,.0f} m of walking"))
            continue
        np.add.at(seg_foot, net.seg[rows], flow)
        school_node[sid] = int(pos)
        school_segs[sid] = _corridor_segments(net, rows, flow, dist, cfg.corridor_share)
    return _Walking(seg_foot, school_segs, school_node, unrouted)


def _corridor_segments(
    net: _Net, rows: np.ndarray, flow: np.ndarray, dist: np.ndarray, share: float
) -> np.ndarray:
    """Smallest set of segments, by decreasing footfall, carrying ``share`` of the walking."""
    walk = flow * net.length[rows]
    # footfall never grows away from the school; ties go to the edge nearer the school
    order = np.lexsort((dist[net.ev[rows]], -flow))
    cum = np.cumsum(walk[order])
    n_take = int(np.searchsorted(cum, share * cum[-1] - 1e-9)) + 1
    return np.unique(net.seg[rows[order[:n_take]]])


class _UnionFind:
    """Disjoint sets of 0..n-1 with path halving."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        """Put ``a``'s set under ``b``'s root."""
        self.parent[self.find(a)] = self.find(b)


def _merge_groups(net: _Net, school_segs: dict[str, np.ndarray]) -> list[list[str]]:
    """Group schools whose corridors share a segment or a street (within 30 m)."""
    ids = list(school_segs)
    sets = _UnionFind(len(ids))
    by_seg: dict[int, int] = {}
    by_street: dict[str, list[int]] = {}
    for i, sid in enumerate(ids):
        for seg in school_segs[sid].tolist():
            if seg in by_seg:
                sets.join(i, by_seg[seg])
            else:
                by_seg[seg] = i
        for st in set(net.street[net.seg_rows[school_segs[sid]]].tolist()):
            by_street.setdefault(st, []).append(i)
    for st, members in by_street.items():
        _merge_on_street(net, sets, [school_segs[ids[m]] for m in members], members, st)
    groups: dict[int, list[str]] = {}
    for i, sid in enumerate(ids):
        groups.setdefault(sets.find(i), []).append(sid)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _merge_on_street(
    net: _Net, sets: _UnionFind, segs: list[np.ndarray], members: list[int], street_id: str
) -> None:
    """Join the schools (``members``) whose corridors on one street lie within 30 m."""
    for a_pos, a in enumerate(members):
        for b_pos in range(a_pos + 1, len(members)):
            b = members[b_pos]
            if sets.find(a) == sets.find(b):
                continue
            ga = _street_geom(net, segs[a_pos], street_id)
            gb = _street_geom(net, segs[b_pos], street_id)
            if shapely.distance(ga, gb) <= _MERGE_M:
                sets.join(a, b)


def _street_geom(net: _Net, segs: np.ndarray, street_id: str) -> BaseGeometry:
    rows = net.seg_rows[segs]
    return shapely.union_all(net.geoms[rows[net.street[rows] == street_id]])


@dataclass(frozen=True)
class _Corridor:
    """One corridor: its id (C01 the riskiest), schools, segments, streets and evidence."""

    cid: str
    members: list[str]  # school ids, sorted
    segs: np.ndarray  # segment ids
    geom: MultiLineString
    near: gpd.GeoDataFrame  # look-back incidents within incident_buffer_m


def _corridors(
    net: _Net,
    groups: list[list[str]],
    school_segs: dict[str, np.ndarray],
    seg_risk: np.ndarray,
    recent: gpd.GeoDataFrame,
    buffer_m: float,
) -> list[_Corridor]:
    """Build the merged corridors, numbered by decreasing risk (ties: first school id)."""
    found = []
    for members in groups:
        segs = np.unique(np.concatenate([school_segs[s] for s in members]))
        geom = MultiLineString(list(net.geoms[net.seg_rows[segs]]))
        found.append((members, segs, geom, _near(recent, geom, buffer_m)))
    found.sort(key=lambda p: (-float(seg_risk[p[1]].sum()), p[0][0]))
    return [
        _Corridor(f"C{number:02d}", members, segs, geom, near)
        for number, (members, segs, geom, near) in enumerate(found, start=1)
    ]
