"""Street graph: cold build, warm (cached) load and two baselines, measured in one run.

Usage: ``.venv/bin/python benchmarks/bench_graph.py [--quick] [--repeat N]``

- baseline: the osmnx recipe of NOTES-stack.md section 3 on the same file (pyosmium filters the
  highway ways to an OSM XML file, ``ox.graph_from_xml`` with simplification, projection,
  ``graph_to_gdfs``), i.e. what the stage would cost without its own reader;
- cold: ``build_street_graph`` with the cache off (read, walkable filter, simplify, project,
  street ids, GeoDataFrames, MultiDiGraph);
- warm: ``build_street_graph`` again, from the cache (data-only ``.npz`` file);
- gpkg: the same node/edge tables read back from a GeoPackage (pyogrio) plus the graph
  rebuild, the alternative cache format.

``--quick`` uses the small Oakham clip in tests/data instead of the whole Rutland extract.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import osmnx as ox

from corridors import graph
from corridors.config import GraphConfig

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
QUICK = ROOT / "tests" / "data" / "graph" / "oakham-clip.osm.pbf"
CRS = "EPSG:27700"


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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
    args = parser.parse_args()
    pbf = QUICK if args.quick else RUTLAND
    repeat = max(1, args.repeat)

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

        gpkg = work / "graph.gpkg"
        street.nodes.to_file(gpkg, layer="nodes", engine="pyogrio")
        street.edges.reset_index().to_file(gpkg, layer="edges", engine="pyogrio")

        def from_gpkg() -> graph.StreetGraph:
            nodes = gpd.read_file(gpkg, layer="nodes", engine="pyogrio").set_index("osmid")
            edges = gpd.read_file(gpkg, layer="edges", engine="pyogrio").set_index(
                ["u", "v", "key"]
            )
            parts = {"nodes": nodes.drop(columns="geometry"), "edges": edges}
            return graph._assemble(parts, CRS, str(pbf), "", True, 0.0, None)

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
        ("load from GeoPackage + graph", t_gpkg),
    ]:
        print(f"{label:34} {t:8.3f} {t / t_base:11.3f}")
    print(f"warm / cold: {t_warm / t_cold:.3f}   gpkg load / cache load: {t_gpkg / t_warm:.2f}")
    print(f"cache: npz {cache_bytes / 1e6:.2f} MB, GeoPackage {gpkg_bytes / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
