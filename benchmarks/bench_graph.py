"""Street graph: cold build, warm (cached) load and two baselines, measured in one run.

Usage: ``.venv/bin/python benchmarks/bench_graph.py [--quick] [--repeat N] [--grid-side N]``

- baseline: the osmnx recipe of NOTES-stack.md section 3 on the same file (pyosmium filters the
  highway ways to an OSM XML file, ``ox.graph_from_xml`` with simplification, projection,
  ``graph_to_gdfs``), i.e. what the stage would cost without its own reader;
- cold: ``build_street_graph`` with the cache off (read, walkable filter, simplify, project,
  street ids, GeoDataFrames, MultiDiGraph);
- warm: ``build_street_graph`` again, from the cache (data-only ``.npz`` file);
- gpkg: the same node/edge tables read back from a GeoPackage (pyogrio) into a
  ``StreetGraph`` (no networkx graph, like the warm load), the alternative cache format;
- warm, old way: the same cache file read, then the MultiDiGraph built edge by edge with
  ``add_edges_from`` on every load, as before issue 14 (kept here as the baseline);
- networkx on first use: ``street.graph``, which the stage now builds in bulk only when asked.

Then the same warm loads (new, old way, networkx on first use) for a synthetic city: a
jittered ``--grid-side`` x ``--grid-side`` street grid (default 693: 480k nodes, 1.65M
directed edges; seed 14; ``benchmarks/grid_graph.py``) written as a cache entry.

``--quick`` uses the small Oakham clip in tests/data instead of the whole Rutland extract, and
a 100 x 100 grid.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmium
import osmnx as ox
from grid_graph import write_grid_cache

from corridors import graph
from corridors.config import GraphConfig
from corridors.graph.cache import _cache_path, _read_cache
from corridors.graph.cache_layout import _cache_key
from corridors.graph.osm_file import _file_sha256
from corridors.graph.street import LAT, LON, STREET_COUNT

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
QUICK = ROOT / "tests" / "data" / "graph" / "oakham-clip.osm.pbf"
CRS = "EPSG:27700"


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    wall, _, result = _wall_cpu(fn, repeat)
    return wall, result


def _wall_cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``fn`` (CPU: of this process, so other load aside)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        result = None  # one result alive at a time (a city's graph is gigabytes)
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _old_graph(street: graph.StreetGraph) -> nx.MultiDiGraph[int]:
    """The MultiDiGraph as ``_assemble`` built it on every load before issue 14: edge by edge."""
    nodes, edges = street.nodes, street.edges
    g: nx.MultiDiGraph[int] = nx.MultiDiGraph(crs=street.crs, simplified=True, source=street.source)
    g.add_nodes_from(
        (int(n), {"x": x, "y": y, LON: lon, LAT: lat, STREET_COUNT: int(c)})
        for n, x, y, lon, lat, c in zip(
            nodes.index, nodes["x"], nodes["y"], nodes[LON], nodes[LAT], nodes[STREET_COUNT],
            strict=True,
        )
    )  # fmt: skip
    columns = [c for c in edges.columns if c != "geometry"]
    values = [edges[c].tolist() for c in columns]
    geoms = edges.geometry.to_numpy()
    records = []
    for i, row in enumerate(zip(*values, strict=True)):
        rec = {k: val for k, val in zip(columns, row, strict=True) if val == val}
        rec["geometry"] = geoms[i]
        records.append(rec)
    idx = edges.index
    g.add_edges_from(
        zip(
            idx.get_level_values(0).tolist(),
            idx.get_level_values(1).tolist(),
            idx.get_level_values(2).tolist(),
            records,
            strict=True,
        )
    )
    return g


def _old_warm(cfg: GraphConfig) -> tuple[graph.StreetGraph, nx.MultiDiGraph[int]]:
    """The warm load of before issue 14: read the cache, GeoDataFrames, then the graph."""
    assert cfg.osm_file is not None
    started = time.perf_counter()
    sha = _file_sha256(cfg.osm_file)
    key = _cache_key(cfg, sha, CRS)
    parts = _read_cache(_cache_path(cfg.cache_dir, key), key, sha, CRS)
    assert parts is not None
    street = graph._assemble(parts, CRS, str(cfg.osm_file), sha, True, started, None)
    return street, _old_graph(street)


def _warm_rows(cfg: GraphConfig, repeat: int) -> list[tuple[str, float, float]]:
    """Warm load now, the old way, and networkx on first use, for one cached source."""
    t_new, c_new, street = _wall_cpu(lambda: graph.build_street_graph(cfg, crs=CRS), repeat)
    assert street.cache_hit
    logged = street.build_seconds
    street = None
    t_old, c_old, _ = _wall_cpu(lambda: _old_warm(cfg), repeat)

    def first_use() -> tuple[float, float]:
        s = graph.build_street_graph(cfg, crs=CRS)
        start, cpu = time.perf_counter(), time.process_time()
        assert s.graph.number_of_edges() == len(s.edges)
        return time.perf_counter() - start, time.process_time() - cpu

    nx_times = [first_use() for _ in range(repeat)]
    t_nx = statistics.median(t for t, _ in nx_times)
    c_nx = statistics.median(c for _, c in nx_times)
    return [
        ("warm load, old way (graph each run)", t_old, c_old),
        ("warm load (npz cache, no graph)", t_new, c_new),
        ("  logged (build_seconds, last run)", logged, float("nan")),
        ("networkx graph on first use", t_nx, c_nx),
        ("warm load + networkx on first use", t_new + t_nx, c_new + c_nx),
    ]


def _print_rows(rows: list[tuple[str, float, float]], base_label: str) -> None:
    """Wall and CPU seconds, and both as ratios to the first row's."""
    _, base, base_cpu = rows[0]
    print(f"{'step':38} {'wall s':>8} {'cpu s':>8} {'wall x ' + base_label:>16} {'cpu x':>7}")
    for label, t, c in rows:
        print(f"{label:38} {t:8.3f} {c:8.3f} {t / base:16.3f} {c / base_cpu:7.3f}")


