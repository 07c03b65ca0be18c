"""Rebuild the maps stage's small real-data fixtures
from the public source data (see tests/data/source_data.py).

Clips a 1 km x 1 km box of central Oakham (Rutland) in British National Grid
(E 485500-486500, N 308200-309200) from:

- the Rutland OSM extract 2022-07-20 (ODbL, (c) OpenStreetMap contributors):
  walking street edges (EPSG:27700) -> ``oakham_edges.geojson``; schools and bus stops /
  stations -> ``oakham_pois.geojson``;
- data.police.uk street crime for Rutland 2019-12 .. 2022-10 (OGL v3, Leicestershire Police):
  the incidents inside the box -> ``oakham_incidents.csv`` (as published: WGS84 lon/lat
  with 6 decimals).

Run from the repository root: ``.venv/bin/python tests/data/make_maps_fixtures.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import osmium
import osmnx as ox
import pandas as pd
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import source_data_root

SHARED = source_data_root()
PBF = SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf"
POLICE = (
    SHARED / "police-uk-leicestershire-rutland-2019-2022" / "leicestershire-street-rutland.csv.gz"
)
OUT = Path(__file__).resolve().parent / "maps"
BOX_BNG = box(485500, 308200, 486500, 309200)


def _clip_pbf(out_xml: Path, bbox: tuple[float, float, float, float]) -> None:
    """Write the highway ways (split at missing nodes) and POIs inside ``bbox`` as OSM XML."""
    west, south, east, north = bbox
    inside: set[int] = set()
    runs: dict[int, list[list[int]]] = {}
    for obj in osmium.FileProcessor(str(PBF), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            if west <= obj.location.lon <= east and south <= obj.location.lat <= north:
                inside.add(obj.id)
            continue
        if "highway" not in obj.tags:
            continue
        cur: list[int] = []
        parts: list[list[int]] = []
        for ref in (n.ref for n in obj.nodes):
            if ref in inside:
                cur.append(ref)
            else:
                if len(cur) >= 2:
                    parts.append(cur)
                cur = []
        if len(cur) >= 2:
            parts.append(cur)
        if parts:
            runs[obj.id] = parts
    need = {r for parts in runs.values() for run in parts for r in run}
    with osmium.SimpleWriter(str(out_xml)) as writer:
        for obj in osmium.FileProcessor(str(PBF), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node():
                if obj.id in need:
                    writer.add_node(obj)
            elif obj.id in runs:
                for k, run in enumerate(runs[obj.id]):
                    writer.add_way(
                        obj.replace(nodes=run, id=obj.id if k == 0 else -(obj.id * 10 + k))
                    )


def _pois(bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    west, south, east, north = bbox
    rows = []
    for obj in osmium.FileProcessor(str(PBF), osmium.osm.NODE).with_locations():
        tags = obj.tags
        if not (west <= obj.location.lon <= east and south <= obj.location.lat <= north):
            continue
        if tags.get("amenity") == "school":
            rows.append(
                (
                    "school",
                    f"node/{obj.id}",
                    tags.get("name", ""),
                    obj.location.lon,
                    obj.location.lat,
                )
            )
        elif tags.get("highway") == "bus_stop" or tags.get("railway") == "station":
            kind = "rail" if tags.get("railway") == "station" else "bus"
            rows.append(
                (kind, f"node/{obj.id}", tags.get("name", ""), obj.location.lon, obj.location.lat)
            )
    # school grounds are ways: use the centroid of their nodes
    fp = osmium.FileProcessor(str(PBF), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp:
        if obj.is_way() and obj.tags.get("amenity") == "school":
            pts = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if not pts:
                continue
            lon = sum(p[0] for p in pts) / len(pts)
            lat = sum(p[1] for p in pts) / len(pts)
            if west <= lon <= east and south <= lat <= north:
                rows.append(("school", f"way/{obj.id}", obj.tags.get("name", ""), lon, lat))
    frame = pd.DataFrame(rows, columns=["kind", "osm_id", "name", "lon", "lat"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    ).to_crs(27700)


def _write_compact(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoJSON with no indentation and a ``crs`` member (GDAL reads it back)."""
    doc = json.loads(frame.to_json(drop_id=True))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    bbox = tuple(gpd.GeoSeries([BOX_BNG], crs=27700).to_crs(4326).total_bounds)
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "oakham.osm"
        _clip_pbf(xml, bbox)
        ox.settings.use_cache = False
        graph = ox.graph_from_xml(xml, simplify=True, retain_all=False)
    graph = ox.project_graph(graph, to_crs="EPSG:27700")
    _, edges = ox.graph_to_gdfs(graph)
    edges = edges.reset_index()
    edges["highway"] = [h[0] if isinstance(h, list) else h for h in edges["highway"]]
    edges["name"] = [
        n[0] if isinstance(n, list) else n for n in edges.get("name", [None] * len(edges))
    ]
    edges["street_id"] = edges["name"].fillna("") + "|" + edges["highway"].astype(str)
    edges = edges[["u", "v", "key", "name", "highway", "street_id", "length", "geometry"]]
    # a walking graph holds each street edge in both directions: keep one (fixture size)
    pair = [
        (*sorted(uv), k)
        for uv, k in zip(zip(edges["u"], edges["v"], strict=True), edges["key"], strict=True)
    ]
    edges = edges[~pd.Series(pair, index=edges.index).duplicated()]
    edges["length"] = edges["length"].round(1)
    edges["geometry"] = edges.geometry.simplify(0.5).set_precision(0.1)
    _write_compact(edges, OUT / "oakham_edges.geojson")
    _pois(bbox).to_file(OUT / "oakham_pois.geojson", driver="GeoJSON")
    with gzip.open(POLICE, "rt", encoding="utf-8") as fh:
        police = pd.read_csv(io.StringIO(fh.read()), dtype=str)
    lon = pd.to_numeric(police["Longitude"], errors="coerce")
    lat = pd.to_numeric(police["Latitude"], errors="coerce")
    west, south, east, north = bbox
    keep = police[(lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)]
    keep = keep[["Crime ID", "Month", "Longitude", "Latitude", "Location", "Crime type"]]
    keep.to_csv(OUT / "oakham_incidents.csv", index=False)
    for p in sorted(OUT.iterdir()):
        print(f"{p.name}: {p.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
