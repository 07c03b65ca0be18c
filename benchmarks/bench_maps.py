"""Benchmark the maps stage: page weight, build time and first render, before and after.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--case rutland|synthetic|both]
[--edges 120000] [--loops 300] [--after-only] [--quick]``

Two cases:

- ``rutland``: the real Rutland street graph and inputs (data/rutland.toml), then the
  hotspots, corridors and roster with the real stages where they run, else simple stand-ins
  (shortest walks from each school to its nearest hub; one convex hull per busy 300 m cell;
  a two-person team per loop and weekday);
- ``synthetic``: a jittered street grid in EPSG:27700 of about ``--edges`` edge rows (both
  directions) with ``--loops`` corridors and loops, hotspots, incidents and a stand-in
  roster, from a fixed seed (``benchmarks/maps_synthetic.py``).

Each case renders and saves both pages twice in the same run: "before" draws the streets the
old way (every street of the area merged into two MultiLineStrings and simplified as a whole:
``maps_synthetic.old_streets``), "after" with the package as it is (streets near what is
drawn, clipped, simplified per edge). It reports, with after/before ratios:

- page bytes of each self-contained page;
- build time in Python (render + save of each page);
- first render (page load with the layers drawn, headless Chromium, network blocked; the
  median of 5 loads, 1 with ``--quick``), also as a multiple of an empty offline Leaflet page;
- the shared page's incident coordinates (must be 0).

``--quick`` (``make bench``) uses 30,000 edge rows and 60 loops for the synthetic case.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import re
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from maps_synthetic import old_streets, stand_in_roster, synthetic_area  # noqa: E402

from corridors import graph, load, maps  # noqa: E402
from corridors.config import MapConfig, load_config, override  # noqa: E402
from corridors.hotspots import Hotspots  # noqa: E402
from corridors.routes import Corridors  # noqa: E402


def _stand_in_corridors(street, inputs):  # type: ignore[no-untyped-def]
    g = nx.Graph()
    for (u, v, _k), row in street.edges.iterrows():
        g.add_edge(u, v, length=row["length"], geometry=row.geometry)
    ids = np.array(street.nodes.index)
    xy = np.column_stack([street.nodes.geometry.x, street.nodes.geometry.y])

    def nearest(p):  # type: ignore[no-untyped-def]
        return ids[np.argmin(((xy - [p.x, p.y]) ** 2).sum(axis=1))]

    cors, loops = [], []
    for i, school in inputs.schools.reset_index(drop=True).iterrows():
        d = inputs.hubs.geometry.distance(school.geometry)
        hub = inputs.hubs.loc[d.idxmin()]
        try:
            path = nx.shortest_path(
                g, nearest(school.geometry), nearest(hub.geometry), weight="length"
            )
        except nx.NetworkXNoPath:
            continue
        if len(path) < 2:
            continue
        merged = linemerge(
            MultiLineString([g.edges[a, b]["geometry"] for a, b in itertools.pairwise(path)])
        )
        geom = merged if isinstance(merged, MultiLineString) else MultiLineString([merged])
        near = int(inputs.incidents.geometry.distance(geom).lt(50).sum())
        cid = f"C{i + 1}"
        cors.append(
            {
                "corridor_id": cid,
                "school_ids": school["school_id"],
                "school_names": school["name"],
                "footfall": 100.0,
                "risk": float(near),
                "incidents": near,
                "offences": "{}",
                "time_note": "",
                "reason": f"{near} incidents within 50 m",
                "patrolled": True,
                "geometry": geom,
            }
        )
        coords = [c for line in geom.geoms for c in line.coords]
        loops.append(
            {
                "loop_id": f"{cid}-L1",
                "corridor_id": cid,
                "school_ids": school["school_id"],
                "meeting_point": f"{school['name']} gate",
                "meeting_kind": "school",
                "start_time": "15:15",
                "duration_min": 45.0,
                "length_m": 2 * geom.length,
                "risk_covered": float(near),
                "risk_share": 1.0,
                "gap": 0.0,
                "geometry": LineString(coords + coords[::-1][1:]),
            }
        )
    crs = street.crs
    return Corridors(
        corridors=gpd.GeoDataFrame(cors, crs=crs),
        segments=gpd.GeoDataFrame(geometry=[], crs=crs),
        loops=gpd.GeoDataFrame(loops, crs=crs),
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=("stand-in",),
    )


def _stand_in_spots(inputs):  # type: ignore[no-untyped-def]
    inc = inputs.incidents.copy()
    cell = (
        (inc.geometry.x // 300).astype(int).astype(str)
        + "_"
        + (inc.geometry.y // 300).astype(int).astype(str)
    )
    busy = cell.value_counts()
    busy = busy[busy >= 20].index
    polys = [inc[cell == c].union_all().convex_hull.buffer(30) for c in busy]
    return Hotspots(
        selected=inc.assign(weight=1.0, cluster=-1),
        polygons=gpd.GeoDataFrame(
            {
                "hotspot_id": range(len(polys)),
                "weighted_count": [float((cell == c).sum()) for c in busy],
            },
            geometry=polys,
            crs=inc.crs,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="stand-in",
        params={},
        time_known=False,
        notes=("stand-in hotspots",),
    )


def _real_or_stand_in(name, real, fallback):  # type: ignore[no-untyped-def]
    try:
        value = real()
        print(f"  {name}: real stage")
        return value
    except Exception as exc:
        print(f"  {name}: stand-in ({type(exc).__name__}: {str(exc)[:80]})")
        return fallback()


def _render_ms(browser, path: Path, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        report = browser.open(path, wait_ms=0)
        assert not report.errors, report.errors
        times.append(report.load_ms)
    return float(np.median(times))


def _build(area, cfg: MapConfig, week: str, folder: Path) -> dict[str, tuple[Path, float]]:  # type: ignore[no-untyped-def]
    """Render and save both pages; return each page's path and build time (seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    internal = maps.render_internal_map(
        inputs=area.inputs,
        street=area.street,
        spots=area.spots,
        corridors=area.corridors,
        rota=area.rota,
        cfg=cfg,
        week=week,
        title="Benchmark",
    )
    p_int = maps.save_offline(internal, folder / maps.INTERNAL_HTML)
    t1 = time.perf_counter()
    shared = maps.render_shared_map(
        street=area.street,
        corridors=area.corridors,
        rota=area.rota,
        cfg=cfg,
        week=week,
        area_name="Benchmark",
    )
    p_sh = maps.save_offline(shared, folder / maps.SHARED_HTML)
    t2 = time.perf_counter()
    return {"internal": (p_int, t1 - t0), "shared": (p_sh, t2 - t1)}


