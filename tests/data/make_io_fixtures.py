"""Rebuild the load-stage fixtures in tests/data/io/
from the real data in the public source data (see tests/data/source_data.py).

Run from the repository root: ``.venv/bin/python tests/data/make_io_fixtures.py``.
Only this script reads the source data; the tests read only tests/data/io.
Every clip keeps the original line text (no re-quoting), so the files stay in the published
layouts. Deterministic: no randomness.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_data import source_data_root

SHARED = source_data_root()
OUT = Path(__file__).resolve().parent / "io"


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def _write(path: Path, lines: list[str], *, gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(lines).encode("utf-8")
    if gz:
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)


def rutland_street() -> None:
    """Two months (2022-06, 2022-07) of Leicestershire Police rows in Rutland."""
    lines = _lines(
        SHARED / "police-uk-leicestershire-rutland-2019-2022/leicestershire-street-rutland.csv.gz"
    )
    keep = [ln for ln in lines[1:] if ln.split(",")[1] in ("2022-06", "2022-07")]
    _write(OUT / "rutland-street-2m.csv", [lines[0], *keep])


def city_of_london() -> None:
    """Three months in the download folder layout, cut to 60 rows each (ASB, no-location and
    duplicate-ID rows included); the third month gzipped."""
    root = SHARED / "police-uk-city-of-london-2014-2017"
    for i, month in enumerate(("2014-09", "2014-10", "2014-11")):
        src = root / month / f"{month}-city-of-london-street.csv"
        lines = _lines(src)
        rows = lines[1:]
        pick = set(range(40))
        pick |= {j for j, ln in enumerate(rows) if "Anti-social behaviour" in ln}
        asb = sorted(j for j, ln in enumerate(rows) if "Anti-social behaviour" in ln)[:8]
        nolo = [j for j, ln in enumerate(rows) if ln.split(",")[4] == ""][:5]
        ids: dict[str, list[int]] = {}
        for j, ln in enumerate(rows):
            cid = ln.split(",")[0]
            if cid:
                ids.setdefault(cid, []).append(j)
        dups = [j for js in ids.values() if len(js) > 1 for j in js][:4]
        pick = set(range(40)) | set(asb) | set(nolo) | set(dups)
        out = [lines[0], *(rows[j] for j in sorted(pick))]
        name = f"{month}-city-of-london-street.csv"
        target = OUT / "city-of-london" / month / (name + (".gz" if i == 2 else ""))
        _write(target, out, gz=i == 2)


def hackney_stop_search() -> None:
    """About 200 Hackney stop-and-search rows, incl. rows with an empty Object of search."""
    lines = _lines(SHARED / "police-uk-met-hackney/met-stop-and-search-hackney.csv.gz")
    rows = lines[1:]
    empty_obj = [j for j, ln in enumerate(rows) if ln.split(",")[11] == ""][:3]
    pick = sorted(set(range(195)) | set(empty_obj))
    _write(OUT / "hackney-stop-search.csv", [lines[0], *(rows[j] for j in pick)])


def edubase() -> None:
    """50 EduBase rows and their row-aligned geocodes (incl. the one without X/Y)."""
    lines = _lines(SHARED / "schools-edubase-2017-subset/schools_to_geocode.csv.gz")
    geo = _lines(SHARED / "schools-edubase-2017-subset/geocoded_schools.csv")
    start = 2840  # 0-based data row; rows 2840..2889 include the empty geocode (row 2861)
    _write(OUT / "edubase-schools.csv", [lines[0], *lines[1 + start : 1 + start + 50]])
    _write(OUT / "edubase-geocodes.csv", [geo[0], *geo[1 + start : 1 + start + 50]])


def gias() -> None:
    """A hand-built GIAS edubasealldata file: 140 columns, cp1252, dd-mm-yyyy.

    Names, URNs, phases and coordinates are real EduBase rows (London, July 2017); status,
    open/close dates and the typographic apostrophe are set here to exercise the loader.
    """
    layout = (SHARED / "gias-layout.md").read_text(encoding="utf-8")
    columns = [
        line.split("`")[1]
        for line in layout.splitlines()
        if line[:1].isdigit() and "`" in line and line.split(".")[0].isdigit()
    ]
    assert len(columns) == 140, len(columns)
    schools = pd.read_csv(
        SHARED / "schools-edubase-2017-subset/schools_to_geocode.csv.gz",
        dtype=str,
        keep_default_na=False,
    )
    geo = pd.read_csv(
        SHARED / "schools-edubase-2017-subset/geocoded_schools.csv",
        dtype=str,
        keep_default_na=False,
    )
    schools["X"], schools["Y"] = geo["X"], geo["Y"]
    hackney = schools[schools["Local authority (name)"].isin(["Hackney"]) & (schools["X"] != "")]
    rows = hackney.head(10).reset_index(drop=True)
    table = pd.DataFrame("", index=range(len(rows)), columns=columns)
    table["URN"] = rows["URN"]
    table["LA (code)"] = rows["Local authority (code)"]
    table["LA (name)"] = rows["Local authority (name)"]
    table["EstablishmentNumber"] = rows["Establishment number"]
    table["EstablishmentName"] = rows["Establishment name"]
    table["TypeOfEstablishment (name)"] = rows["Type of establishment"]
    table["PhaseOfEducation (name)"] = rows["Phase of education"]
    table["StatutoryLowAge"] = rows["Statutory lowest age"]
    table["StatutoryHighAge"] = rows["Statutory highest age"]
    table["Street"] = rows["Street"].replace("NA", "")
    table["Town"] = rows["Town"]
    table["Postcode"] = rows["Postcode"]
    table["Easting"] = rows["X"].astype(float).round().astype(int).astype(str)
    table["Northing"] = rows["Y"].astype(float).round().astype(int).astype(str)
    table["EstablishmentStatus (code)"] = "1"
    table["EstablishmentStatus (name)"] = "Open"
    table["OpenDate"] = "01-09-2010"
    table["LastChangedDate"] = "29-01-2024"
    table["Country (name)"] = "United Kingdom"
    # closed schools, with a close date
    for i in (2, 5):
        table.loc[i, "EstablishmentStatus (code)"] = "2"
        table.loc[i, "EstablishmentStatus (name)"] = "Closed"
        table.loc[i, "CloseDate"] = "31-08-2019"
    table.loc[7, "EstablishmentStatus (name)"] = "Open, but proposed to close"
    table.loc[8, "Easting"] = ""  # an empty Easting
    table.loc[0, "EstablishmentName"] = "St Mary\u2019s Hackney Test Primary School"
    table.loc[0, "PhaseOfEducation (name)"] = "Primary"
    (OUT / "gias-fixture.csv").write_bytes(table.to_csv(index=False).encode("cp1252"))


def geo_files() -> None:
    """A GeoJSON of schools (EPSG:4326) and a GeoPackage of incidents (EPSG:27700)."""
    ed = pd.read_csv(OUT / "edubase-schools.csv", dtype=str, keep_default_na=False)
    xy = pd.read_csv(OUT / "edubase-geocodes.csv", dtype=str, keep_default_na=False)
    ok = ~xy["X"].isin(["", "NaN", "NA"])
    gdf = (
        gpd.GeoDataFrame(
            {
                "id": ed["URN"][ok],
                "name": ed["Establishment name"][ok],
                "phase": ed["Phase of education"][ok],
            },
            geometry=gpd.points_from_xy(xy["X"][ok].astype(float), xy["Y"][ok].astype(float)),
            crs="EPSG:27700",
        )
        .head(12)
        .to_crs("EPSG:4326")
    )
    path = OUT / "schools.geojson"
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON")
    inc = pd.read_csv(OUT / "rutland-street-2m.csv", dtype=str, keep_default_na=False).head(40)
    gi = gpd.GeoDataFrame(
        {"incident_id": inc["Crime ID"], "offence": inc["Crime type"], "month": inc["Month"]},
        geometry=gpd.points_from_xy(inc["Longitude"].astype(float), inc["Latitude"].astype(float)),
        crs="EPSG:4326",
    ).to_crs("EPSG:27700")
    path = OUT / "incidents.gpkg"
    path.unlink(missing_ok=True)
    gi.to_file(path, driver="GPKG", layer="incidents")


def osm_clips() -> None:
    """The St George's Circus file clipped around its schools (ways keep references to nodes
    outside the clip, as in real extracts), and the unsorted Leeds export clipped the same way."""
    for src, dst, bbox in (
        (
            SHARED / "osm-london-st-georges-circus-2024/london-st-georges-circus-2024.osm.bz2",
            OUT / "st-georges-circus.osm.bz2",
            (-0.1075, 51.4940, -0.0995, 51.4990),
        ),
        (
            SHARED / "osm-uk-leeds-chapeltown-2014/leeds-chapeltown-2014.osm.bz2",
            OUT / "leeds-chapeltown.osm.bz2",
            (-1.545, 53.806, -1.525, 53.815),
        ),
    ):
        west, south, east, north = bbox
        nodes = set()
        for n in osmium.FileProcessor(str(src), osmium.osm.NODE):
            if west <= n.lon <= east and south <= n.lat <= north:
                nodes.add(n.id)
        ways = set()
        for w in osmium.FileProcessor(str(src), osmium.osm.WAY):
            if any(r.ref in nodes for r in w.nodes):
                ways.add(w.id)
        dst.unlink(missing_ok=True)
        with osmium.SimpleWriter(str(dst)) as writer:
            for o in osmium.FileProcessor(str(src)):
                if o.is_node() and o.id in nodes:
                    writer.add_node(o)
                elif o.is_way() and o.id in ways:
                    writer.add_way(o)
                elif o.is_relation() and any(
                    (m.type == "w" and m.ref in ways) or (m.type == "n" and m.ref in nodes)
                    for m in o.members
                ):
                    writer.add_relation(o)


def spreadsheet_resave() -> None:
    """The Hackney rows of the Met's 2025-02 street file as a spreadsheet re-saves them: a
    UTF-8 byte order mark, CRLF line ends and the Month cell shown as ``Feb-25``."""
    lines = _lines(SHARED / "police-uk-met-hackney/2025-02-metropolitan-street.csv.gz")
    rows = [ln for ln in lines[1:] if ln.split(",")[8].startswith("Hackney ")]
    assert all(ln.split(",")[1] == "2025-02" for ln in rows)
    out = [lines[0], *(ln.replace(",2025-02,", ",Feb-25,", 1) for ln in rows)]
    text = "".join(ln.rstrip("\r\n") + "\r\n" for ln in out)
    path = OUT / "spreadsheet" / "2025-02-metropolitan-street-hackney.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def hackney_boundary() -> None:
    """The London Borough of Hackney (its 2021 LSOAs dissolved), simplified to 25 m."""
    lsoa = gpd.read_file(SHARED / "boundaries-london-lsoa21/Hackney.shp")
    outline = lsoa.dissolve().geometry.simplify(25).to_frame()
    path = OUT / "hackney-boundary.geojson"
    path.unlink(missing_ok=True)
    outline.to_file(path, driver="GeoJSON")


def bad_files() -> None:
    """Files that cannot be used at all."""
    bad = OUT / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    street = _lines(OUT / "rutland-street-2m.csv")
    (bad / "empty.csv").write_bytes(b"")
    header = street[0].replace("Longitude,", "")
    rows = [",".join(ln.split(",")[:4] + ln.split(",")[5:]) for ln in street[1:6]]
    _write(bad / "missing-column.csv", [header, *rows])
    (bad / "page.csv").write_text(
        "<!DOCTYPE html>\n<html><head><title>data.police.uk</title></head>"
        "<body>Your download is being prepared</body></html>\n",
        encoding="utf-8",
    )
    text = "".join(street[:6]).replace("On or near", "On or near St Mary\u2019s", 1)
    (bad / "cp1252.csv").write_bytes(text.encode("cp1252"))
    (bad / "binary.csv").write_bytes(bytes(range(256)) * 8)
    zipped = bad / "download.csv"
    import zipfile

    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("2022-07/2022-07-leicestershire-street.csv", "".join(street[:6]))
    (bad / "not-osm.osm").write_text("this is not OSM data\n", encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rutland_street()
    city_of_london()
    hackney_stop_search()
    edubase()
    gias()
    geo_files()
    osm_clips()
    bad_files()
    spreadsheet_resave()
    hackney_boundary()
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            size = p.stat().st_size
            print(f"{size:>8}  {p.relative_to(OUT)}")
            if size > 300_000:
                raise SystemExit(f"{p} is over 300 KB")


if __name__ == "__main__":
    main()
    shutil.rmtree(OUT / "__pycache__", ignore_errors=True)
