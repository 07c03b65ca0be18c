"""Write ``tiny.osm``: a hand-made OSM XML street grid in England for the graph and routes tests.

README: a 7 x 7 grid of streets (600 m x 600 m, 100 m blocks, nodes laid out exactly on the
British National Grid, EPSG:27700, origin E 450000 N 250000, then converted to WGS84). Row
streets run west-east, column streets south-north; every street is one named way
(``highway=residential``), except "High Street" (row 3, the middle, ``highway=tertiary``),
which also runs 100 m past the east edge over a level crossing to a dead end by the station.

What is in it (ids are fixed; grid node id = 1000 + 10 * row + col, row 0 = south, col 0 = west):

- row streets (west -> east), rows 0..6: Mill Lane, Church Road, Park Road, High Street,
  Station Road, King Street, Queen Street (way ids 100..106);
- column streets (south -> north), cols 0..6: West Street, Orchard Way, Elm Grove,
  Market Street, Cedar Avenue, Birch Road, East Street (way ids 200..206);
- way 301: a separately drawn pavement (``highway=footway`` + ``footway=sidewalk``, no name)
  6 m north of High Street along the block between Elm Grove and Market Street (nodes
  2001-2002-2003; 2001 and 2003 are on Elm Grove and Market Street);
- way 302: an unnamed footway (not a sidewalk) from Station Road (node 2011) to King Street
  (node 2012) through the middle of the block between Cedar Avenue and Birch Road;
- way 401: ``railway=rail`` running south-north at E+650, crossing High Street at the
  level-crossing node 2021 (shared with High Street): must NOT become walkable edges;
- way 402: ``highway=motorway`` "M99" 150 m west of the grid (not connected): NOT walkable;
- way 403: "Bypass Link" ``highway=unclassified`` + ``foot=no`` diagonal from node 1005 to
  node 1016 (connected to the grid): NOT walkable;
- ways 501..504: ``building=house`` squares (10 m) inside four blocks: not streets;
- nodes: ``amenity=school`` "North Academy" (3021, north of High Street, ``isced:level=2;3``)
  and "South College" (3022, south of High Street, ``isced:level=2``, ``school=secondary``);
  ``railway=station`` "Tiny Parade" (3001, east of the railway by High Street);
  ``highway=bus_stop`` "High Street West" (3011) and "Station Road East" (3012), both
  standalone nodes beside the street.

The walking graph (simplified, largest component) has 54 nodes and 91 street segments
(182 directed edges), about 8.7 km of street: 4.3 km of row streets, 4.2 km of column
streets, 100 m of pavement and 100 m of footway.

Run ``python tests/data/graph/make_tiny_osm.py`` to rewrite ``tiny.osm`` next to this script.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from pyproj import Transformer

E0, N0 = 450_000.0, 250_000.0
ROWS = [
    "Mill Lane",
    "Church Road",
    "Park Road",
    "High Street",
    "Station Road",
    "King Street",
    "Queen Street",
]
COLS = [
    "West Street",
    "Orchard Way",
    "Elm Grove",
    "Market Street",
    "Cedar Avenue",
    "Birch Road",
    "East Street",
]


def grid(r: int, c: int) -> int:
    return 1000 + 10 * r + c


def main(out: Path | None = None) -> Path:
    out = out or Path(__file__).with_name("tiny.osm")
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    nodes: dict[int, tuple[float, float, dict[str, str]]] = {}

    def node(nid: int, de: float, dn: float, **tags: str) -> int:
        nodes[nid] = (E0 + de, N0 + dn, {k.replace("__", ":"): v for k, v in tags.items()})
        return nid

    for r in range(7):
        for c in range(7):
            node(grid(r, c), 100.0 * c, 100.0 * r)
    node(2001, 200, 306)
    node(2002, 250, 306)
    node(2003, 300, 306)
    node(2011, 450, 400)
    node(2012, 450, 500)
    node(2021, 650, 300, railway="level_crossing")
    node(2022, 700, 300)
    node(2031, 650, -100)
    node(2032, 650, 700)
    node(2041, -150, -100)
    node(2042, -150, 300)
    node(2043, -150, 700)
    node(3001, 680, 320, railway="station", public_transport="station", name="Tiny Parade")
    node(
        3011,
        100,
        292,
        highway="bus_stop",
        public_transport="platform",
        bus="yes",
        name="High Street West",
    )
    node(
        3012,
        500,
        408,
        highway="bus_stop",
        public_transport="platform",
        bus="yes",
        name="Station Road East",
    )
    node(3021, 350, 450, amenity="school", name="North Academy", isced__level="2;3")
    node(
        3022, 250, 150, amenity="school", name="South College", isced__level="2", school="secondary"
    )
    houses = [(120, 120), (420, 120), (120, 520), (520, 620 - 80)]
    for i, (de, dn) in enumerate(houses):
        for j, (a, b) in enumerate([(0, 0), (10, 0), (10, 10), (0, 10)]):
            node(5000 + 10 * i + j, de + a, dn + b)

    ways: list[tuple[int, list[int], dict[str, str]]] = []
    for r, name in enumerate(ROWS):
        refs = [grid(r, c) for c in range(7)]
        if r == 4:
            refs.insert(5, 2011)
        if r == 5:
            refs.insert(5, 2012)
        tags = {"highway": "residential", "name": name}
        if r == 3:
            refs += [2021, 2022]
            tags = {"highway": "tertiary", "name": name, "sidewalk": "both"}
        ways.append((100 + r, refs, tags))
    for c, name in enumerate(COLS):
        refs = [grid(r, c) for r in range(7)]
        if c in (2, 3):
            refs.insert(4, 2001 if c == 2 else 2003)
        ways.append((200 + c, refs, {"highway": "residential", "name": name}))
    ways.append((301, [2001, 2002, 2003], {"highway": "footway", "footway": "sidewalk"}))
    ways.append((302, [2011, 2012], {"highway": "footway"}))
    ways.append((401, [2031, 2021, 2032], {"railway": "rail", "name": "Tiny Line"}))
    ways.append((402, [2041, 2042, 2043], {"highway": "motorway", "ref": "M99", "oneway": "yes"}))
    ways.append(
        (
            403,
            [grid(0, 5), grid(1, 6)],
            {"highway": "unclassified", "name": "Bypass Link", "foot": "no"},
        )
    )
    for i in range(len(houses)):
        ring = [5000 + 10 * i + j for j in range(4)]
        ways.append((501 + i, [*ring, ring[0]], {"building": "house"}))

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="make_tiny_osm.py">',
    ]
    for nid in sorted(nodes):
        e, n, tags = nodes[nid]
        lon, lat = to_wgs84.transform(e, n)
        head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if tags:
            lines.append(head + ">")
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </node>")
        else:
            lines.append(head + "/>")
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    print(main())