def _leaks(page: Path, incidents) -> int:  # type: ignore[no-untyped-def]
    """How many incident coordinates (6 dp, either order) are in the page."""
    pairs = set(itertools.pairwise(re.findall(r"-?\d+\.\d+", page.read_text(encoding="utf-8"))))
    pts = incidents.to_crs(4326).geometry
    return sum(
        (repr(round(p.y, 6)), repr(round(p.x, 6))) in pairs
        or (repr(round(p.x, 6)), repr(round(p.y, 6))) in pairs
        for p in pts
    )


def _open_browser():  # type: ignore[no-untyped-def]
    try:
        from browser import OfflineBrowser

        exe = maps.find_chromium()
        if exe is None:
            raise RuntimeError("no chromium")
        return OfflineBrowser(exe)
    except Exception as exc:
        print(f"browser timings skipped: {exc}")
        return None


def compare(
    label: str, area, cfg: MapConfig, week: str, *, quick: bool, after_only: bool = False
) -> None:  # type: ignore[no-untyped-def]
    """Build both pages before and after in this run; print bytes, build and render times."""
    from browser import png_is_blank

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ("after",) if after_only else ("before", "after"):
            ctx = old_streets() if variant == "before" else contextlib.nullcontext()
            with ctx:
                rows[variant] = _build(area, cfg, week, Path(tmp) / variant)
        browser = _open_browser()
        render: dict[tuple[str, str], float] = {}
        base = 0.0
        if browser is not None:
            try:
                repeats = 1 if quick else 5
                base = _render_ms(
                    browser,
                    maps.save_offline(folium.Map(tiles=None), Path(tmp) / "empty.html"),
                    repeats,
                )
                for variant, pages in rows.items():
                    for key, (path, _s) in pages.items():
                        render[variant, key] = _render_ms(browser, path, repeats)
                        rep = browser.open(path)
                        assert not rep.errors and not png_is_blank(rep.png), (variant, key)
                        if variant == "after":
                            print(
                                f"  {key} (after): {rep.counts['geojson_features']:,} GeoJSON "
                                f"features, {rep.counts['svg_paths']:,} SVG paths, not blank"
                            )
            finally:
                browser.close()
        print(f"\n{label}: before = every street simplified as a whole; after = this package")
        print(
            f"{'page':9} {'bytes before':>14} {'after':>12} {'ratio':>7} "
            f"{'build before':>13} {'after':>8} {'ratio':>7} {'render before':>14} "
            f"{'after':>9} {'ratio':>7}"
        )
        for key in ("internal", "shared"):
            pa, ta = rows["after"][key]
            ba = pa.stat().st_size
            if "before" not in rows:
                ra = render.get(("after", key), float("nan"))
                print(
                    f"{key:9} {'-':>14} {ba:>12,} {'':7} {'-':>13} {ta:>7.2f}s {'':7} "
                    f"{'-':>14} {ra:>7.0f}ms"
                )
                continue
            pb, tb = rows["before"][key]
            bb = pb.stat().st_size
            line = (
                f"{key:9} {bb:>14,} {ba:>12,} {ba / bb:>6.3f}x {tb:>12.2f}s {ta:>7.2f}s "
                f"{ta / tb:>6.3f}x"
            )
            if ("before", key) in render:
                rb, ra = render["before", key], render["after", key]
                line += f" {rb:>12.0f}ms {ra:>7.0f}ms {ra / rb:>6.3f}x"
            print(line)
        if base:
            print(
                f"empty offline Leaflet page: {base:.0f} ms (render after / empty: "
                + ", ".join(f"{k} {render['after', k] / base:.1f}x" for k in ("internal", "shared"))
                + ")"
            )
        leaked = _leaks(rows["after"]["shared"][0], area.inputs.incidents)
        print(f"incident coordinates in the shared page (after): {leaked} (must be 0)")


