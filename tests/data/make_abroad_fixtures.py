"""Rebuild the "city abroad" fixtures in ``tests/data/abroad/``
from the public source data (see tests/data/source_data.py).

A real street network and real incidents, moved to the United States and written the way a
team there would have them, for the first-run test (tests/test_abroad.py):

- ``north-philly-2022-07-20.osm.bz2``: the Rutland OSM extract (Geofabrik, 2022-07-20, ODbL,
  (c) OpenStreetMap contributors) clipped to central Oakham (lon -0.752..-0.700,
  lat 52.659..52.685: every node in the box, every way with a node in the box, complete,
  and the ``amenity=school`` relations touching it), then moved to North Philadelphia
  (the clip's centre lands at lon -75.150, lat 40.005) by :func:`move`. Schools are renamed
  and re-tagged as OSM in the US often has them (``amenity=school`` + ``name``, no
  ``isced:level``/``school:*``/age tags); one school building becomes an ``amenity=college``
  "Community College"; British reference and address tags are dropped. Written as OSM XML.
- ``crime-incidents-2021-2022.csv``: the data.police.uk street-level crimes (Leicestershire
  Police, OGL v3) in the same box, 2021-11 .. 2022-10, moved the same way, in a US city
  open-data layout (``INCIDENT_ID, YEAR, MONTH, DAY, HOUR, MINUTE, OFFENSE, BLOCK, LATITUDE,
  LONGITUDE``) with US offence names. data.police.uk gives the month only: the DAY, HOUR and
  MINUTE are synthetic, drawn deterministically from a hash of each row (about half on
  weekdays 15:00-17:55 local time, the rest spread over every day and hour).

Run from the repository root: ``.venv/bin/python tests/data/make_abroad_fixtures.py``.
Deterministic: the same source data give the same bytes.
"""

from __future__ import annotations

import bz2
import calendar
import csv
import datetime as dt
import hashlib
import io
import math
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import osmium
import pandas as pd
import pyproj

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import osm_clip_ids, source_data_root

HERE = Path(__file__).resolve().parent / "abroad"
SHARED = source_data_root()
PBF = SHARED / "osm-uk-rutland-2022" / "rutland-2022-07-20.osm.pbf"
POLICE = (
    SHARED / "police-uk-leicestershire-rutland-2019-2022" / "leicestershire-street-rutland.csv.gz"
)
OSM_OUT = "north-philly-2022-07-20.osm.bz2"
CSV_OUT = "crime-incidents-2021-2022.csv"

# the clip (central Oakham, Rutland) and where its centre lands (North Philadelphia, on land:
# between Broad Street and the Delaware, well east of the Schuylkill)
WEST, EAST, SOUTH, NORTH = -0.752, -0.700, 52.659, 52.685
FROM_LON, FROM_LAT = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
TO_LON, TO_LAT = -75.150, 40.005
# A pure lon/lat shift from 52.7 N to 40.0 N would stretch every east-west distance by
# cos(52.7)/cos(40.0) = 1.26 (a degree of longitude is longer further south); scaling the
# longitude offsets from the centre by that ratio keeps the shape (checked in check_shape).
LON_SCALE = math.cos(math.radians(FROM_LAT)) / math.cos(math.radians(TO_LAT))
ZONE = ZoneInfo("America/New_York")
MONTHS = ("2021-11", "2022-10")

# schools of the clip, renamed and tagged as OSM in the US often has them
SCHOOLS = {
    ("w", 3700149): ("school", "Lincoln Elementary School"),  # Catmose Primary School
    ("w", 3707307): ("school", "Washington Elementary School"),  # Oakham CofE Primary
    ("w", 453817038): ("school", "Jefferson Elementary School"),  # Brooke Hill Academy
    ("w", 452265497): ("school", "St. Joseph School"),  # English Martyrs' RC Primary
    ("w", 189611631): ("school", "Roosevelt Middle School"),  # Brooke Priory School
    ("w", 101238684): ("school", "Central High School"),  # Catmose College
    ("r", 6034079): ("school", "Benjamin Franklin High School"),  # Oakham School
    ("w", 90146139): ("college", "Northside Community College"),  # Hodges (a school house)
}
SCHOOL_KEEP = ("amenity", "name", "building", "type")  # every other tag of a school dropped
# British reference and address tags, dropped from every object
DROP_PREFIXES = (
    "addr:", "fhrs:", "naptan:", "ref:edubase", "ref:GB", "is_in", "source:addr", "postal_code",
)  # fmt: skip

