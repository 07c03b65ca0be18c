"""Where the fixture scripts find the real public data they clip the test fixtures from.

The fixtures in ``tests/data/`` are committed; only the ``make_*_fixtures.py`` scripts that
rebuild them need the source data (each dataset with its PROVENANCE.md). Point
``CORRIDORS_SOURCE_DATA`` at that folder; by default it is ``shared/data`` beside the
repository's folder, as in the project's development workspace. Neither the tests nor the
tool read it.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import osmium


def source_data_root() -> Path:
    """Return the folder of the real source datasets, or exit with a clear message."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    root = Path(os.environ.get("CORRIDORS_SOURCE_DATA", default))
    if not root.is_dir():
        sys.exit(
            f"source data folder {root} not found: set CORRIDORS_SOURCE_DATA to the folder "
            "holding the public datasets (osm-uk-rutland-2022/, police-uk-.../, ...)"
        )
    return root


def osm_clip_ids(
    pbf: Path, inside: Callable[[float, float], bool]
) -> tuple[set[int], set[int], set[int]]:
    """
    Return the node, way and relation ids of a clip: every way with a node ``inside``
    (lon, lat), whole, with all its nodes, plus school multipolygons whose ways are in the file.
    """
    inside_ids: set[int] = set()
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE):
        if obj.location.valid() and inside(obj.location.lon, obj.location.lat):
            inside_ids.add(obj.id)
    ways: set[int] = set()
    way_nodes: dict[int, list[int]] = {}
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.WAY):
        refs = [n.ref for n in obj.nodes]
        way_nodes[obj.id] = refs
        if any(r in inside_ids for r in refs):
            ways.add(obj.id)
    relations: set[int] = set()
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.RELATION):
        if obj.tags.get("amenity") != "school":
            continue
        members = [m.ref for m in obj.members if m.type == "w"]
        if any(m in ways for m in members) and all(m in way_nodes for m in members):
            relations.add(obj.id)
            ways.update(members)
    nodes = {r for w in ways for r in way_nodes[w]} | inside_ids
    return nodes, ways, relations
