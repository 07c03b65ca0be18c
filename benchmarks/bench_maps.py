"""Benchmark the maps stage on the embedded Rutland area: page weight and first render.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--out maps] [--quick]``

Builds the real Rutland street graph and inputs (data/rutland.toml), then the hotspots,
corridors and roster with the real stages where they run, else simple stand-ins (shortest
walks from each school to its nearest hub; one convex hull per busy 300 m cell; a two-person
team per loop and weekday). Writes the whole week folder (both maps, manifest, history, index)
and screenshots, then reports, against baselines measured in the same run:

- page weight of each self-contained page / the same map saved by stock Folium (CDN links,
  which draws a blank page offline);
- first render (page load + layers drawn, headless Chromium, network blocked) / the load of
  an empty self-contained Leaflet map.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import re
import sys
import tempfile
import time
from pathlib import Path

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

from corridors import graph, load, maps  # noqa: E402
from corridors.config import load_config, override  # noqa: E402
from corridors.hotspots import Hotspots  # noqa: E402
from corridors.roster import Roster  # noqa: E402
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


def _stand_in_roster(corridors, monday):  # type: ignore[no-untyped-def]
    rows, slots = [], []
    for d in range(5):
        date = monday + dt.timedelta(days=d)
        for _, loop in corridors.loops.iterrows():
            lid = loop["loop_id"]
            slots.append(
                {
                    "slot_id": f"{lid}-{date}",
                    "date": date,
                    "day": f"{date:%A}",
                    "start": "15:15",
                    "end": "16:00",
                    "loop_id": lid,
                    "corridor_id": loop["corridor_id"],
                    "aim": "reassurance",
                    "filled": True,
                    "police_contact": "PC Example",
                    "problem": "",
                }
            )
            for pid, agency in (("p1", "Leicestershire Police"), ("p2", "Rutland Youth Service")):
                rows.append(
                    {
                        "person_id": pid,
                        "name": f"Person {pid}",
                        "agency": agency,
                        "date": date,
                        "day": f"{date:%A}",
                        "start": "15:15",
                        "end": "16:00",
                        "loop_id": lid,
                        "corridor_id": loop["corridor_id"],
                        "meeting_point": loop["meeting_point"],
                        "aim": "reassurance",
                        "team": "T1",
                    }
                )
    return Roster(
        assignments=pd.DataFrame(rows),
        slots=pd.DataFrame(slots),
        problems=(),
        status="stand-in",
        objective=0.0,
        bound=0.0,
        gap=0.0,
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "maps")
    ap.add_argument(
        "--quick", action="store_true", help="one browser load per page instead of five"
    )
    ap.add_argument("--stand-ins", action="store_true", help="do not try the real later stages")
    args = ap.parse_args()
    cfg = load_config(ROOT / "data" / "rutland.toml")
    cfg = override(cfg, "maps", out_dir=args.out, languages=("en", "cy", "tr"))
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
        lambda: _stand_in_roster(corridors, monday),
    )

    t1 = time.perf_counter()
    internal = maps.render_internal_map(
        inputs=inputs,
        street=street,
        spots=spots,
        corridors=corridors,
        rota=rota,
        cfg=cfg.maps,
        week=week,
        title="Rutland",
    )
    t_render_internal = time.perf_counter() - t1
    t1 = time.perf_counter()
    out = maps.write_week(
        inputs=inputs,
        street=street,
        spots=spots,
        corridors=corridors,
        rota=rota,
        config=cfg,
        week=week,
    )
    t_write = time.perf_counter() - t1
    week_dir = out["week_dir"]
    page = out["shared"].read_text(encoding="utf-8")
    pairs = set(itertools.pairwise(re.findall(r"-?\d+\.\d+", page)))
    pts = inputs.incidents.to_crs(4326).geometry
    leaked = sum(
        (repr(round(p.y, 6)), repr(round(p.x, 6))) in pairs
        or (repr(round(p.x, 6)), repr(round(p.y, 6))) in pairs
        for p in pts
    )
    print(f"incident coordinates in the shared page: {leaked} of {len(pts):,} (must be 0)")

    # baselines: the same map saved by stock Folium (CDN links) and an empty offline Leaflet page
    with tempfile.TemporaryDirectory() as tmp:
        stock = Path(tmp) / "stock.html"
        internal.save(str(stock))
        empty = maps.save_offline(folium.Map(tiles=None), Path(tmp) / "empty.html")
        sizes = {k: out[k].stat().st_size for k in ("internal", "shared")}
        print(
            f"\nrender internal map (Python): {t_render_internal:.2f} s; write_week (both maps, "
            f"manifest, history, index): {t_write:.2f} s"
        )
        print(
            f"page weight: internal {sizes['internal'] / 1e6:.2f} MB, "
            f"shared {sizes['shared'] / 1e6:.2f} MB "
            "(target < 2 MB); stock Folium CDN page of the internal map "
            f"{stock.stat().st_size / 1e6:.2f} MB "
            f"-> ratios {sizes['internal'] / stock.stat().st_size:.2f}x / "
            f"{sizes['shared'] / stock.stat().st_size:.2f}x"
        )
        try:
            from browser import OfflineBrowser, png_is_blank

            exe = maps.find_chromium()
            if exe is None:
                raise RuntimeError("no chromium")
            browser = OfflineBrowser(exe)
        except Exception as exc:
            print(f"browser timings skipped: {exc}")
            return
        try:
            repeats = 1 if args.quick else 5
            base = _render_ms(browser, empty, repeats)
            for key in ("internal", "shared"):
                ms = _render_ms(browser, out[key], repeats)
                rep = browser.open(out[key])
                print(
                    f"first render {key}: {ms:.0f} ms (target < 2000 ms) = {ms / base:.1f}x "
                    "an empty offline "
                    f"Leaflet page ({base:.0f} ms); {rep.counts['svg_paths']:,} SVG paths, "
                    f"{rep.counts['awesome_markers']} icon markers, JS errors: {len(rep.errors)}, "
                    f"blank: {png_is_blank(rep.png)}"
                )
        finally:
            browser.close()
    for key in ("internal", "shared"):
        t1 = time.perf_counter()
        png = maps.take_screenshot(out[key], week_dir / f"{key}.png")
        print(f"screenshot {png} in {time.perf_counter() - t1:.1f} s")
    print(f"index: {out['index']}; history: {out['history']}")


if __name__ == "__main__":
    main()