def _grid_case(side: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cfg, tables = write_grid_cache(Path(tmp), side)
        n_nodes, n_edges = len(tables["nodes"]), len(tables["edges"])
        del tables
        made = time.perf_counter() - start
        print(
            f"\nsynthetic city: {side} x {side} jittered grid, {n_nodes:,} nodes, {n_edges:,} "
            f"directed edges (made and cached in {made:.1f} s), median of {repeat}"
        )
        rows = _warm_rows(cfg, repeat)
    _print_rows(rows, "old way")


def _osmnx_baseline(pbf: Path, work: Path) -> tuple[int, int]:
    present: set[int] = set()
    runs: dict[int, list[list[int]]] = {}
    for o in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
        if o.is_node():
            present.add(o.id)
            continue
        if "highway" not in o.tags:
            continue
        cur: list[int] = []
        rr: list[list[int]] = []
        for r in (n.ref for n in o.nodes):
            if r in present:
                cur.append(r)
            else:
                if len(cur) >= 2:
                    rr.append(cur)
                cur = []
        if len(cur) >= 2:
            rr.append(cur)
        if rr:
            runs[o.id] = rr
    need = {r for rr in runs.values() for run in rr for r in run}
    xml = work / f"streets-{time.perf_counter_ns()}.osm"
    with osmium.SimpleWriter(str(xml)) as w:
        for o in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if o.is_node():
                if o.id in need:
                    w.add_node(o)
            elif o.id in runs:
                for k, run in enumerate(runs[o.id]):
                    w.add_way(o.replace(nodes=run, id=o.id if k == 0 else -(o.id * 10 + k)))
    ox.settings.use_cache = False
    g = ox.graph_from_xml(xml, simplify=True, bidirectional=True)
    g = ox.project_graph(g, to_crs=CRS)
    nodes, edges = ox.graph_to_gdfs(g)
    return len(nodes), len(edges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small Oakham clip, not Rutland")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--grid-side", type=int, help="synthetic grid side (default 693; 100)")
    args = parser.parse_args()
    pbf = QUICK if args.quick else RUTLAND
    repeat = max(1, args.repeat)
    side = args.grid_side or (100 if args.quick else 693)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t_base, (bn, be) = _time(lambda: _osmnx_baseline(pbf, work), repeat)
        cold_cfg = GraphConfig(osm_file=pbf, use_cache=False)
        t_cold, street = _time(lambda: graph.build_street_graph(cold_cfg, crs=CRS), repeat)
        warm_cfg = GraphConfig(osm_file=pbf, cache_dir=work / "cache")
        first = graph.build_street_graph(warm_cfg, crs=CRS)
        assert not first.cache_hit
        t_warm, again = _time(lambda: graph.build_street_graph(warm_cfg, crs=CRS), repeat)
        assert again.cache_hit
        cache_bytes = Path(again.cache_path or "").stat().st_size
        warm_rows = _warm_rows(warm_cfg, repeat)

        gpkg = work / "graph.gpkg"
        street.nodes.to_file(gpkg, layer="nodes", engine="pyogrio")
        street.edges.reset_index().to_file(gpkg, layer="edges", engine="pyogrio")

        def from_gpkg() -> graph.StreetGraph:
            nodes = gpd.read_file(gpkg, layer="nodes", engine="pyogrio").set_index("osmid")
            edges = gpd.read_file(gpkg, layer="edges", engine="pyogrio").set_index(
                ["u", "v", "key"]
            )
            parts = {"nodes": nodes.drop(columns="geometry"), "edges": edges}
            return graph._assemble(parts, CRS, str(pbf), "", True, time.perf_counter(), None)

        t_gpkg, _ = _time(from_gpkg, repeat)
        gpkg_bytes = gpkg.stat().st_size

    stats = graph.graph_stats(street)
    print(f"file: {pbf.name} ({pbf.stat().st_size / 1e6:.2f} MB), median of {repeat} runs")
    print(
        f"graph: {stats['nodes']:,} nodes, {stats['edges']:,} directed edges "
        f"({stats['segments']:,} segments, {stats['streets']:,} streets), "
        f"{stats['length_km']:.1f} km of walkable street"
    )
    print(f"osmnx recipe (baseline): {bn:,} nodes, {be:,} edges (every highway, no walk filter)")
    print(f"{'step':34} {'seconds':>8} {'x baseline':>11}")
    for label, t in [
        ("baseline: osmium XML + graph_from_xml", t_base),
        ("cold build (cache off)", t_cold),
        ("warm load (npz cache)", t_warm),
        ("load from GeoPackage (no graph)", t_gpkg),
    ]:
        print(f"{label:34} {t:8.3f} {t / t_base:11.3f}")
    print(f"warm / cold: {t_warm / t_cold:.3f}   gpkg load / cache load: {t_gpkg / t_warm:.2f}")
    print(f"cache: npz {cache_bytes / 1e6:.2f} MB, GeoPackage {gpkg_bytes / 1e6:.2f} MB\n")
    _print_rows(warm_rows, "old way")
    _grid_case(side, repeat)
    print(
        f"\npeak memory (max RSS) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
    )


if __name__ == "__main__":
    main()
