"""Rebuild the roster stage's fixtures in tests/data/roster/
from the public source data (see tests/data/source_data.py).

Real data: the four secondary schools of Rutland (names, OSM ids and locations from the
2022-07-20 OSM extract) and the after-school-relevant offence counts near each of them from
data.police.uk (Leicestershire Police, Rutland LSOAs, 2021-11 .. 2022-10, within 600 m).
Hand-made: one corridor per school and one or two patrol loops per corridor, drawn as
octagons of radius 250 m around the school (the routes stage builds the real ones).

Run: .venv/bin/python tests/data/make_roster_fixtures.py
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import sys
from collections import Counter
from pathlib import Path

import osmium
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import source_data_root

SHARED = source_data_root()
PBF = SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf"
POLICE = (
    SHARED / "police-uk-leicestershire-rutland-2019-2022" / "leicestershire-street-rutland.csv.gz"
)
OUT = Path(__file__).resolve().parent / "roster"
SCHOOLS = {
    ("w", 101238684): "Catmose College",
    ("w", 181152400): "Uppingham Community College",
    ("w", 181152401): "Uppingham School",
    ("r", 6034079): "Oakham School",
}
KIND = {"w": "way", "r": "relation"}
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def school_points() -> dict[str, tuple[str, float, float]]:
    member_ways: dict[int, tuple[str, int]] = {}
    way_nodes: dict[tuple[str, int], list[int]] = {}
    for o in osmium.FileProcessor(str(PBF), osmium.osm.RELATION):
        if ("r", o.id) in SCHOOLS:
            for m in o.members:
                if m.type == "w":
                    member_ways[m.ref] = ("r", o.id)
    for o in osmium.FileProcessor(str(PBF), osmium.osm.WAY):
        key = ("w", o.id) if ("w", o.id) in SCHOOLS else member_ways.get(o.id)
        if key:
            way_nodes.setdefault(key, []).extend(n.ref for n in o.nodes)
    wanted = {n for ns in way_nodes.values() for n in ns}
    loc = {}
    for o in osmium.FileProcessor(str(PBF), osmium.osm.NODE):
        if o.id in wanted:
            loc[o.id] = (o.location.lon, o.location.lat)
    out = {}
    for key, name in SCHOOLS.items():
        pts = [loc[n] for n in way_nodes[key] if n in loc]
        lon = sum(p[0] for p in pts) / len(pts)
        lat = sum(p[1] for p in pts) / len(pts)
        x, y = TO_BNG.transform(lon, lat)
        out[f"osm:{KIND[key[0]]}/{key[1]}"] = (name, x, y)
    return out


def offences_near(x0: float, y0: float, radius_m: float = 600.0) -> Counter[str]:
    counts: Counter[str] = Counter()
    with gzip.open(POLICE, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not ("2021-11" <= row["Month"] <= "2022-10") or not row["Longitude"]:
                continue
            x, y = TO_BNG.transform(float(row["Longitude"]), float(row["Latitude"]))
            if math.hypot(x - x0, y - y0) <= radius_m:
                counts[row["Crime type"]] += 1
    return counts


def octagon(x: float, y: float, r: float, turn: float = 0.0) -> str:
    pts = [
        (x + r * math.cos(turn + k * math.pi / 4), y + r * math.sin(turn + k * math.pi / 4))
        for k in range(8)
    ]
    pts.append(pts[0])
    return "LINESTRING (" + ", ".join(f"{a:.1f} {b:.1f}" for a, b in pts) + ")"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    schools = school_points()
    cors, loops = [], []
    for i, (sid, (name, x, y)) in enumerate(sorted(schools.items(), key=lambda kv: kv[1][0])):
        counts = offences_near(x, y)
        total = sum(counts.values())
        cid = f"C{i + 1}"
        cors.append(
            {
                "corridor_id": cid,
                "school_ids": sid,
                "school_names": name,
                "risk": float(total),
                "incidents": total,
                "offences": json.dumps(dict(sorted(counts.items())), sort_keys=True),
                "reason": f"{total} incidents within 600 m of {name} (2021-11..2022-10)",
                "patrolled": True,
                "geometry": octagon(x, y, 250.0),
            }
        )
        n_loops = 2 if total >= 150 else 1
        for k in range(n_loops):
            loops.append(
                {
                    "loop_id": f"L{i + 1}{'ab'[k]}",
                    "corridor_id": cid,
                    "school_ids": sid,
                    "meeting_point": f"{name} main gate" if k == 0 else f"{name} bus stop",
                    "meeting_kind": "school" if k == 0 else "hub",
                    "start_time": "15:15" if k == 0 else "16:15",
                    "duration_min": 40,
                    "length_m": round(8 * 2 * 250 * math.sin(math.pi / 8), 1),
                    "risk_covered": round(total / n_loops, 1),
                    "risk_share": 1 / n_loops,
                    "geometry": octagon(x, y, 250.0, turn=0.3 * k),
                }
            )
    for name, rows in (("rutland_corridors.csv", cors), ("rutland_loops.csv", loops)):
        with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(f"wrote {len(cors)} corridors, {len(loops)} loops to {OUT}")


if __name__ == "__main__":
    main()
