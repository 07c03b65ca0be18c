"""Rebuild the routes-stage fixtures in ``tests/data/routes/``
from the public source data (see tests/data/source_data.py).

- ``oakham.osm.pbf``: the Rutland OSM extract (2022-07-20, ODbL, (c) OpenStreetMap
  contributors) clipped to a box around central Oakham (lon -0.742..-0.705,
  lat 52.662..52.680): every node in the box, every way with a node in the box (complete, with
  all its nodes), and the ``amenity=school`` relations touching it (with their member ways).
  It holds Catmose College and Oakham School (secondary / all-through), homes and bus stops.
- ``oakham-incidents.csv.gz``: data.police.uk street-level crimes (Leicestershire Police,
  OGL v3) in the same box, 2021-11 .. 2022-10, published columns unchanged.

Run: ``.venv/bin/python tests/data/make_routes_fixtures.py`` (needs the source data:
tests/data/source_data.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import osmium
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import osm_clip_ids, source_data_root

HERE = Path(__file__).resolve().parent / "routes"
SHARED = source_data_root()
PBF = SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf"
POLICE = (
    SHARED / "police-uk-leicestershire-rutland-2019-2022" / "leicestershire-street-rutland.csv.gz"
)
WEST, EAST, SOUTH, NORTH = -0.742, -0.705, 52.662, 52.680


def _inside(lon: float, lat: float) -> bool:
    return WEST <= lon <= EAST and SOUTH <= lat <= NORTH


def clip_osm(out: Path) -> None:
    need, ways, relations = osm_clip_ids(PBF, _inside)
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(PBF)):
            if obj.is_node() and obj.id in need:
                writer.add_node(obj)
            elif obj.is_way() and obj.id in ways:
                writer.add_way(obj)
            elif obj.is_relation() and obj.id in relations:
                writer.add_relation(obj)


def clip_police(out: Path) -> None:
    frame = pd.read_csv(POLICE, dtype=str)
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    keep = lon.between(WEST, EAST) & lat.between(SOUTH, NORTH)
    keep &= frame["Month"].between("2021-11", "2022-10")
    frame[keep].to_csv(out, index=False, compression={"method": "gzip", "mtime": 0})


if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    clip_osm(HERE / "oakham.osm.pbf")
    clip_police(HERE / "oakham-incidents.csv.gz")
    for path in sorted(HERE.iterdir()):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