# data.police.uk "Crime type" -> a US open-data offence name; Anti-social behaviour (not a
# crime in US incident data, and without a Crime ID) is left out
OFFENSES = {
    "Violence and sexual offences": "AGGRAVATED ASSAULT",
    "Robbery": "ROBBERY",
    "Possession of weapons": "WEAPONS VIOLATION",
    "Drugs": "NARCOTICS",
    "Theft from the person": "THEFT FROM PERSON",
    "Other theft": "THEFT",
    "Bicycle theft": "THEFT",
    "Shoplifting": "RETAIL THEFT",
    "Vehicle crime": "THEFT FROM VEHICLE",
    "Burglary": "BURGLARY",
    "Criminal damage and arson": "VANDALISM",
    "Public order": "DISORDERLY CONDUCT",
    "Other crime": "ALL OTHER OFFENSES",
}


def move(lon: float, lat: float) -> tuple[float, float]:
    """A point of the clip -> its place in North Philadelphia (shape kept, see LON_SCALE)."""
    return TO_LON + (lon - FROM_LON) * LON_SCALE, TO_LAT + (lat - FROM_LAT)


def _inside(lon: float, lat: float) -> bool:
    return WEST <= lon <= EAST and SOUTH <= lat <= NORTH


def check_shape() -> float:
    """The largest relative change of a distance between clip corners and centre."""
    geod = pyproj.Geod(ellps="WGS84")
    points = [(x, y) for x in (WEST, FROM_LON, EAST) for y in (SOUTH, FROM_LAT, NORTH)]
    worst = 0.0
    for i, a in enumerate(points):
        for b in points[i + 1 :]:
            before = geod.inv(a[0], a[1], b[0], b[1])[2]
            (ax, ay), (bx, by) = move(*a), move(*b)
            after = geod.inv(ax, ay, bx, by)[2]
            worst = max(worst, abs(after / before - 1))
    assert worst < 0.01, worst
    return worst


def _tags(kind: str, oid: int, tags: osmium.osm.TagList) -> list[tuple[str, str]]:
    school = SCHOOLS.get((kind, oid))
    if school is None and tags.get("amenity") in ("school", "college", "university"):
        raise SystemExit(f"{kind}/{oid} {dict(tags)}: a school of the clip not in SCHOOLS")
    if school is not None:
        amenity, name = school
        kept = {t.k: t.v for t in tags if t.k in SCHOOL_KEEP}
        kept.update(amenity=amenity, name=name)
        return sorted(kept.items())
    return [(t.k, t.v) for t in tags if not t.k.startswith(DROP_PREFIXES)]


def _tag_xml(tags: list[tuple[str, str]]) -> str:
    return "".join(f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in tags)


def _meta(obj: osmium.osm.OSMObject) -> str:
    stamp = obj.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'id="{obj.id}" version="{obj.version}" timestamp="{stamp}"'


def clip_osm(out: Path) -> dict[str, int]:
    need, ways, relations = osm_clip_ids(PBF, _inside)
    (west, south), (east, north) = move(WEST, SOUTH), move(EAST, NORTH)
    text = io.StringIO()
    text.write("<?xml version='1.0' encoding='UTF-8'?>\n")
    text.write(
        '<osm version="0.6" generator="tests/data/make_abroad_fixtures.py (from Geofabrik '
        'rutland 2022-07-20, moved to Philadelphia)">\n'
    )
    text.write(
        f'  <bounds minlat="{south:.7f}" minlon="{west:.7f}" '
        f'maxlat="{north:.7f}" maxlon="{east:.7f}"/>\n'
    )
    counts = {"nodes": 0, "ways": 0, "relations": 0}
    renamed: set[tuple[str, int]] = set()
    for obj in osmium.FileProcessor(str(PBF)):
        if obj.is_node() and obj.id in need:
            lon, lat = move(obj.location.lon, obj.location.lat)
            tags = _tags("n", obj.id, obj.tags)
            head = f'  <node {_meta(obj)} lat="{lat:.7f}" lon="{lon:.7f}"'
            text.write(f"{head}>\n{_tag_xml(tags)}  </node>\n" if tags else f"{head}/>\n")
            counts["nodes"] += 1
        elif obj.is_way() and obj.id in ways:
            body = "".join(f'    <nd ref="{n.ref}"/>\n' for n in obj.nodes)
            tags = _tags("w", obj.id, obj.tags)
            text.write(f"  <way {_meta(obj)}>\n{body}{_tag_xml(tags)}  </way>\n")
            renamed |= {("w", obj.id)} & SCHOOLS.keys()
            counts["ways"] += 1
        elif obj.is_relation() and obj.id in relations:
            body = "".join(
                f"    <member type={quoteattr({'n': 'node', 'w': 'way', 'r': 'relation'}[m.type])}"
                f' ref="{m.ref}" role={quoteattr(m.role)}/>\n'
                for m in obj.members
            )
            tags = _tags("r", obj.id, obj.tags)
            text.write(f"  <relation {_meta(obj)}>\n{body}{_tag_xml(tags)}  </relation>\n")
            renamed |= {("r", obj.id)} & SCHOOLS.keys()
            counts["relations"] += 1
    text.write("</osm>\n")
    assert renamed == set(SCHOOLS), set(SCHOOLS) - renamed
    out.write_bytes(bz2.compress(text.getvalue().encode("utf-8"), 9))
    return counts


