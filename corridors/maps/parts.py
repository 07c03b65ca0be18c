"""
A big area's internal map in parts: an overview page and a page per part with the detail.

When a plan has more corridors than ``[maps] split_internal_above``, ``internal.html``
becomes an overview and ``internal/<part>.html`` holds each part's detail (``week.py``
writes them). A part is a cluster of nearby corridors (:func:`corridor_parts`): the
corridors' centres are split in two at the median of the longer side of their bounding box,
and again, until every part holds at most ``split_internal_above`` corridors. Every corridor
is on exactly one part page; a part page draws its corridors, their loops and patrols, and
the schools, hubs, hotspots, incidents and streets within :data:`PART_MARGIN_M` of them
(:func:`part_outputs`).

Nothing here opens a file: the functions take the stage outputs and return subsets.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from corridors.graph import StreetGraph
from corridors.maps.streets import STREET_LINES, _street_edges

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from corridors.hotspots import Hotspots
    from corridors.load import Inputs
    from corridors.roster import Roster
    from corridors.routes import Corridors

#: A part page draws what lies within this distance (metres) of its corridors and loops.
PART_MARGIN_M = 500.0
#: The folder (beside ``internal.html``) of the part pages.
PARTS_DIR = "internal"


@dataclass(frozen=True)
class Part:
    """One part of a big area: its page name, plain-text label and corridors."""

    name: str  # "part-01": the page is internal/part-01.html
    label: str  # plain text; escaped where it reaches a page
    corridor_ids: tuple[str, ...]


def corridor_parts(corridors: gpd.GeoDataFrame, most: int) -> list[Part]:
    """
    Split the corridors into parts of at most ``most`` nearby corridors.

    The corridors' centres are cut in two at the median of the longer side of their bounding
    box, recursively, so parts are compact and about equal; the result does not depend on
    the row order's ties (corridor ids break them). Parts are ordered south-west first.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> cor = gpd.GeoDataFrame({"corridor_id": ["a", "b", "c", "d"], "school_names": "S"},
    ...     geometry=[Point(0, 0), Point(10, 0), Point(1000, 0), Point(1010, 5)], crs=27700)
    >>> [p.corridor_ids for p in corridor_parts(cor, 2)]
    [('a', 'b'), ('c', 'd')]
    """
    ids = corridors["corridor_id"].astype(str).to_numpy()
    xy = shapely.get_coordinates(corridors.geometry.representative_point().values)
    groups = _bisect(np.arange(len(ids)), xy, ids, max(1, most))
    groups.sort(key=lambda g: (float(np.floor(xy[g, 1].min() / 1000)), float(xy[g, 0].min())))
    names = _names(corridors)
    return [
        Part(
            name=f"part-{k + 1:02d}",
            label=_label(k, [names[i] for i in g]),
            corridor_ids=tuple(ids[g]),
        )
        for k, g in enumerate(groups)
    ]


def _bisect(at: np.ndarray, xy: np.ndarray, ids: np.ndarray, most: int) -> list[np.ndarray]:
    """Return groups of positions ``at``, cut at the median of the longer side, of <= ``most``."""
    if len(at) <= most:
        return [at]
    pts = xy[at]
    axis = int(np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]))
    order = at[np.lexsort((ids[at], pts[:, axis]))]
    half = len(order) // 2
    return _bisect(order[:half], xy, ids, most) + _bisect(order[half:], xy, ids, most)


def _names(corridors: gpd.GeoDataFrame) -> list[str]:
    """Each corridor's first school name (else its id), as plain text."""
    if "school_names" not in corridors.columns:
        return [f"corridor {c}" for c in corridors["corridor_id"]]
    return [
        str(n).split(";")[0].strip() if isinstance(n, str) and n.strip() else f"corridor {c}"
        for n, c in zip(corridors["school_names"], corridors["corridor_id"], strict=True)
    ]


def _label(k: int, names: list[str]) -> str:
    """``Part 3: A; B and 12 more corridors`` (plain text)."""
    shown = "; ".join(dict.fromkeys(names[:2]))
    more = f" and {len(names) - 2} more corridors" if len(names) > 2 else ""
    return f"Part {k + 1}: {shown}{more}"


@dataclass(frozen=True)
class PartOutputs:
    """The stage outputs a part page draws."""

    inputs: Inputs
    street: StreetGraph
    spots: Hotspots | None
    corridors: Corridors
    rota: Roster | None


def part_outputs(
    part: Part,
    *,
    inputs: Inputs,
    street: StreetGraph,
    spots: Hotspots | None,
    corridors: Corridors,
    rota: Roster | None,
) -> PartOutputs:
    """
    Return what ``part``'s page draws.

    Its corridors, their loops and patrols, and what lies within :data:`PART_MARGIN_M` of
    them (schools, hubs, hotspots, incidents and streets).
    """
    mine = set(part.corridor_ids)
    cor = corridors.corridors[corridors.corridors["corridor_id"].astype(str).isin(mine)]
    loops = corridors.loops[corridors.loops["corridor_id"].astype(str).isin(mine)]
    area = _extent([cor, loops])
    plan = dataclasses.replace(
        corridors,
        corridors=cor,
        loops=loops,
        segments=_within(corridors.segments, area),
    )
    part_inputs = dataclasses.replace(  # no page draws the raw records: left out (a worker
        inputs,  # process draws the part, and they would travel to it)
        study_area=area,
        schools=_within(inputs.schools, area),
        hubs=_within(inputs.hubs, area),
        incidents=inputs.incidents.iloc[:0],
        rejects=inputs.rejects.iloc[:0],
        homes=None,
    )
    part_spots = (
        dataclasses.replace(
            spots,
            polygons=_within(spots.polygons, area),
            selected=_within(spots.selected, area),
            edge_intensity=spots.edge_intensity.iloc[:0],
        )
        if spots is not None
        else None
    )
    loop_ids = set(loops["loop_id"].astype(str))
    part_rota = rota.of_loops(loop_ids) if rota is not None else None
    edges = _within(_street_edges(street), area)  # one line per street, made once a week
    edges.attrs[STREET_LINES] = True
    part_street = StreetGraph(  # the tables the page draws (a stand-in street may have no more)
        None,
        str(edges.crs),
        gpd.GeoDataFrame(geometry=[], crs=edges.crs),
        edges,
        getattr(street, "source", ""),
        getattr(street, "source_sha256", ""),
    )
    return PartOutputs(part_inputs, part_street, part_spots, plan, part_rota)


def _extent(frames: list[gpd.GeoDataFrame]) -> BaseGeometry:
    """Return the bounding box of ``frames`` grown by :data:`PART_MARGIN_M`."""
    bounds = np.array([f.total_bounds for f in frames if len(f)])
    x0, y0 = bounds[:, :2].min(axis=0) - PART_MARGIN_M
    x1, y1 = bounds[:, 2:].max(axis=0) + PART_MARGIN_M
    return box(float(x0), float(y0), float(x1), float(y1))


def _within(frame: gpd.GeoDataFrame, area: BaseGeometry) -> gpd.GeoDataFrame:
    """Return the rows of ``frame`` whose geometry meets ``area`` (the area's CRS)."""
    if frame is None or not len(frame) or "geometry" not in frame:
        return frame
    hit = np.sort(frame.sindex.query(box(*area.bounds)))  # the index is kept with the frame
    return frame.iloc[hit]
