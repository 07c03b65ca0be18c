"""Walkable OSM ways as raw segments: the rule for what a walker may use, and the shared value.

Both readers (the OSM file, :mod:`corridors.graph.osm_file`; osmnx online,
:mod:`corridors.graph.online`) keep the ways :func:`is_walkable` accepts and hand on their
node-to-node segments, in WGS84 and not yet simplified, as one :class:`_Raw`, collected with a
:class:`_SegmentCollector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np

WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "unclassified",
    "service", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "trunk", "trunk_link", "track", "cycleway", "bridleway", "corridor",
    "crossing", "road", "elevator", "busway",
})  # fmt: skip
"""``highway`` values a pedestrian may use (unless ``foot``/``access`` say otherwise)."""
NEVER_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "construction", "proposed", "abandoned", "planned", "razed",
    "disused", "raceway", "bus_guideway", "escape", "no", "platform", "bus_stop", "rest_area",
    "services",
})  # fmt: skip
"""``highway`` values that never become edges, whatever the other tags say."""
_FOOT_YES = frozenset({"yes", "designated", "permissive", "official", "destination"})
_FOOT_NO = frozenset({"no", "private", "use_sidepath"})
_AREA_OK = frozenset({"pedestrian", "footway", "path", "living_street"})

WayTags: TypeAlias = tuple[str | None, ...]
"""The tags an edge keeps: ``(highway, name, ref, footway)``."""


def is_walkable(tags: Mapping[str, str], network_type: Literal["walk", "all"] = "walk") -> bool:
    """
    Decide whether an OSM way is part of the walking network.

    Parameters
    ----------
    tags
        The way's OSM tags.
    network_type
        ``"walk"`` applies the pedestrian rules; ``"all"`` keeps every highway that exists.

    Returns
    -------
    bool
        True for ways in :data:`WALKABLE_HIGHWAYS` unless ``foot=no``/``private``/
        ``use_sidepath``, ``access=no``/``private`` (without ``foot=yes``), ``service=private``,
        ``motorroad=yes`` or a trunk road with ``sidewalk=no``. Motorways never; ``area=yes``
        only for pedestrian areas (walked along their outline).

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "cycleway", "foot": "no"})
    False
    >>> is_walkable({"highway": "service", "access": "private", "foot": "yes"})
    True
    """
    highway = tags.get("highway")
    if highway is None or highway in NEVER_HIGHWAYS:
        return False
    if network_type == "all":
        return True
    foot = tags.get("foot", "")
    if foot in _FOOT_NO:
        return False
    foot_ok = foot in _FOOT_YES
    if highway not in WALKABLE_HIGHWAYS:
        return foot_ok
    if foot_ok:
        return True
    if tags.get("access") in ("no", "private") or tags.get("service") == "private":
        return False
    if tags.get("motorroad") == "yes":
        return False
    if highway in ("trunk", "trunk_link") and tags.get("sidewalk") in ("no", "none"):
        return False
    return not (tags.get("area") == "yes" and highway not in _AREA_OK)


def _way_tags(tags: Mapping[str, str]) -> WayTags:
    """Pick the tags an edge keeps (``path=sidewalk`` counts as ``footway=sidewalk``)."""
    footway = tags.get("footway")
    if footway is None and tags.get("path") == "sidewalk":
        footway = "sidewalk"
    return (tags.get("highway"), tags.get("name"), tags.get("ref"), footway)


@dataclass(frozen=True)
class _Raw:
    """Unsimplified walkable segments in WGS84 (one row per OSM node pair, undirected)."""

    node_ids: np.ndarray  # int64, sorted
    lon: np.ndarray
    lat: np.ndarray
    seg_a: np.ndarray  # index into node_ids
    seg_b: np.ndarray
    seg_way: np.ndarray  # int64 OSM way id
    seg_tag: np.ndarray  # index into tags
    tags: list[WayTags]  # (highway, name, ref, footway)


@dataclass
class _SegmentCollector:
    """Segments as a reader finds them: node coordinates, node pairs, way ids, tag codes."""

    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    seg_a: list[int] = field(default_factory=list)
    seg_b: list[int] = field(default_factory=list)
    seg_way: list[int] = field(default_factory=list)
    seg_tag: list[int] = field(default_factory=list)
    tag_index: dict[WayTags, int] = field(default_factory=dict)

    def tag_code(self, tags: WayTags) -> int:
        """Return the code of ``tags`` (new tags get the next code)."""
        return self.tag_index.setdefault(tags, len(self.tag_index))

    def add(self, a: int, b: int, way: int, tag: int) -> None:
        """One segment from node ``a`` to node ``b`` of OSM way ``way``."""
        self.seg_a.append(a)
        self.seg_b.append(b)
        self.seg_way.append(way)
        self.seg_tag.append(tag)

    def __len__(self) -> int:
        return len(self.seg_a)

    def to_raw(self) -> _Raw:
        """Return the collected segments as arrays (node ids sorted)."""
        return _raw_from_lists(
            self.coords, self.seg_a, self.seg_b, self.seg_way, self.seg_tag, list(self.tag_index)
        )


def _raw_from_lists(
    coords: Mapping[int, tuple[float, float]],
    seg_a: list[int],
    seg_b: list[int],
    seg_way: list[int],
    seg_tag: list[int],
    tags: list[WayTags],
) -> _Raw:
    node_ids = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    lonlat = np.array(list(coords.values()), dtype=float).reshape(-1, 2)
    order = np.argsort(node_ids)
    node_ids, lonlat = node_ids[order], lonlat[order]
    return _Raw(
        node_ids=node_ids,
        lon=lonlat[:, 0],
        lat=lonlat[:, 1],
        seg_a=np.searchsorted(node_ids, np.asarray(seg_a, dtype=np.int64)),
        seg_b=np.searchsorted(node_ids, np.asarray(seg_b, dtype=np.int64)),
        seg_way=np.asarray(seg_way, dtype=np.int64),
        seg_tag=np.asarray(seg_tag, dtype=np.int64),
        tags=tags,
    )