def _draw(key: str) -> tuple[float, int, int, int]:
    """Four deterministic draws from a row's key: u in [0, 1) and three integers."""
    h = hashlib.sha256(key.encode("utf-8")).digest()
    u = int.from_bytes(h[:4], "big") / 2**32
    return u, int.from_bytes(h[4:8], "big"), int.from_bytes(h[8:12], "big"), h[12]


def _when(month: str, key: str) -> dt.datetime:
    """A synthetic local day and time in ``month`` (data.police.uk gives the month only)."""
    year, mon = (int(p) for p in month.split("-"))
    ndays = calendar.monthrange(year, mon)[1]
    days = [dt.date(year, mon, d) for d in range(1, ndays + 1)]
    u, a, b, c = _draw(key)
    if u < 0.5:  # after school: a weekday, 15:00-17:55
        weekdays = [d for d in days if d.weekday() < 5]
        day = weekdays[a % len(weekdays)]
        hour = 15 + b % 3
    else:  # any day, any hour
        day = days[a % len(days)]
        hour = b % 24
    minute = 5 * (c % 12)
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
    if local.astimezone(dt.UTC).astimezone(ZONE).replace(tzinfo=None) != local.replace(tzinfo=None):
        local += dt.timedelta(hours=1)  # 02:xx on the spring-forward Sunday does not exist
    return local


def incidents(out: Path) -> dict[str, int]:
    frame = pd.read_csv(POLICE, dtype=str, keep_default_na=False)
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    keep = lon.between(WEST, EAST) & lat.between(SOUTH, NORTH)
    keep &= frame["Month"].between(*MONTHS)
    keep &= frame["Crime type"].isin(OFFENSES.keys())
    rows = []
    for line, row in frame[keep].iterrows():
        when = _when(row["Month"], f"{row['Crime ID']}:{line}")
        x, y = move(float(row["Longitude"]), float(row["Latitude"]))
        block = row["Location"].removeprefix("On or near ").upper()
        rows.append(
            {
                "when": when,
                "YEAR": when.year,
                "MONTH": when.month,
                "DAY": when.day,
                "HOUR": when.hour,
                "MINUTE": when.minute,
                "OFFENSE": OFFENSES[row["Crime type"]],
                "BLOCK": block,
                "LATITUDE": f"{y:.6f}",
                "LONGITUDE": f"{x:.6f}",
                "_line": line,
            }
        )
    rows.sort(key=lambda r: (r["when"], r["_line"]))
    seq: dict[int, int] = {}
    text = io.StringIO()
    header = ["INCIDENT_ID", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "OFFENSE", "BLOCK",
              "LATITUDE", "LONGITUDE"]  # fmt: skip
    writer = csv.DictWriter(text, header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        seq[r["YEAR"]] = seq.get(r["YEAR"], 0) + 1
        r["INCIDENT_ID"] = f"{r['YEAR']}{seq[r['YEAR']]:06d}"
        writer.writerow(r)
    out.write_bytes(text.getvalue().encode("utf-8"))
    window = sum(r["when"].weekday() < 5 and 15 <= r["when"].hour < 18 for r in rows)
    at_1530 = sum((r["HOUR"], r["MINUTE"]) == (15, 30) for r in rows)
    assert at_1530, "no incident at 15:30: the test needs one"
    return {"rows": len(rows), "weekdays 15:00-18:00": window, "at 15:30": at_1530}


if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    print(f"shape: distances change by at most {check_shape():.3%}")
    print(OSM_OUT, clip_osm(HERE / OSM_OUT))
    print(CSV_OUT, incidents(HERE / CSV_OUT))
    for path in sorted(HERE.iterdir()):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
