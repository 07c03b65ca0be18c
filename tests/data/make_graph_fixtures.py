"""Rebuild the real-data fixtures of the graph tests
from the public source data (see tests/data/source_data.py).

- ``tests/data/graph/london-st-georges-circus-2024.osm.bz2``: copied unchanged (171 KB) from
  ``osm-london-st-georges-circus-2024/`` (Overpass export, 2024-03-22, (c) OpenStreetMap
  contributors, ODbL 1.0).
- ``tests/data/graph/oakham-clip.osm.pbf``: the centre of Oakham (Rutland) cut from
  ``osm-uk-rutland-2022/rutland-2022-07-20.osm.pbf`` (Geofabrik, 2022-07-20, ODbL 1.0): every node
  inside the box below and every way with at least one node inside it, *with its full list of
  node references*, so ways crossing the edge reference nodes missing from the file: a real
  clipped extract. No relations.

``tiny.osm`` is made by ``tests/data/graph/make_tiny_osm.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import osmium

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import source_data_root

SHARED = source_data_root()
OUT = Path(__file__).resolve().parent / "graph"
# Oakham town centre: lon, lat box (about 1.2 km x 1.1 km)
WEST, SOUTH, EAST, NORTH = -0.7400, 52.6650, -0.7230, 52.6750


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    src = SHARED / "osm-london-st-georges-circus-2024" / "london-st-georges-circus-2024.osm.bz2"
    shutil.copyfile(src, OUT / src.name)

    pbf = SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf"
    inside: set[int] = set()
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE):
        loc = obj.location
        if WEST <= loc.lon <= EAST and SOUTH <= loc.lat <= NORTH:
            inside.add(obj.id)
    out = OUT / "oakham-clip.osm.pbf"
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node():
                if obj.id in inside:
                    writer.add_node(obj)
            elif any(ref.ref in inside for ref in obj.nodes):
                writer.add_way(obj)
    for path in sorted(OUT.iterdir()):
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