def rutland_case(args: argparse.Namespace) -> None:
    cfg = load_config(ROOT / "data" / "rutland.toml")
    cfg = override(cfg, "maps", languages=("en", "cy", "tr"))
    cfg = override(cfg, "graph", cache_dir=Path(tempfile.gettempdir()) / "corridors-bench-cache")
    week = cfg.area.iso_week()
    monday = cfg.area.week_start()
    t0 = time.perf_counter()
    inputs = load.load_inputs(cfg)
    street = graph.build_street_graph(cfg.graph, crs=inputs.crs, study_area=inputs.study_area)
    print(
        f"inputs + street graph: {time.perf_counter() - t0:.1f} s; {len(street.edges):,} edges, "
        f"{len(inputs.schools)} schools, {len(inputs.hubs)} hubs, "
        f"{len(inputs.incidents):,} incidents"
    )

    plan_week = cfg.area.plan_week(inputs.timezone)

    def real_spots():  # type: ignore[no-untyped-def]
        from corridors import hotspots

        return hotspots.find_hotspots(
            inputs.incidents,
            cfg.hotspots,
            week=plan_week,
            window=cfg.stage_window("hotspots"),
            street=street,
        )

    def real_corridors():  # type: ignore[no-untyped-def]
        from corridors import routes

        return routes.plan_corridors(
            street,
            inputs,
            spots,
            cfg.corridors,
            week=plan_week,
            window=cfg.stage_window("corridors"),
        )

    def real_roster():  # type: ignore[no-untyped-def]
        from corridors import roster

        return roster.make_roster(
            corridors,
            roster.load_staff(cfg.roster.staff),
            cfg.roster,
            week_start=monday,
            timezone=inputs.timezone,
        )

    fail = lambda: (_ for _ in ()).throw(RuntimeError("--stand-ins"))  # noqa: E731
    spots = _real_or_stand_in(
        "hotspots", fail if args.stand_ins else real_spots, lambda: _stand_in_spots(inputs)
    )
    corridors = _real_or_stand_in(
        "corridors",
        fail if args.stand_ins else real_corridors,
        lambda: _stand_in_corridors(street, inputs),
    )
    if not len(corridors.loops):
        corridors = _stand_in_corridors(street, inputs)
        print("  corridors: no loops from the real stage; stand-in used")
    rota = _real_or_stand_in(
        "roster",
        fail if args.stand_ins else real_roster,
        lambda: stand_in_roster(corridors, monday),
    )
    area = SimpleNamespace(
        inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota
    )
    compare("Rutland", area, cfg.maps, week, quick=args.quick)


def synthetic_case(args: argparse.Namespace) -> None:
    edges, loops = (30_000, 60) if args.quick else (args.edges, args.loops)
    t0 = time.perf_counter()
    area = synthetic_area(edges=edges, loops=loops, seed=14)
    print(
        f"\nsynthetic area (seed 14): {len(area.street.edges):,} edge rows, "
        f"{len(area.corridors.corridors)} corridors and loops, "
        f"{len(area.spots.polygons)} hotspots, generated in {time.perf_counter() - t0:.1f} s"
    )
    cfg = MapConfig(languages=("en", "cy", "tr"))
    compare(
        f"synthetic {len(area.street.edges):,} edges",
        area,
        cfg,
        "2022-W45",
        quick=args.quick,
        after_only=args.after_only,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=("rutland", "synthetic", "both"), default="both")
    ap.add_argument("--edges", type=int, default=120_000, help="synthetic: edge rows")
    ap.add_argument(
        "--after-only",
        action="store_true",
        help="synthetic: skip the old code path (quadratic: minutes from 200,000 edge rows)",
    )
    ap.add_argument("--loops", type=int, default=300, help="synthetic: corridors and loops")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="one browser load per page instead of five; a small synthetic area",
    )
    ap.add_argument("--stand-ins", action="store_true", help="do not try the real later stages")
    args = ap.parse_args()
    if args.case in ("rutland", "both"):
        rutland_case(args)
    if args.case in ("synthetic", "both"):
        synthetic_case(args)


if __name__ == "__main__":
    main()
