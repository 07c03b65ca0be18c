"""Rebuild the hotspots test fixtures in tests/data/hotspots/
from the public source data (see tests/data/source_data.py).

Run from the repository root: ``.venv/bin/python tests/data/make_hotspots_fixtures.py``.
Outputs (all small, in the io contract's columns, coordinates in EPSG:27700 metres):

- ``rutland-oakham.csv.gz``: data.police.uk street crime (month-only) around Oakham,
  2019-12 .. 2022-10 (from the Leicestershire Police Rutland clip, OGL v3).
- ``hackney-stop-search.csv.gz``: Met stop-and-search records (times known, UTC in the
  source) inside a central Hackney box, 2017-01 .. 2019-02; OFFENCE is
  ``"Stop and search: <Object of search>"`` as corridors.load writes it.
  Personal attributes (gender, age, ethnicity) are dropped.
- ``oakham-walk.graphml.gz``: a real osmnx walking graph of central Oakham (OSM, ODbL),
  projected to EPSG:27700.
"""

from __future__ import annotations

import gzip
import sys
import warnings
from pathlib import Path

import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import source_data_root

SHARED = source_data_root()
OUT = Path(__file__).resolve().parent / "hotspots"
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
OAKHAM = (-0.745, 52.660, -0.710, 52.685)  # lon/lat box
OAKHAM_GRAPH = (-0.735, 52.666, -0.722, 52.675)
HACKNEY = (-0.080, 51.535, -0.040, 51.560)


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x, y = TO_BNG.transform(frame["Longitude"].to_numpy(float), frame["Latitude"].to_numpy(float))
    return np.round(x, 1), np.round(y, 1)


def _inside(frame: pd.DataFrame, box: tuple[float, float, float, float]) -> pd.Series:
    lon, lat = frame["Longitude"].astype(float), frame["Latitude"].astype(float)
    return (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])


def rutland() -> None:
    src = (
        SHARED
        / "police-uk-leicestershire-rutland-2019-2022"
        / "leicestershire-street-rutland.csv.gz"
    )
    raw = pd.read_csv(src, dtype=str).dropna(subset=["Longitude", "Latitude"])
    raw = raw[_inside(raw, OAKHAM)]
    x, y = _xy(raw)
    out = pd.DataFrame(
        {
            "incident_id": [f"rutland:{i + 2}" for i in raw.index],
            "offence": raw["Crime type"].to_numpy(),
            "month": raw["Month"].to_numpy(),
            "occurred_at": "",
            "time_known": False,
            "x": x,
            "y": y,
        }
    )
    out.to_csv(OUT / "rutland-oakham.csv.gz", index=False)
    print("rutland", len(out))


def hackney() -> None:
    src = SHARED / "police-uk-met-hackney" / "met-stop-and-search-hackney.csv.gz"
    raw = pd.read_csv(src, dtype=str).dropna(subset=["Longitude", "Latitude"])
    raw = raw[_inside(raw, HACKNEY)]
    raw = raw[(raw["Date"] >= "2017-01") & (raw["Date"] < "2019-03")]
    x, y = _xy(raw)
    out = pd.DataFrame(
        {
            "incident_id": [f"hackney-ss:{i + 2}" for i in raw.index],
            "offence": ("Stop and search: " + raw["Object of search"].fillna("Unknown")).to_numpy(),
            "month": raw["Date"].str[:7].to_numpy(),
            "occurred_at": raw["Date"].to_numpy(),
            "time_known": True,
            "x": x,
            "y": y,
        }
    )
    out.to_csv(OUT / "hackney-stop-search.csv.gz", index=False)
    print("hackney", len(out))


def oakham_graph() -> None:
    pbf = str(SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf")
    west, south, east, north = OAKHAM_GRAPH
    inside: set[int] = set()
    runs: dict[int, list[list[int]]] = {}
    for o in osmium.FileProcessor(pbf, osmium.osm.NODE | osmium.osm.WAY):
        if o.is_node():
            if west <= o.location.lon <= east and south <= o.location.lat <= north:
                inside.add(o.id)
            continue
        if "highway" not in o.tags or o.tags["highway"] in ("motorway", "trunk", "proposed"):
            continue
        cur: list[int] = []
        rr: list[list[int]] = []
        for ref in (n.ref for n in o.nodes):
            if ref in inside:
                cur.append(ref)
            else:
                if len(cur) >= 2:
                    rr.append(cur)
                cur = []
        if len(cur) >= 2:
            rr.append(cur)
        if rr:
            runs[o.id] = rr
    need = {r for rr in runs.values() for run in rr for r in run}
    xml = OUT / "_streets.osm"
    if xml.exists():
        xml.unlink()
    with osmium.SimpleWriter(str(xml)) as w:
        for o in osmium.FileProcessor(pbf, osmium.osm.NODE | osmium.osm.WAY):
            if o.is_node():
                if o.id in need:
                    w.add_node(o)
            elif o.id in runs:
                for k, run in enumerate(runs[o.id]):
                    w.add_way(o.replace(nodes=run, id=o.id if k == 0 else -(o.id * 10 + k)))
    ox.settings.use_cache = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ox.graph_from_xml(str(xml), simplify=True, retain_all=False)
        graph = ox.project_graph(graph, to_crs="EPSG:27700")
    xml.unlink()
    keep_edge = {"length", "geometry", "highway", "name", "osmid"}
    for _, _, data in graph.edges(data=True):
        for key in set(data) - keep_edge:
            del data[key]
        data["length"] = round(float(data["length"]), 2)
        if "geometry" in data:
            data["geometry"] = shapely.set_precision(data["geometry"].simplify(0.5), 0.01)
    for _, data in graph.nodes(data=True):
        for key in set(data) - {"x", "y", "street_count"}:
            del data[key]
        data["x"], data["y"] = round(data["x"], 2), round(data["y"], 2)
    plain = OUT / "_oakham-walk.graphml"
    ox.save_graphml(graph, plain)
    with (
        open(plain, "rb") as src,
        gzip.GzipFile(OUT / "oakham-walk.graphml.gz", "wb", mtime=0) as dst,
    ):
        dst.write(src.read())
    plain.unlink()
    print("graph", graph.number_of_nodes(), graph.number_of_edges())


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    rutland()
    hackney()
    oakham_graph()
