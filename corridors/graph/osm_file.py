"""Reading the OSM file (the offline source): its walkable ways, and its SHA-256.

An I/O edge: pyosmium reads the file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) once,
with a node-location cache, and keeps the ways :func:`~corridors.graph.segments.is_walkable`
accepts. Ways of clipped extracts that reference nodes missing from the file are split at the
gaps. :func:`_file_sha256` identifies the file for the cache key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from corridors.errors import EmptyResultError, InputDataError
from corridors.graph.segments import _Raw, _SegmentCollector, _way_tags, is_walkable

if TYPE_CHECKING:
    import osmium

logger = logging.getLogger(__name__)

_NOT_FOUND = (
    "OSM file not found. Set [graph] osm_file to an existing .osm, .osm.bz2, .osm.gz or "
    ".osm.pbf file."
)


def _read_osm_file(path: Path, network_type: Literal["walk", "all"]) -> _Raw:
    """Read the walkable segments of the OSM file at ``path``."""
    if not path.is_file():
        raise InputDataError(f"{path}: {_NOT_FOUND}")
    segments = _SegmentCollector()
    try:
        split_ways = sum(_add_way(segments, way, network_type) for way in _highway_ways(path))
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: cannot read the OSM file ({exc}). Check that it is a complete .osm, "
            ".osm.bz2, .osm.gz or .osm.pbf file."
        ) from exc
    if split_ways:
        logger.info("%s: %d ways reference nodes missing from the file (clipped extract); "
                    "split at the gaps", path, split_ways)  # fmt: skip
    if not segments:
        raise EmptyResultError(
            f"{path}: no walkable street (highway=* way) found. Use an OSM extract that "
            "covers the area's streets."
        )
    return segments.to_raw()


def _highway_ways(path: Path) -> Iterator[osmium.osm.Way]:
    """Yield the file's ``highway=*`` ways with node locations (valid until the next)."""
    import osmium  # local import: only the offline path needs it

    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()  # node locations are cached before the filters run
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
            yield obj


def _add_way(
    segments: _SegmentCollector, way: osmium.osm.Way, network_type: Literal["walk", "all"]
) -> bool:
    """Add a walkable way's segments; True if it references nodes missing from the file."""
    way_tags = dict(way.tags)
    if not is_walkable(way_tags, network_type):
        return False
    t = segments.tag_code(_way_tags(way_tags))
    prev: int | None = None
    gap = False
    for ref in way.nodes:
        loc = ref.location
        if not loc.valid():  # clipped extract: split the way here
            prev, gap = None, True
            continue
        nid = ref.ref
        if nid not in segments.coords:
            segments.coords[nid] = (loc.lon, loc.lat)
        if prev is not None and prev != nid:
            segments.add(prev, nid, way.id, t)
        prev = nid
    return gap


def _file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (what the cache key names the source by)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: {_NOT_FOUND}") from exc
    except IsADirectoryError as exc:
        raise InputDataError(f"{path}: is a folder; [graph] osm_file must be a file.") from exc
    return digest.hexdigest()
