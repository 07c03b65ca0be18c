"""Generate a synthetic city as the input files ``corridors plan`` reads (fixed seed).

Run: .venv/bin/python benchmarks/scale_city.py --case borough --out /tmp/borough
     .venv/bin/python benchmarks/scale_city.py --quick --out /tmp/tiny

Writes into ``--out``:

- ``city.osm.pbf`` (pyosmium ``SimpleWriter``, header bounding box set): a jittered street
  grid in the British National Grid area (corners about 80 m apart, jittered by up to 15 m,
  about 14 % of the blocks' sides left out, a bend in every third side), converted to
  lon/lat; one way per run of a row ("Road r", east-west) or column ("Street c"), every tenth
  ``highway=secondary``, the rest ``residential``; ``amenity=school`` objects with names and
  phases (``school=secondary``, ``isced:level=2;3``, ``school=all_through``,
  ``school=sixth_form``; every fourth drawn as its grounds, a closed way); hubs
  (``highway=bus_stop``, one in twenty ``railway=station``); ``landuse=residential`` areas.
- ``police/YYYY-MM/YYYY-MM-synthetic-street.csv``: data.police.uk street-level crime for the
  12 months before the planned week (2022-W45), in the download folder layout: every column
  of the real files, locations snapped to street corners (as police.uk's anonymised snap
  points), 35 % spread over the area and the rest in clusters (half of them at schools).
- ``staff.csv``: the embedded staff layout (``data/staff-example.csv``): people of every
  agency linked to one or two neighbouring schools (some police officers to none).
- ``city.toml``: the config (``data/rutland.toml``'s settings), graph cache and maps inside
  ``--out``.

The cases (:data:`CASES`) are issue 14's: ``borough`` (about 40k street nodes, 100 schools,
100k incidents, 80 people), ``city300`` (about 480k nodes, 300 schools, 1M incidents, 1,000
hubs, 240 people) and ``city1500`` (the same city with 1,500 schools and 1,200 people);
``tiny`` is the smoke size. :func:`scaled` grows or shrinks one at constant density.
Same case and seed: the same files (``case.json`` records both; a folder holding them is
reused by :func:`ensure_city`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pyproj
from scipy.spatial import cKDTree

ORIGIN = (440_000.0, 300_000.0)  # the English Midlands, British National Grid metres
BLOCK_M = 80.0
SEED = 14
WEEK = "2022-W45"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2021, 11), (2021, 12)] + [(2022, k) for k in range(1, 11)]]
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Case:
    """One synthetic city: grid side (corners per row), schools, incidents, hubs, staff."""

    name: str
    side: int
    schools: int
    incidents: int
    hubs: int
    staff: int
    clusters: int


CASES = {
    "tiny": Case("tiny", 40, 4, 2_000, 6, 8, 8),
    "borough": Case("borough", 200, 100, 100_000, 80, 80, 100),
    "city300": Case("city300", 705, 300, 1_000_000, 1_000, 240, 300),
    "city1500": Case("city1500", 705, 1_500, 1_000_000, 1_000, 1_200, 300),
}


def scaled(case: Case, f: float, vary: str = "together", name: str | None = None) -> Case:
    """``case`` with nodes, schools or incidents (``vary``; or all) times ``f``.

    Staff follow the schools, hubs the nodes, incident clusters the incidents; with
    ``together`` the density of everything stays the same (a bigger area).
    """
    nodes = vary in ("together", "nodes")
    schools = vary in ("together", "schools")
    incidents = vary in ("together", "incidents")
    return Case(
        name or f"{case.name}-x{f:g}",
        max(10, round(case.side * math.sqrt(f))) if nodes else case.side,
        max(2, round(case.schools * f)) if schools else case.schools,
        max(500, round(case.incidents * f)) if incidents else case.incidents,
        max(2, round(case.hubs * f)) if nodes else case.hubs,
        max(4, round(case.staff * f)) if schools else case.staff,
        max(4, round(case.clusters * f)) if incidents else case.clusters,
    )


@dataclass
class _Grid:
    """Corner coordinates (BNG and lon/lat) of a jittered ``side`` x ``side`` grid."""

    side: int
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


_TO_LONLAT = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_LONLAT.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _grid(side: int, rng: np.random.Generator) -> _Grid:
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    x = ORIGIN[0] + col * BLOCK_M + rng.uniform(-15, 15, n)
    y = ORIGIN[1] + row * BLOCK_M + rng.uniform(-15, 15, n)
    return _Grid(side, x, y, *_lonlat(x, y))


class _Ids:
    """Node and way ids handed out in order (a PBF lists nodes, then ways, by id)."""

    def __init__(self) -> None:
        self.node = 0
        self.way = 0

    def nodes(self, k: int) -> np.ndarray:
        out = np.arange(self.node + 1, self.node + k + 1, dtype=np.int64)
        self.node += k
        return out

    def next_way(self) -> int:
        self.way += 1
        return self.way


def _streets(
    g: _Grid, rng: np.random.Generator, ids: _Ids
) -> tuple[list[tuple[int, list[int], dict[str, str]]], np.ndarray]:
    """The street ways (id, node ids, tags) and the bend nodes ``(id, lon, lat)`` rows."""
    s = g.side
    corner = np.arange(s * s).reshape(s, s)
    lines = [(f"Road {r}", r, corner[r, :]) for r in range(s)]
    lines += [(f"Street {c}", c, corner[:, c]) for c in range(s)]
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    bends: list[tuple[float, float]] = []
    next_bend = s * s + 1  # bend node ids follow the corners'
    side_no = 0
    for name, k, idx in lines:
        keep = rng.random(s - 1) >= 0.14
        tags = {"highway": "secondary" if k % 10 == 0 else "residential", "name": name}
        if k % 40 == 0:
            tags["ref"] = f"B{4000 + k}"
        run: list[int] = [int(idx[0]) + 1]
        for j in range(s - 1):
            a, b = int(idx[j]), int(idx[j + 1])
            if keep[j]:
                if side_no % 3 == 0:
                    bends.append(((g.x[a] + g.x[b]) / 2 + rng.uniform(-5, 5),
                                  (g.y[a] + g.y[b]) / 2 + rng.uniform(-5, 5)))  # fmt: skip
                    run.append(next_bend)
                    next_bend += 1
                run.append(b + 1)
                side_no += 1
            else:
                if len(run) > 1:
                    ways.append((ids.next_way(), run, tags))
                run = [b + 1]
        if len(run) > 1:
            ways.append((ids.next_way(), run, tags))
    ids.node = next_bend - 1
    bx, by = np.array(bends).reshape(-1, 2).T
    return ways, np.column_stack([*_lonlat(bx, by)])


_KINDS = (  # (probability, name word, phase tags)
    (0.55, "Academy", {"school": "secondary"}),
    (0.20, "High School", {"isced:level": "2;3"}),
    (0.15, "All-Through School", {"school": "all_through"}),
    (0.10, "Sixth Form College", {"school": "sixth_form"}),
)
_STEMS = ("Northfield", "Southgate", "Eastwood", "Westmoor", "Kingsbury", "Queensway",
          "Parkside", "Riverside", "Hillcrest", "Oakfield", "Ashgrove", "Elmhurst")  # fmt: skip


def _schools(g: _Grid, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Schools inside blocks away from the edge: name, tags, x, y (BNG)."""
    margin = min(5, g.side // 8)
    r = rng.integers(margin, g.side - 1 - margin, n)
    c = rng.integers(margin, g.side - 1 - margin, n)
    corner = r * g.side + c
    x = g.x[corner] + BLOCK_M / 2 + rng.uniform(-8, 8, n)
    y = g.y[corner] + BLOCK_M / 2 + rng.uniform(-8, 8, n)
    kind = rng.choice(len(_KINDS), n, p=[k[0] for k in _KINDS])
    names = [f"{_STEMS[i % len(_STEMS)]} {_KINDS[k][1]} {i + 1}" for i, k in enumerate(kind)]
    tags = [
        {"amenity": "school", "name": nm, **_KINDS[k][2]} for nm, k in zip(names, kind, strict=True)
    ]
    return pd.DataFrame({"name": names, "tags": tags, "x": x, "y": y})


def _hubs(g: _Grid, n: int, rng: np.random.Generator) -> list[tuple[float, float, dict[str, str]]]:
    """Bus stops at corners (one in twenty a railway station): lon, lat, tags."""
    corner = rng.choice(g.side * g.side, n, replace=False)
    x, y = g.x[corner] + 12.0, g.y[corner] + 12.0
    lon, lat = _lonlat(x, y)
    out = []
    for i in range(n):
        if i % 20 == 0:
            tags = {"railway": "station", "name": f"Synthetic Station {i + 1}"}
        else:
            tags = {"highway": "bus_stop", "name": f"Stop {i + 1}"}
        out.append((float(lon[i]), float(lat[i]), tags))
    return out


def _squares(cx: np.ndarray, cy: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """The four corners (lon/lat, counter-clockwise) of a square around each centre."""
    dx = np.array([-1, 1, 1, -1]) * half
    dy = np.array([-1, -1, 1, 1]) * half
    return _lonlat((cx[:, None] + dx).ravel(), (cy[:, None] + dy).ravel())


def write_osm(case: Case, path: Path, rng: np.random.Generator) -> tuple[_Grid, pd.DataFrame]:
    """Write the street grid, schools, hubs and residential areas as an OSM PBF file."""
    g = _grid(case.side, rng)
    ids = _Ids()
    ids.nodes(case.side * case.side)
    streets, bends = _streets(g, rng, ids)
    schools = _schools(g, case.schools, rng)
    hubs = _hubs(g, case.hubs, rng)
    tile = 25
    starts = range(0, case.side - tile, tile)
    tiles = [(r, c) for r in starts for c in starts if rng.random() < 0.6]
    school_nodes = ids.nodes(len(schools))
    hub_nodes = ids.nodes(len(hubs))
    grounds = schools.index[schools.index % 4 == 3].to_numpy()
    glon, glat = _squares(schools.x.to_numpy()[grounds], schools.y.to_numpy()[grounds], 50.0)
    ground_nodes = ids.nodes(len(glon))
    tx = np.array([g.x[r * case.side + c] + tile * BLOCK_M / 2 for r, c in tiles])
    ty = np.array([g.y[r * case.side + c] + tile * BLOCK_M / 2 for r, c in tiles])
    llon, llat = _squares(tx, ty, tile * BLOCK_M / 2 - 30)
    land_nodes = ids.nodes(len(llon))
    slon, slat = _lonlat(schools.x.to_numpy(), schools.y.to_numpy())
    header = osmium.io.Header()
    pad = 0.01
    low = osmium.osm.Location(g.lon.min() - pad, g.lat.min() - pad)
    high = osmium.osm.Location(g.lon.max() + pad, g.lat.max() + pad)
    header.add_box(osmium.osm.Box(low, high))
    node = osmium.osm.mutable.Node
    way = osmium.osm.mutable.Way
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as w:
        for i in range(case.side * case.side):
            w.add_node(node(id=i + 1, location=(g.lon[i], g.lat[i])))
        first_bend = case.side * case.side + 1
        for i, (lo, la) in enumerate(bends):
            w.add_node(node(id=first_bend + i, location=(lo, la)))
        drawn = set(grounds.tolist())
        for i, nid in enumerate(school_nodes):
            tags = schools.tags[i] if i not in drawn else {}
            w.add_node(node(id=int(nid), location=(slon[i], slat[i]), tags=tags))
        for nid, (lo, la, tags) in zip(hub_nodes, hubs, strict=True):
            w.add_node(node(id=int(nid), location=(lo, la), tags=tags))
        for nid, lo, la in zip(ground_nodes, glon, glat, strict=True):
            w.add_node(node(id=int(nid), location=(lo, la)))
        for nid, lo, la in zip(land_nodes, llon, llat, strict=True):
            w.add_node(node(id=int(nid), location=(lo, la)))
        for wid, nodes, tags in streets:
            w.add_way(way(id=wid, nodes=nodes, tags=tags))
        for k, i in enumerate(grounds):
            ring = [int(n) for n in ground_nodes[4 * k : 4 * k + 4]]
            w.add_way(way(id=ids.next_way(), nodes=[*ring, ring[0]], tags=schools.tags[i]))
        for k in range(len(tiles)):
            ring = [int(n) for n in land_nodes[4 * k : 4 * k + 4]]
            w.add_way(way(id=ids.next_way(), nodes=[*ring, ring[0]],
                          tags={"landuse": "residential"}))  # fmt: skip
    return g, schools


CRIME_TYPES = {  # share of police.uk street crime, roughly
    "Anti-social behaviour": 0.28, "Violence and sexual offences": 0.30,
    "Criminal damage and arson": 0.07, "Public order": 0.08, "Shoplifting": 0.06,
    "Other theft": 0.05, "Vehicle crime": 0.05, "Burglary": 0.04, "Drugs": 0.025,
    "Robbery": 0.01, "Theft from the person": 0.01, "Bicycle theft": 0.01,
    "Possession of weapons": 0.01, "Other crime": 0.015,
}  # fmt: skip
OUTCOMES = ("Investigation complete; no suspect identified", "Unable to prosecute suspect",
            "Under investigation", "Status update unavailable", "Local resolution")  # fmt: skip


def _incident_points(
    case: Case, g: _Grid, schools: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Corner index of every incident: 35 % spread, the rest in clusters, half at schools."""
    n = case.incidents
    spread = rng.random(n) < 0.35
    at_school = rng.random(case.clusters) < 0.5
    pick = rng.integers(0, len(schools), case.clusters)
    cx = np.where(at_school, schools.x.to_numpy()[pick] + rng.normal(0, 150, case.clusters),
                  rng.uniform(g.x.min(), g.x.max(), case.clusters))  # fmt: skip
    cy = np.where(at_school, schools.y.to_numpy()[pick] + rng.normal(0, 150, case.clusters),
                  rng.uniform(g.y.min(), g.y.max(), case.clusters))  # fmt: skip
    weight = rng.pareto(1.5, case.clusters) + 1
    which = rng.choice(case.clusters, n, p=weight / weight.sum())
    sd = rng.uniform(80, 250, case.clusters)[which]
    x = np.where(spread, rng.uniform(g.x.min(), g.x.max(), n), cx[which] + rng.normal(0, 1, n) * sd)
    y = np.where(spread, rng.uniform(g.y.min(), g.y.max(), n), cy[which] + rng.normal(0, 1, n) * sd)
    x = np.clip(x, g.x.min(), g.x.max())
    y = np.clip(y, g.y.min(), g.y.max())
    _, corner = cKDTree(np.column_stack([g.x, g.y])).query(np.column_stack([x, y]))
    return np.asarray(corner)


def write_incidents(
    case: Case, folder: Path, g: _Grid, schools: pd.DataFrame, rng: np.random.Generator
) -> int:
    """Write the police.uk street CSVs, one per month; return the number of rows."""
    corner = _incident_points(case, g, schools, rng)
    n = len(corner)
    types = np.array(list(CRIME_TYPES))
    p = np.array(list(CRIME_TYPES.values()))
    crime = types[rng.choice(len(types), n, p=p / p.sum())]
    asb = crime == "Anti-social behaviour"
    words = rng.integers(0, 2**63, (n, 4), dtype=np.int64)
    crime_id = np.where(asb, "", [f"{a:016x}{b:016x}{c:016x}{d:016x}" for a, b, c, d in words])
    row, col = np.divmod(corner, g.side)
    along_row = rng.random(n) < 0.5
    street = np.where(along_row, "Road " + row.astype(str), "Street " + col.astype(str))
    lsoa = (row // 12) * 1000 + col // 12
    month = np.array(MONTHS)[rng.integers(0, len(MONTHS), n)]
    frame = pd.DataFrame({
        "Crime ID": crime_id, "Month": month, "Reported by": "Synthetic Police",
        "Falls within": "Synthetic Police", "Longitude": np.round(g.lon[corner], 6),
        "Latitude": np.round(g.lat[corner], 6), "Location": "On or near " + street,
        "LSOA code": [f"E01{900000 + k:06d}" for k in lsoa],
        "LSOA name": [f"Synthetic {k:04d}A" for k in lsoa], "Crime type": crime,
        "Last outcome category": np.where(asb, "", np.array(OUTCOMES)[rng.integers(0, 5, n)]),
        "Context": "",
    })  # fmt: skip
    for m, part in frame.groupby("Month", sort=True):
        out = folder / str(m) / f"{m}-synthetic-street.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(out, index=False, float_format="%.6f")
    return n


AGENCY_MIX = {"police ward officer": 14, "school-linked officer": 8, "PCSO": 12,
              "youth worker": 16, "school staff": 14, "CAMHS worker": 5,
              "volunteer": 11}  # fmt: skip
"""A borough's 80 people by agency (as ``bench_roster.py``), in the staff file's words."""


def write_staff(case: Case, path: Path, schools: pd.DataFrame, rng: np.random.Generator) -> int:
    """Write the staff CSV: people linked to a school and, for most, its nearest neighbour."""
    xy = schools[["x", "y"]].to_numpy()
    _, near = cKDTree(xy).query(xy, k=min(2, len(xy)))
    near = near.reshape(len(xy), -1)
    total = sum(AGENCY_MIX.values())
    agencies = [a for a, k in AGENCY_MIX.items() for _ in range(k)]
    rows = []
    for n in range(case.staff):
        agency = agencies[(n * total // max(case.staff, 1)) % total] if case.staff < total else (
            agencies[n % total])  # fmt: skip
        home = int(rng.integers(0, len(schools)))
        linked = [home] + ([int(near[home, -1])] if rng.random() < 0.6 else [])
        if agency == "police ward officer" and n % 4 == 0:
            linked = []
        days = rng.choice(["Mon-Fri", "Mon-Fri", "Mon-Thu", "Tue-Fri", "Mon/Wed/Fri"])
        start = rng.choice(["15:00", "15:00", "15:30", "16:00"])
        rows.append({
            "person_id": f"P{n + 1:04d}", "name": f"Example {agency.title()} {n + 1}",
            "agency": agency, "schools": ";".join(dict.fromkeys(schools.name[i] for i in linked)),
            "availability": f"{days} {start}-18:00", "absences": "",
            "max_hours_week": int(rng.choice([4, 6, 8, 10])),
            "with_police": "no" if agency == "youth worker" and n % 5 == 0 else "yes",
        })  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# SYNTHETIC STAFF for the scale benchmark: every person is made up.\n")
        pd.DataFrame(rows).to_csv(f, index=False)
    return len(rows)


CONFIG = """\
# Synthetic city for the scale benchmark (benchmarks/scale_city.py): {case}
[area]
name = "scale-{slug}"
crs = "EPSG:27700"
timezone = "Europe/London"
week = "{week}"
lookback_weeks = 52

[window]
start = "15:00"
end = "18:00"
weekdays = [0, 1, 2, 3, 4]

[graph]
osm_file = "city.osm.pbf"
cache_dir = "cache"

[[schools]]
path = "city.osm.pbf"
format = "osm"

[[hubs]]
path = "city.osm.pbf"
format = "osm"

[[incidents]]
path = "police"
format = "police-street"

[hotspots]
method = "kde"
bandwidth_m = 150.0

[corridors]
phases = ["secondary", "all-through", "16 plus", "middle deemed secondary"]
min_incidents = 5

[roster]
staff = "staff.csv"

[maps]
out_dir = "maps"
min_shared_count = 10
contact = "Synthetic Neighbourhood Policing Team, 101 (non-emergency)"
"""


def write_city(case: Case, out: Path, seed: int = SEED) -> Path:
    """Write every input file of ``case`` into ``out``; return the config's path."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    g, schools = write_osm(case, out / "city.osm.pbf", rng)
    write_incidents(case, out / "police", g, schools, rng)
    write_staff(case, out / "staff.csv", schools, rng)
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in case.name.lower())
    cfg = out / "city.toml"
    cfg.write_text(CONFIG.format(case=case, slug=slug, week=WEEK), encoding="utf-8")
    (out / "case.json").write_text(json.dumps(_stamp(case, seed)), encoding="utf-8")
    return cfg


def _stamp(case: Case, seed: int) -> dict[str, object]:
    return {"case": dataclasses.asdict(case), "seed": seed, "version": GENERATOR_VERSION}


def ensure_city(case: Case, out: Path, seed: int = SEED) -> tuple[Path, bool]:
    """The config of ``case`` in ``out``, written unless ``out`` already holds it; written?"""
    stamp = out / "case.json"
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == _stamp(case, seed):
        return out / "city.toml", False
    return write_city(case, out, seed), True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="borough")
    parser.add_argument("--quick", action="store_true", help="the tiny case")
    parser.add_argument("--scale", type=float, default=1.0, help="grow the case (constant density)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    case = CASES["tiny" if args.quick else args.case]
    if args.scale != 1.0:
        case = scaled(case, args.scale)
    cfg = write_city(case, args.out, args.seed)
    print(f"{case}\nwrote {cfg}")


if __name__ == "__main__":
    main()
