"""Rebuild the hostile-input corpus in tests/data/hostile/ and its manifest cases.toml.

Each case is one small file (or folder) a user could hand the tool, built here from small
templates: real rows of the load-stage fixtures in tests/data/io/ (data.police.uk street and
stop-and-search rows, GIAS and EduBase rows, the incidents GeoPackage) and hand-made rows for
the generic CSV, GeoJSON, OSM, staff, term-dates and config files. Every case carries its
EXPECTED outcome, written as the correct behaviour (issue 12), not as what the code does
today: ``outcome = "ok"`` with ``accepted`` and ``rejected = {reason = n}``, or
``outcome = "error"`` with ``error``, a substring (or a list of substrings, any of which
may match) of the one ``Error: ...`` line. ``pending`` names the work a case waits for; the
test marks such cases xfail(strict), so each turns into a failure as soon as the behaviour
lands and the mark must go. tests/test_hostile.py runs ``corridors validate`` on each.

Run from the repository root: ``.venv/bin/python tests/data/make_hostile_fixtures.py``.
Deterministic: no randomness, no time stamps (gzip mtime 0, fixed zip dates); the PBF is
written by the installed pyosmium. Reads only tests/data/io/ (never the source data).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import osmium

HERE = Path(__file__).resolve().parent
IO = HERE / "io"
OUT = HERE / "hostile"

CASES: list[dict[str, Any]] = []

# reasons of corridors.load (kept as text: the manifest is data, not code)
MISSING_XY = "missing coordinates"
BAD_XY = "non-numeric coordinates"
ZERO_XY = "coordinates withheld (0, 0)"
RANGE_XY = "coordinates out of range for the CRS"
BAD_DATE = "unparseable date"
BAD_TIME = "unparseable time"
BAD_MONTH = "unparseable month"
NO_TIME = "local time does not exist (clock change)"
NO_OFFENCE = "unknown/empty offence"
DUP_ID = "duplicate ID"
NO_ID = "empty ID"
CLOSED = "closed school"
NO_KIND = "unknown hub kind"
EMPTY_ROW = "empty row"
OLD_DATE = "date before 1990"
LATE_DATE = "date after the planned week"

# pending reasons: what a case still waits for
P_SWAPPED_EN = (
    "coordinates: easting/northing swapped inside Great Britain are seen only against a "
    "boundary or OSM file, and these cases have neither"
)


# -- writing helpers ----------------------------------------------------------------------


def _csv(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    newline: str = "\n",
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _bad_crc(gz: bytes) -> bytes:
    """The same gzip stream with its CRC-32 trailer damaged."""
    crc = bytes(b ^ 0xFF for b in gz[-8:-4])
    return gz[:-8] + crc + gz[-4:]


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(name, date_time=(2022, 7, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, data)
    return buf.getvalue()


BINARY = bytes(range(256)) * 8  # NULs and every byte value
HTML = (
    b"<!DOCTYPE html>\n<html><head><title>data.police.uk</title></head>\n"
    b"<body><p>Your download is being prepared. Please wait.</p></body></html>\n"
)
WHITESPACE = b"   \n\t\n  \r\n\n"


def _folder(readme: str) -> Callable[[Path], None]:
    """A folder where a file is expected (with a note, so git keeps it)."""

    def make(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "README.txt").write_text(readme + "\n", encoding="utf-8")

    return make


def ok(accepted: int, rejected: dict[str, int] | None = None, **more: Any) -> dict[str, Any]:
    """The expectation "validate accepts ``accepted`` rows and rejects ``rejected``"."""
    return {"outcome": "ok", "accepted": accepted, "rejected": dict(rejected or {}), **more}


def err(error: str | list[str], **more: Any) -> dict[str, Any]:
    """The expectation "one Error line holding ``error`` (or any of a list), exit 1"."""
    return {"outcome": "error", "error": error, **more}


def case(
    name: str,
    kind: str,
    file: str,
    data: bytes | str | Callable[[Path], None] | None,
    what: str,
    expect: dict[str, Any],
    **keys: Any,
) -> None:
    """Write one case's file (``data``; None when another case wrote it) and record it.

    ``keys`` are the source's keys (format, crs, columns, ...; None leaves one out) and the
    manifest's other keys (uses, source, via).
    """
    path = OUT / file
    if data is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(data):
            data(path)
        else:
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    assert path.exists(), file
    assert name not in {c["name"] for c in CASES}, name
    entry = {"name": name, "kind": kind, "file": file, "what": what}
    CASES.append(entry | {k: v for k, v in keys.items() if v is not None} | expect)


# -- templates from tests/data/io ---------------------------------------------------------


def _read_rows(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


STREET_HEADER, _street_rows = _read_rows(IO / "rutland-street-2m.csv")
STREET = [r for r in _street_rows if r[0]][:4]  # four real crimes with ids (2022-06)
STREET_ASB = [r for r in _street_rows if not r[0]][:2]  # anti-social behaviour: no Crime ID
S_ID, S_MONTH, S_LON, S_LAT, S_LOC, S_TYPE = (
    STREET_HEADER.index(c)
    for c in ("Crime ID", "Month", "Longitude", "Latitude", "Location", "Crime type")
)
SS_HEADER, _ss = _read_rows(IO / "hackney-stop-search.csv")
STOPS = _ss[:4]
SS_DATE, SS_LAT, SS_LON, SS_OBJECT = (
    SS_HEADER.index(c) for c in ("Date", "Latitude", "Longitude", "Object of search")
)
GIAS_HEADER, _gias_rows = _read_rows(IO / "gias-fixture.csv", "cp1252")
G = {
    c: GIAS_HEADER.index(c)
    for c in ("URN", "EstablishmentName", "EstablishmentStatus (name)", "Easting", "Northing")
}
GIAS_OPEN = [_gias_rows[i] for i in (0, 1, 3, 4)]  # open, with coordinates; a cp1252 quote
GIAS_CLOSED = _gias_rows[2]
GIAS_PROPOSED = _gias_rows[7]  # "Open, but proposed to close": still open
GIAS_NO_XY = _gias_rows[8]  # blank Easting
EDU_HEADER, _edu = _read_rows(IO / "edubase-schools.csv")
EDU = _edu[:5]
XY_HEADER, _xy = _read_rows(IO / "edubase-geocodes.csv")
XY = _xy[:5]


def _with(rows: Sequence[Sequence[str]], i: int, col: int, value: str) -> list[list[str]]:
    """A copy of ``rows`` with one cell changed."""
    out = [list(r) for r in rows]
    out[i][col] = value
    return out


def _each(rows: Sequence[Sequence[str]], col: int, value: str) -> list[list[str]]:
    """A copy of ``rows`` with one column set in every row."""
    return [[*r[:col], value, *r[col + 1 :]] for r in rows]


def _swap(rows: Sequence[Sequence[str]], a: int, b: int) -> list[list[str]]:
    out = [list(r) for r in rows]
    for r in out:
        r[a], r[b] = r[b], r[a]
    return out


def _drop(header: Sequence[str], rows: Sequence[Sequence[str]], col: int) -> str:
    keep = [i for i in range(len(header)) if i != col]
    return _csv([header[i] for i in keep], [[r[i] for i in keep] for r in rows])


def _street(rows: Sequence[Sequence[str]] | None = None, **kw: Any) -> str:
    return _csv(STREET_HEADER, STREET if rows is None else rows, **kw)


def _stops(rows: Sequence[Sequence[str]] | None = None, **kw: Any) -> str:
    return _csv(SS_HEADER, STOPS if rows is None else rows, **kw)


def _gias(rows: Sequence[Sequence[str]], *, header: Sequence[str] = GIAS_HEADER) -> bytes:
    return _csv(header, rows).encode("cp1252")


# The case tables below are laid out by hand, one case to a statement.
# fmt: off

# -- police street ------------------------------------------------------------------------


def street_cases() -> None:
    def st(name: str, data: Any, what: str, expect: dict[str, Any], file: str = "",
           **keys: Any) -> None:
        keys.setdefault("format", "police-street")
        case(name, "incidents", f"street/{file or name + '.csv'}", data, what, expect, **keys)

    good = _street()
    st("street-ok", good, "four real data.police.uk rows", ok(4))
    st("street-sniffed", good, "the same, format sniffed from the header", ok(4),
       file="2022-06-hostile-street.csv", format=None)
    st("street-bom", b"\xef\xbb\xbf" + good.encode(),
       "UTF-8 with a BOM (a spreadsheet's 'CSV UTF-8')", ok(4), format=None)
    st("street-crlf", _street(newline="\r\n"), "Windows line ends", ok(4))
    st("street-gz", _gz(good.encode()), "gzip", ok(4), file="street-ok.csv.gz")
    st("street-gz-truncated", _gz(good.encode())[:300], "a gzip cut short (interrupted download)",
       err("damaged or truncated gzip"), file="street-truncated.csv.gz")
    st("street-gz-bad-crc", _bad_crc(_gz(good.encode())), "a gzip whose CRC does not match",
       err("damaged or truncated gzip"), file="street-bad-crc.csv.gz")
    st("street-gz-empty", _gz(b""), "a gzip of nothing", err("the file is empty"),
       file="street-empty.csv.gz")
    st("street-empty", b"", "0 bytes", err("the file is empty"))
    st("street-whitespace", WHITESPACE, "blank lines only", err("the file is empty"))
    st("street-header-only", _street([]), "a header and no rows: read 0, never a CRS error",
       err("read 0 rows"))
    st("street-binary", BINARY, "binary bytes saved as .csv", err("binary file"))
    st("street-zip", _zip("2022-06/2022-06-leicestershire-street.csv", good.encode()),
       "the download zip renamed .csv", err("zip archive"))
    st("street-html", HTML, "an HTML page saved as .csv", err("HTML page"))
    st("street-utf16", good.encode("utf-16"), "UTF-16 text (Excel 'Unicode text')", err("UTF-16"))
    st("street-utf16-declared", None, 'UTF-16 text with encoding = "utf-16"', ok(4),
       file="street-utf16.csv", encoding="utf-16")
    cafe = _street(_with(STREET, 0, S_LOC, "On or near Café Street"))
    st("street-cp1252", cafe.encode("cp1252"), "cp1252 text (a spreadsheet's plain 'CSV')",
       err("not UTF-8 text"))
    st("street-cp1252-declared", None, 'cp1252 text with encoding = "cp1252"', ok(4),
       file="street-cp1252.csv", encoding="cp1252")
    st("street-utf8-declared-utf16", cafe, 'UTF-8 text declared encoding = "utf-16"',
       err("cannot be read as utf-16"), file="street-cafe-utf8.csv", encoding="utf-16")
    st("street-utf8-declared-ascii", None, 'UTF-8 text declared encoding = "ascii"',
       err("not ascii text"), file="street-cafe-utf8.csv", encoding="ascii")
    st("street-encoding-bogus", None, 'encoding = "bogus"', err("unknown encoding 'bogus'"),
       file="street-ok.csv", encoding="bogus")
    st("street-encoding-bogus-sniffed", None, 'encoding = "bogus" with the format sniffed',
       err("unknown encoding 'bogus'"), file="2022-06-hostile-street.csv", encoding="bogus",
       format=None)
    for tag, month in (("feb-25", "Feb-25"), ("february-2025", "February 2025"),
                       ("02-2025", "02/2025"), ("2025-02-01", "2025-02-01")):
        st(f"street-month-{tag}", _street(_with(STREET, 1, S_MONTH, month)),
           f"one Month written {month!r} by a spreadsheet (2025-02)", ok(4))
    for month, reason in (("0001-01", OLD_DATE), ("2099-12", LATE_DATE), ("9999-12", LATE_DATE)):
        st(f"street-month-{month}", _street(_with(STREET, 1, S_MONTH, month)),
           f"one Month {month}: before 1990 or after the planned week", ok(3, {reason: 1}))
    st("street-month-june", _street(_with(STREET, 1, S_MONTH, "June")),
       "one Month 'June' (no year)", ok(3, {BAD_MONTH: 1}))
    st("street-excel-resave",
       b"\xef\xbb\xbf" + _street(_each(STREET, S_MONTH, "Jun-22"), newline="\r\n").encode(),
       "re-saved by a spreadsheet: BOM, CRLF, every Month 'Jun-22'", ok(4))
    st("street-date-format", None, "every Month 'Jun-22' with date_format = \"%b-%y\"",
       ok(4), file="street-excel-resave.csv", date_format="%b-%y")
    st("street-swapped-latlon", _street(_swap(STREET, S_LON, S_LAT)),
       "Latitude and Longitude swapped in every row", err("swapped"))
    st("street-1e20", _street(_with(STREET, 2, S_LAT, "1e20")), "one Latitude 1e20",
       ok(3, {RANGE_XY: 1}))
    st("street-inf", _street(_with(STREET, 2, S_LON, "inf")), "one Longitude 'inf'",
       ok(3, {BAD_XY: 1}))
    st("street-nan", _street(_with(_with(STREET, 2, S_LON, "nan"), 2, S_LAT, "nan")),
       "one row with 'nan' coordinates", ok(3, {MISSING_XY: 1}))
    st("street-blank-xy", _street(_with(_with(STREET, 2, S_LON, ""), 2, S_LAT, "")),
       "one row without a location (as police.uk publishes them)", ok(3, {MISSING_XY: 1}))
    st("street-zero-xy", _street(_with(_with(STREET, 2, S_LON, "0"), 2, S_LAT, "0")),
       "one row at (0, 0)", ok(3, {ZERO_XY: 1}))
    st("street-text-xy", _street(_with(STREET, 2, S_LAT, "52.7N")), "one Latitude '52.7N'",
       ok(3, {BAD_XY: 1}))
    st("street-dup-id", _street([*STREET, STREET[0]]), "a Crime ID twice",
       ok(4, {DUP_ID: 1}, reject_lines=[6]))
    st("street-empty-id", _street([*STREET, *STREET_ASB]),
       "anti-social behaviour rows: empty Crime ID", ok(6))
    formula = _with(STREET, 0, S_ID, '=HYPERLINK("http://example.com/x","click me")')
    st("street-formula-id", _street([*formula, formula[0]]),
       "a formula =HYPERLINK(...) Crime ID, twice (so it reaches the rejects file)",
       ok(4, {DUP_ID: 1}, reject_lines=[6]))
    st("street-huge-field", _street(_with(STREET, 1, S_LOC, "x" * 131_072)),
       "a 131,072-character Location", ok(4))
    breaks = _with(_with(STREET, 0, S_LOC, "On or near\nHall Close"),
                   1, S_LOC, "On or near\r\nAirfield")
    st("street-newline-in-field", _street([*breaks, STREET[2]]),
       "LF and CR LF inside quoted fields; a duplicate after them",
       ok(4, {DUP_ID: 1}, reject_lines=[8]))
    st("street-semicolon", _street(delimiter=";"),
       "semicolon-delimited (a continental spreadsheet)", err("missing column 'Crime ID'"))
    st("street-tab", _street(delimiter="\t"), "tab-delimited", err("missing column 'Crime ID'"),
       file="street-tab.tsv")
    st("street-missing-column", _drop(STREET_HEADER, STREET, S_LON), "no Longitude column",
       err("missing column 'Longitude'"))
    st("street-all-no-xy", _street(_each(_each(STREET, S_LON, ""), S_LAT, "")),
       "every row without a location: nothing usable",
       err(MISSING_XY))
    st("street-empty-offence", _street(_with(STREET, 3, S_TYPE, "")), "one empty Crime type",
       ok(3, {NO_OFFENCE: 1}))
    st("street-short-row", _street() + "short-row,2022-06,Leicestershire Police\n",
       "a row cut after three fields", ok(4, {MISSING_XY: 1}, reject_lines=[6]))
    st("street-long-row", _street([*STREET[:2], [*STREET[2], "extra", "fields"], STREET[3]]),
       "a row with two fields too many", err("not a well-formed CSV"))
    st("street-empty-rows", _street([STREET[0], [""] * 12, *STREET[1:]]) + "\n",
       "a row of commas and a trailing blank line", ok(4, {EMPTY_ROW: 2}))

    def download(path: Path) -> None:
        jan = _each(STREET[:2], S_MONTH, "2025-01")
        feb = _each(STREET[2:], S_MONTH, "2025-02")
        for rel, data in (("2025-01/2025-01-hostile-street.csv", _street(jan).encode()),
                          ("2025-02/2025-02-hostile-street.csv.gz",
                           _gz(_street([*feb, jan[0]]).encode()))):
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_bytes(data)

    st("street-folder", download,
       "a download folder: YYYY-MM/*-street.csv, one month gzipped, an id in two months",
       ok(4, {DUP_ID: 1}), file="police-download")
    st("street-folder-no-files", _folder("A folder with no data.police.uk files in it."),
       "a folder with no *-street.csv files", err("folder"), file="no-police-files")


# -- police stop and search ---------------------------------------------------------------


def stop_search_cases() -> None:
    def ss(name: str, data: Any, what: str, expect: dict[str, Any], file: str = "",
           **keys: Any) -> None:
        keys.setdefault("format", "police-stop-search")
        case(name, "incidents", f"stops/{file or name + '.csv'}", data, what, expect, **keys)

    good = _stops()
    ss("stops-ok", good, "four real stop-and-search rows", ok(4))
    ss("stops-sniffed", good, "the same, format sniffed", ok(4),
       file="2016-06-hostile-stop-and-search.csv", format=None)
    ss("stops-bom", b"\xef\xbb\xbf" + good.encode(), "UTF-8 with a BOM", ok(4))
    ss("stops-gz", _gz(good.encode()), "gzip", ok(4), file="stops-ok.csv.gz")
    ss("stops-gz-truncated", _gz(good.encode())[:200], "a gzip cut short",
       err("damaged or truncated gzip"), file="stops-truncated.csv.gz")
    ss("stops-bad-date", _stops(_with(STOPS, 1, SS_DATE, "yesterday")), "one Date 'yesterday'",
       ok(3, {BAD_DATE: 1}))
    ss("stops-future-date", _stops(_with(STOPS, 1, SS_DATE, "2099-06-01T16:00:00+00:00")),
       "one Date in 2099: after the planned week",
       ok(3, {LATE_DATE: 1}))
    ss("stops-1985-date", _stops(_with(STOPS, 1, SS_DATE, "1985-06-01T16:00:00+00:00")),
       "one Date in 1985: before 1990", ok(3, {OLD_DATE: 1}))
    ss("stops-empty-object", _stops(_with(STOPS, 2, SS_OBJECT, "")),
       "one empty Object of search", ok(3, {NO_OFFENCE: 1}))
    ss("stops-blank-xy", _stops(_with(_with(STOPS, 3, SS_LAT, ""), 3, SS_LON, "")),
       "one row without a location", ok(3, {MISSING_XY: 1}))
    ss("stops-header-only", _stops([]), "a header and no rows",
       err("read 0 rows"))
    ss("stops-missing-column", _drop(SS_HEADER, STOPS, SS_OBJECT), "no Object of search column",
       err("missing column 'Object of search'"))
    ss("stops-semicolon", _stops(delimiter=";"), "semicolon-delimited",
       err("missing column 'Type'"))
    ss("stops-swapped-latlon", _stops(_swap(STOPS, SS_LAT, SS_LON)),
       "Latitude and Longitude swapped in every row", err("swapped"))
    ss("stops-all-bad-dates", _stops(_each(STOPS, SS_DATE, "01/06/2016 17:30")),
       "every Date written day-first by a spreadsheet (a UK layout: read day-first)", ok(4))


# -- generic CSV (a column mapping) -------------------------------------------------------

INC_HEADER = ["Ref", "Date", "Time", "Category", "Easting", "Northing"]
INC = [  # Oakham, Rutland (EPSG:27700), March 2024
    ["H1", "2024-03-04", "15:30", "Robbery", "490578.03", "313778.052"],
    ["H2", "2024-03-05", "16:10", "Violence and sexual offences", "491342.024", "315642.977"],
    ["H3", "2024-03-06", "17:45", "Possession of weapons", "488799.97", "316500.999"],
    ["H4", "2024-03-07", "15:05", "Public order", "490868.967", "308760.975"],
]
INC6 = [*INC, *([f"{r[0]}b", *r[1:]] for r in INC[:2])]  # six rows: enough to suspect a mapping
MAP = {"id": "Ref", "date": "Date", "time": "Time", "offence": "Category", "x": "Easting",
       "y": "Northing"}
LONLAT = [("-0.660598", "52.714091"), ("-0.648774", "52.730723"), ("-0.686176", "52.738857"),
          ("-0.657676", "52.668953")]
YMD_HEADER = ["Ref", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "Category", "Easting",
              "Northing"]
YMD_MAP = {"id": "Ref", "year": "YEAR", "month": "MONTH", "day": "DAY", "hour": "HOUR",
           "minute": "MINUTE", "offence": "Category", "x": "Easting", "y": "Northing"}


def _inc(rows: Sequence[Sequence[str]] | None = None, **kw: Any) -> str:
    return _csv(INC_HEADER, INC if rows is None else rows, **kw)


def generic_cases() -> None:
    def gen(name: str, data: Any, what: str, expect: dict[str, Any], file: str = "",
            kind: str = "incidents", **keys: Any) -> None:
        keys = {"format": "csv", "crs": "EPSG:27700", "columns": MAP} | keys
        case(name, kind, f"csv/{file or name + '.csv'}", data, what, expect, **keys)

    gen("csv-ok", _inc(), "Ref, Date, Time, Category, Easting, Northing mapped; crs EPSG:27700",
        ok(4))
    gen("csv-aliases-latlon",
        _csv(["id", "date", "time", "offence", "latitude", "longitude"],
             [[*r[:4], lat, lon] for r, (lon, lat) in zip(INC, LONLAT, strict=True)]),
        "no mapping: columns found by their common names, lat/lon in degrees", ok(4),
        crs=None, columns=None)
    gen("csv-uk-dates", _inc([[r[0], f"{r[1][8:]}/{r[1][5:7]}/{r[1][:4]}", *r[2:]] for r in INC]),
        "dates written 04/03/2024 (day first)", ok(4))
    gen("csv-datetime",
        _csv(["Ref", "When", "Category", "Easting", "Northing"],
             [[r[0], f"{r[1]} {r[2]}", *r[3:]] for r in INC]),
        "one date-time column", ok(4),
        columns={"id": "Ref", "datetime": "When", "offence": "Category", "x": "Easting",
                 "y": "Northing"})
    ymd = [[r[0], r[1][:4], str(int(r[1][5:7])), str(int(r[1][8:])), r[2][:2], r[2][3:], *r[3:]]
           for r in INC]
    gen("csv-year-month-day", _csv(YMD_HEADER, ymd),
        "separate YEAR, MONTH, DAY, HOUR, MINUTE columns", ok(4), columns=YMD_MAP)
    gen("csv-year-month-name", _csv(YMD_HEADER, _each(ymd, 2, "Mar")),
        "separate columns, MONTH as a name ('Mar')", ok(4), columns=YMD_MAP)
    gen("csv-date-is-year", None,
        'date = "YEAR": a year is not a date (never 1 January for every row)',
        err(["YEAR", BAD_DATE]), file="csv-year-month-day.csv",
        columns={"id": "Ref", "date": "YEAR", "offence": "Category", "x": "Easting",
                 "y": "Northing"})
    gen("csv-times-0000", _inc(_each(INC6, 2, "00:00")),
        "every time 00:00 (a date exported as date-time)",
        ok(6, warning="midnight"))
    gen("csv-one-date", _inc(_each(INC6, 1, "2024-03-05")),
        "every row on one date (a report date, not the offence date?)",
        ok(6, warning="same day"))
    gen("csv-date-format-invalid", None, 'date_format = "%Q" (no such directive)',
        err("date_format"), file="csv-ok.csv", date_format="%Q")
    gen("csv-date-format", _inc([[r[0], f"March {int(r[1][8:])} 2024", *r[2:]] for r in INC]),
        "dates 'March 4 2024' with date_format = \"%B %d %Y\"", ok(4), date_format="%B %d %Y")
    gen("csv-date-format-mismatch", None, 'date_format = "%d/%m/%Y" for ISO dates: nothing usable',
        err(BAD_DATE), file="csv-ok.csv", date_format="%d/%m/%Y")
    gen("csv-date-1985", _inc(_with(INC, 1, 1, "1985-03-05")), "one date before 1990",
        ok(3, {OLD_DATE: 1}))
    gen("csv-date-future", _inc(_with(INC, 1, 1, "2099-03-05")), "one date after the planned week",
        ok(3, {LATE_DATE: 1}))
    gen("csv-bad-date", _inc(_with(INC, 1, 1, "31/02/2024")), "one date 31/02/2024",
        ok(3, {BAD_DATE: 1}))
    gen("csv-bad-time", _inc(_with(INC, 1, 2, "25:61")), "one time 25:61", ok(3, {BAD_TIME: 1}))
    gen("csv-clock-change", _inc(_with(_with(INC, 1, 1, "2024-03-31"), 1, 2, "01:30")),
        "one local time skipped by the spring clock change", ok(3, {NO_TIME: 1}))
    gen("csv-xy-no-crs", None, "Easting/Northing mapped with no crs", err("need a CRS"),
        file="csv-ok.csv", crs=None)
    gen("csv-no-offence",
        _csv(["Ref", "Date", "Time", "Easting", "Northing"], [[*r[:3], *r[4:]] for r in INC]),
        "no offence column and no mapping for one", err("no offence column"), columns=None)
    gen("csv-mapped-column-missing", None, "columns.id names a column the file lacks",
        err("missing column 'Reference'"), file="csv-ok.csv", columns=MAP | {"id": "Reference"})
    gen("csv-mapping-unknown-key", None, "columns has a key the tool does not know",
        err("unknown column mapping key"), file="csv-ok.csv", columns=MAP | {"colour": "Category"})
    gen("csv-no-date",
        _csv(["Ref", "Category", "Easting", "Northing"], [[r[0], *r[3:]] for r in INC]),
        "no date column", err("no date column"), columns=None)
    gen("csv-no-coordinates", _csv(["Ref", "Date", "Time", "Category"], [r[:4] for r in INC]),
        "no coordinate columns", err("no coordinate columns"), columns=None)
    gen("csv-swapped-en", _inc(_swap(INC, 4, 5)), "Easting and Northing swapped in every row",
        err("swapped", pending=P_SWAPPED_EN))
    gen("csv-1e20", _inc(_with(INC, 2, 4, "1e20")), "one Easting 1e20",
        ok(3, {RANGE_XY: 1}))
    gen("csv-inf", _inc(_with(INC, 2, 5, "-inf")), "one Northing '-inf'", ok(3, {BAD_XY: 1}))
    gen("csv-nan", _inc(_with(_with(INC, 2, 4, "NaN"), 2, 5, "NaN")),
        "one row with NaN coordinates", ok(3, {MISSING_XY: 1}))
    gen("csv-zero-xy", _inc(_with(_with(INC, 2, 4, "0"), 2, 5, "0")), "one row at (0, 0)",
        ok(3, {ZERO_XY: 1}))
    gen("csv-dup-id", _inc([*INC, INC[1]]), "a Ref twice", ok(4, {DUP_ID: 1}))
    gen("csv-empty-id", _inc(_with(_with(INC, 0, 0, ""), 3, 0, "")),
        "two empty Refs (ids generated)", ok(4))
    gen("csv-semicolon", _inc(delimiter=";"), "semicolon-delimited", err("missing column 'Ref'"))
    gen("csv-tab", _inc(delimiter="\t"), "tab-delimited", err("missing column 'Ref'"))
    forms = ("Feb-25", "February 2025", "02/2025", "2025-02-01")
    gen("csv-month-forms",
        _csv(["Ref", "Month", "Category", "Easting", "Northing"],
             [[r[0], m, *r[3:]] for r, m in zip(INC, forms, strict=True)]),
        "a month column in four spreadsheet forms of 2025-02", ok(4),
        columns={"id": "Ref", "month": "Month", "offence": "Category", "x": "Easting",
                 "y": "Northing"})
    gen("csv-empty-row", _inc([*INC[:2], [""] * 6, *INC[2:]]), "a row of commas",
        ok(4, {EMPTY_ROW: 1}))
    gen("csv-empty-offence", _inc(_with(INC, 0, 3, "")), "one empty Category",
        ok(3, {NO_OFFENCE: 1}))
    gen("csv-formula-offence", _inc(_with(INC, 0, 3, "=cmd|' /C calc'!A0")),
        "a formula as the offence text", ok(4))
    gen("csv-header-only", _inc([]), "a header and no rows", err("read 0 rows"))
    gen("csv-html", HTML, "an HTML page saved as .csv", err("HTML page"))

    # schools and hubs from generic CSVs (lat/lon in degrees, columns found by name)
    sh = ["id", "name", "phase", "lat", "lon", "status"]
    sch = [["S1", "Example Secondary School", "Secondary", "52.6705", "-0.7275", "Open"],
           ["S2", "Example College", "Secondary", "52.5903", "-0.7102", "Open"],
           ["S3", "Example Primary School", "Primary", "52.6644", "-0.7391", "Open"]]
    closed = ["S4", "Example Closed School", "Primary", "52.66", "-0.73", "Closed"]
    plain = {"kind": "schools", "crs": None, "columns": None}
    gen("schools-csv-ok", _csv(sh, sch), "id, name, phase, lat, lon, status found by name",
        ok(3), file="schools-ok.csv", **plain)
    gen("schools-csv-closed", _csv(sh, [*sch, closed]), "one school with status Closed",
        ok(3, {CLOSED: 1}), file="schools-closed.csv", **plain)
    gen("schools-csv-swapped", _csv(sh, _swap(sch, 3, 4)), "lat and lon swapped in every row",
        err("swapped"), file="schools-swapped.csv", **plain)
    gen("schools-csv-dup-id", _csv(sh, [*sch, sch[0]]), "a school id twice", ok(3, {DUP_ID: 1}),
        file="schools-dup-id.csv", **plain)
    hh = ["id", "name", "kind", "lat", "lon"]
    hubs = [["B1", "Market Place", "bus", "52.6703", "-0.7270"],
            ["R1", "Oakham", "rail", "52.6713", "-0.7348"],
            ["B2", "High Street", "Bus", "52.5890", "-0.7100"]]
    plain["kind"] = "hubs"
    gen("hubs-csv-ok", _csv(hh, hubs), "id, name, kind, lat, lon", ok(3), file="hubs-ok.csv",
        **plain)
    gen("hubs-csv-unknown-kind", _csv(hh, [*hubs, ["F1", "Ferry pier", "ferry", "52.67", "-0.73"]]),
        "one hub of kind 'ferry'", ok(3, {NO_KIND: 1}), file="hubs-unknown-kind.csv", **plain)
    gen("hubs-csv-all-unknown", _csv(hh, _each(hubs, 2, "coach")),
        "every hub of an unknown kind: nothing usable", err(NO_KIND),
        file="hubs-all-unknown.csv", **plain)


# -- GIAS and EduBase ---------------------------------------------------------------------


def school_list_cases() -> None:
    def gi(name: str, data: Any, what: str, expect: dict[str, Any], file: str = "",
           **keys: Any) -> None:
        keys.setdefault("format", "gias")
        case(name, "schools", f"gias/{file or name + '.csv'}", data, what, expect, **keys)

    good = _gias(GIAS_OPEN)
    gi("gias-ok", good, "four open schools, cp1252 as GIAS publishes it", ok(4))
    gi("gias-sniffed", good, "the same, format sniffed", ok(4),
       file="edubasealldata20250301.csv", format=None)
    gi("gias-utf8-bom", b"\xef\xbb\xbf" + _csv(GIAS_HEADER, GIAS_OPEN).encode(),
       "re-saved as UTF-8 with a BOM", ok(4))
    gi("gias-gz", _gz(good), "gzip", ok(4), file="gias-ok.csv.gz")
    gi("gias-closed", _gias([*GIAS_OPEN, GIAS_CLOSED, GIAS_PROPOSED]),
       "a closed school and one 'Open, but proposed to close'", ok(5, {CLOSED: 1}))
    gi("gias-all-closed", _gias(_each(GIAS_OPEN, G["EstablishmentStatus (name)"], "Closed")),
       "every school closed: nothing usable", err(CLOSED))
    gi("gias-easting-1e12", _gias([*GIAS_OPEN, _with([GIAS_PROPOSED], 0, G["Easting"], "1e12")[0]]),
       "one open school at Easting 1e12", ok(4, {RANGE_XY: 1}))
    gi("gias-swapped-en", _gias(_swap(GIAS_OPEN, G["Easting"], G["Northing"])),
       "Easting and Northing swapped in every row", err("swapped", pending=P_SWAPPED_EN))
    gi("gias-blank-xy", _gias([*GIAS_OPEN, GIAS_NO_XY]), "one school without an Easting",
       ok(4, {MISSING_XY: 1}))
    gi("gias-empty-urn", _gias([*GIAS_OPEN, _with([GIAS_PROPOSED], 0, G["URN"], "")[0]]),
       "one empty URN", ok(4, {NO_ID: 1}))
    gi("gias-dup-urn", _gias([*GIAS_OPEN, GIAS_OPEN[2]]), "a URN twice", ok(4, {DUP_ID: 1}))
    gi("gias-formula-name",
       _gias(_with(GIAS_OPEN, 1, G["EstablishmentName"], '=HYPERLINK("http://x","School")')),
       "a formula as a school name", ok(4))
    gi("gias-missing-column", _drop(GIAS_HEADER, GIAS_OPEN, G["Northing"]).encode("cp1252"),
       "no Northing column", err("missing column 'Northing'"))
    gi("gias-header-only", _gias([]), "a header and no rows", err("read 0 rows"))
    gi("gias-declared-utf8", None, 'the cp1252 file declared encoding = "utf-8" (no fallback then)',
       err("not UTF-8 text"), file="gias-ok.csv", encoding="utf-8")
    gi("gias-utf16", _csv(GIAS_HEADER, GIAS_OPEN).encode("utf-16"), "UTF-16 text", err("UTF-16"))
    gi("gias-folder", _folder("A folder named like the GIAS file."),
       "a folder where the CSV should be", err("is a folder"))

    edu = OUT / "edubase"
    edu.mkdir(parents=True, exist_ok=True)
    for name, rows in (("edubase-xy.csv", XY), ("edubase-xy-short.csv", XY[:4]),
                       ("edubase-xy-na.csv", [*XY[:2], ["NA", "NA"], *XY[3:]])):
        (edu / name).write_text(_csv(XY_HEADER, rows), encoding="utf-8")

    def eb(name: str, data: Any, what: str, expect: dict[str, Any], xy: str = "") -> None:
        xy = xy and f"edubase/{xy}"
        case(name, "schools", "edubase/edubase-schools.csv", data, what, expect,
             format="edubase", geocode=xy or None, uses=[xy] if xy else None)

    eb("edubase-geocode", _csv(EDU_HEADER, EDU),
       "EduBase rows (X/Y 'NA') with a row-aligned geocode file", ok(5), xy="edubase-xy.csv")
    eb("edubase-no-xy", None, "EduBase rows with no coordinates and no geocode file",
       err("no X/Y coordinates"))
    eb("edubase-geocode-short", None, "a geocode file one row short", err("row-aligned"),
       xy="edubase-xy-short.csv")
    eb("edubase-geocode-na", None, "one geocode 'NA'", ok(4, {MISSING_XY: 1}),
       xy="edubase-xy-na.csv")


# -- GeoJSON and GeoPackage ---------------------------------------------------------------


def _feature(props: dict[str, Any], geom: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _fc(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n"


GJ_SCHOOLS = [
    _feature({"id": "G1", "name": "Example Secondary School", "phase": "Secondary"},
             _point(-0.7275, 52.6705)),
    _feature({"id": "G2", "name": "Example College", "phase": "Secondary"},
             _point(-0.7102, 52.5903)),
    _feature({"id": "G3", "name": "Example Primary School", "phase": "Primary"},
             _point(-0.7391, 52.6644)),
]
SQUARE = {"type": "Polygon", "coordinates": [[[-0.73, 52.67], [-0.72, 52.67], [-0.72, 52.675],
                                              [-0.73, 52.675], [-0.73, 52.67]]]}


def geo_cases() -> None:
    def gj(name: str, data: Any, what: str, expect: dict[str, Any], file: str,
           kind: str = "schools", **keys: Any) -> None:
        keys.setdefault("format", "geojson")
        case(name, kind, f"geo/{file}", data, what, expect, **keys)

    gj("geojson-ok", _fc(GJ_SCHOOLS), "three school points", ok(3), "schools-ok.geojson",
       format=None)
    grounds = _feature({"id": "G4", "name": "Example Academy grounds", "phase": "Secondary"},
                       SQUARE)
    gj("geojson-polygon", _fc([*GJ_SCHOOLS[:2], grounds]),
       "a school drawn as its grounds (a polygon)", ok(3), "schools-polygon.geojson")
    gj("geojson-null-geometry", _fc([*GJ_SCHOOLS, _feature({"id": "G5", "name": "Nowhere"}, None)]),
       "one feature with a null geometry", ok(3, {MISSING_XY: 1}),
       "schools-null-geometry.geojson")
    gj("geojson-all-null", _fc([_feature(f["properties"], None) for f in GJ_SCHOOLS]),
       "every geometry null: nothing usable", err(MISSING_XY),
       "schools-all-null.geojson")
    far = _feature({"id": "G6", "name": "Far School"}, _point(1e20, 52.6))
    gj("geojson-1e20", _fc([*GJ_SCHOOLS, far]), "one point at longitude 1e20",
       ok(3, {RANGE_XY: 1}), "schools-1e20.geojson")
    gj("geojson-invalid-json", _fc(GJ_SCHOOLS)[:-40], "JSON cut short",
       err("cannot read as geojson"), "schools-invalid.geojson")
    gj("geojson-not-fc",
       json.dumps({"schools": [{"name": "Example School", "lat": 52.67, "lon": -0.72}]}) + "\n",
       "JSON that is not GeoJSON", err("cannot read as geojson"), "schools-not-fc.geojson")
    gj("geojson-empty-fc", _fc([]), "a FeatureCollection with no features",
       err("read 0 rows"), "schools-empty-fc.geojson")
    gj("geojson-empty", b"", "0 bytes", err("the file is empty"), "schools-empty.geojson")
    gj("geojson-html", HTML, "an HTML page saved as .geojson", err("cannot read as geojson"),
       "schools-html.geojson")
    inc = [_feature({"id": f"J{i}", "date": r[1], "time": r[2], "offence": r[3]},
                    _point(float(lon), float(lat)))
           for i, (r, (lon, lat)) in enumerate(zip(INC, LONLAT, strict=True))]
    gj("geojson-incidents", _fc(inc), "incidents with date, time and offence properties", ok(4),
       "incidents.geojson", kind="incidents")
    hubs = [_feature({"id": "B1", "name": "Market Place", "kind": "bus"}, _point(-0.727, 52.6703)),
            _feature({"id": "B2", "name": "Canal", "kind": "boat"}, _point(-0.73, 52.67))]
    gj("hubs-geojson", _fc(hubs), "hubs: one bus stop, one of an unknown kind",
       ok(1, {NO_KIND: 1}), "hubs.geojson", kind="hubs")

    def gp(name: str, data: Any, what: str, expect: dict[str, Any], file: str,
           **keys: Any) -> None:
        case(name, "incidents", f"geo/{file}", data, what, expect, format="gpkg", **keys)

    real = (IO / "incidents.gpkg").read_bytes()
    gp("gpkg-ok", real, "the load-stage GeoPackage (Rutland, EPSG:27700)", ok(40),
       "incidents.gpkg")
    gp("gpkg-layer-missing", None, 'layer = "nope": no such layer', err("cannot read as gpkg"),
       "incidents.gpkg", layer="nope")
    gp("gpkg-truncated", real[:8192], "a GeoPackage cut short", err("cannot read as gpkg"),
       "incidents-truncated.gpkg")
    gp("gpkg-not-gpkg", _inc(), "a CSV named .gpkg", err("cannot read as gpkg"),
       "not-a-geopackage.gpkg")
    gp("gpkg-empty", b"", "0 bytes", err("the file is empty"), "empty.gpkg")


# fmt: on
# -- OSM ----------------------------------------------------------------------------------

OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="make_hostile_fixtures">
 <bounds minlat="52.6600" minlon="-0.7500" maxlat="52.6800" maxlon="-0.7100"/>
 <node id="1" version="1" lat="52.6705" lon="-0.7275">
  <tag k="amenity" v="school"/><tag k="name" v="Example Secondary School"/>
  <tag k="isced:level" v="2;3"/>
 </node>
 <node id="2" version="1" lat="52.6644" lon="-0.7391">
  <tag k="amenity" v="school"/><tag k="name" v="Example Primary School"/>
 </node>
 <node id="3" version="1" lat="52.6703" lon="-0.7270">
  <tag k="highway" v="bus_stop"/><tag k="name" v="Market Place"/>
 </node>
 <node id="4" version="1" lat="52.6713" lon="-0.7348">
  <tag k="railway" v="station"/><tag k="name" v="Oakham"/>
 </node>
 <node id="11" version="1" lat="52.6750" lon="-0.7200"/>
 <node id="12" version="1" lat="52.6750" lon="-0.7180"/>
 <node id="13" version="1" lat="52.6760" lon="-0.7180"/>
 <node id="14" version="1" lat="52.6760" lon="-0.7200"/>
 <way id="100" version="1">
  <nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
  <tag k="amenity" v="school"/><tag k="name" v="Example College"/>
 </way>
</osm>
"""

OSM_NO_SCHOOLS = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="make_hostile_fixtures">
 <node id="3" version="1" lat="52.6703" lon="-0.7270">
  <tag k="highway" v="bus_stop"/><tag k="name" v="Market Place"/>
 </node>
</osm>
"""


def _pbf(xml: Path, pbf: Path) -> bytes:
    if pbf.exists():
        pbf.unlink()
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    finally:
        writer.close()
    return pbf.read_bytes()


# fmt: off


def osm_cases() -> None:
    def om(name: str, data: Any, what: str, expect: dict[str, Any], file: str,
           kind: str = "schools", **keys: Any) -> None:
        case(name, kind, f"osm/{file}", data, what, expect, **keys)

    xml = OSM_XML.encode()
    om("osm-xml", xml, "OSM XML: two school nodes and a school way", ok(3), "area.osm")
    om("osm-xml-hubs", None, "the same file's bus stop and station", ok(2), "area.osm",
       kind="hubs", format="osm")
    om("osm-gz", _gz(xml), "gzipped OSM XML", ok(3), "area.osm.gz")
    om("osm-bz2", bz2.compress(xml), "bzip2 OSM XML", ok(3), "area.osm.bz2")
    pbf = _pbf(OUT / "osm/area.osm", OUT / "osm/area.osm.pbf")
    om("osm-pbf", None, "OSM PBF", ok(3), "area.osm.pbf")
    om("osm-pbf-hubs", None, "OSM PBF, hubs", ok(2), "area.osm.pbf", kind="hubs")
    om("osm-pbf-truncated", pbf[: len(pbf) * 2 // 3], "a PBF cut short",
       err("cannot read as OSM data"), "truncated.osm.pbf")
    om("osm-bz2-truncated", bz2.compress(xml)[:200], "a .osm.bz2 cut short",
       err("cannot read as OSM data"), "truncated.osm.bz2")
    om("osm-gz-bad-crc", _bad_crc(_gz(xml)), "a .osm.gz whose CRC does not match",
       err("cannot read as OSM data"), "bad-crc.osm.gz")
    om("osm-not-xml", "this is not OSM data\n", "text named .osm", err("cannot read as OSM data"),
       "not-xml.osm")
    om("osm-html", HTML, "an HTML page named .osm", err("cannot read as OSM data"), "html.osm")
    om("osm-empty", b"", "0 bytes", err("the file is empty"), "empty.osm.pbf")
    om("osm-no-schools", OSM_NO_SCHOOLS, "an OSM file with no school: read 0",
       err("read 0"), "no-schools.osm")
    om("osm-folder", _folder("A folder named like a PBF."), "a folder named .osm.pbf",
       err("is a folder"), "folder.osm.pbf", format="osm")


# -- staff --------------------------------------------------------------------------------

STAFF_HEADER = ["person_id", "name", "agency", "schools", "availability", "absences",
                "max_hours_week", "with_police"]
STAFF = [
    ["S01", "Example Officer A", "police ward officer", "Example Secondary School",
     "Mon-Fri 15:00-18:00", "", "6", "yes"],
    ["S02", "Example Youth Worker B", "youth worker", "Example Secondary School",
     "Mon/Wed 15:00-18:00", "", "4", "no"],
    ["S03", "Example PCSO C", "pcso", "", "Tue-Thu 15:30-17:30", "2025-02-10..2025-02-14",
     "5", "yes"],
]


def _staff(rows: Sequence[Sequence[str]] | None = None, **kw: Any) -> str:
    return _csv(STAFF_HEADER, STAFF if rows is None else rows, **kw)


def staff_cases() -> None:
    def st(name: str, data: Any, what: str, expect: dict[str, Any]) -> None:
        case(name, "staff", f"staff/{name}.csv", data, what, expect)

    st("staff-ok", _staff(), "three people", ok(3))
    st("staff-bom-comments",
       b"\xef\xbb\xbf# our team\n# availability: <days> HH:MM-HH:MM\n" + _staff().encode(),
       "a BOM and # comment lines", ok(3))
    st("staff-crlf-in-name", _staff(_with(STAFF, 0, 1, "Example\r\nOfficer A"), newline="\r\n"),
       "CR LF inside a quoted name", ok(3))
    st("staff-formula-name", _staff(_with(STAFF, 1, 1, '=HYPERLINK("http://x","B")')),
       "a formula as a name", ok(3))
    st("staff-bad-availability", _staff(_with(STAFF, 2, 4, "weekdays after school")),
       "one availability not '<days> HH:MM-HH:MM'", ok(2, {"availability": 1}))
    st("staff-dup-id", _staff([*STAFF, _with(STAFF, 0, 1, "Someone Else")[0]]),
       "a person_id twice", ok(3, {"person_id": 1}))
    st("staff-unknown-agency", _staff(_with(STAFF, 1, 2, "fire brigade")), "one unknown agency",
       ok(2, {"agency": 1}))
    st("staff-hours-inf", _staff(_with(STAFF, 0, 6, "inf")), "one max_hours_week 'inf'",
       ok(2, {"max_hours_week": 1}))
    st("staff-empty", b"", "0 bytes", err("empty"))
    st("staff-whitespace", WHITESPACE, "blank lines only", err("empty"))
    st("staff-header-only", _staff([]), "a header and nobody",
       err(["read 0", "no people", "empty"]))
    st("staff-binary", BINARY, "binary bytes", err(["binary", "UTF-8"]))
    st("staff-zip", _zip("staff.csv", _staff().encode()), "a zip renamed .csv",
       err(["zip", "UTF-8"]))
    st("staff-html", HTML, "an HTML page saved as .csv", err(["HTML", "lacks column"]))
    st("staff-cp1252", _staff(_with(STAFF, 0, 1, "Example Officer José")).encode("cp1252"),
       "cp1252 text", err("UTF-8"))
    st("staff-utf16", _staff().encode("utf-16"), "UTF-16 text", err(["UTF-16", "UTF-8"]))
    st("staff-missing-columns", _csv(STAFF_HEADER[:3], [r[:3] for r in STAFF]),
       "no availability column", err("lacks column"))
    st("staff-all-rejected", _staff(_each(STAFF, 4, "never")),
       "nobody with a usable availability", err("availability"))
    st("staff-huge-field", _staff(_with(STAFF, 0, 3, "x" * 131_073)),
       "a 131,073-character field (one more than Python's csv field limit)",
       err("staff-huge-field.csv"))
    st("staff-folder", _folder("A folder, not staff."), "a folder where the staff CSV should be",
       err(["folder", "directory"]))


# -- term dates ---------------------------------------------------------------------------

TERM_HEADER = ["start", "end", "kind"]
TERMS = [["2025-01-06", "2025-02-14", "term"], ["2025-02-17", "2025-02-21", "holiday"],
         ["2025-02-24", "2025-04-04", "term"]]
NOTES = ("Spring \u2013 first half", "Half-term", "Spring \u2013 second half")  # en dashes


def term_cases() -> None:
    def td(name: str, data: Any, what: str, expect: dict[str, Any]) -> None:
        case(name, "term_dates", f"terms/{name}.csv", data, what, expect)

    good = _csv(TERM_HEADER, TERMS)
    td("terms-ok", good, "two terms and a half-term holiday", ok(3))
    td("terms-bom-crlf", b"\xef\xbb\xbf" + _csv(TERM_HEADER, TERMS, newline="\r\n").encode(),
       "a BOM and Windows line ends", ok(3))
    td("terms-empty", b"", "0 bytes", err("empty"))
    td("terms-binary", BINARY, "binary bytes", err(["binary", "UTF-8"]))
    notes = [[*r, n] for r, n in zip(TERMS, NOTES, strict=True)]
    td("terms-cp1252", _csv([*TERM_HEADER, "note"], notes).encode("cp1252"),
       "cp1252 text (an en dash in a note)", err("UTF-8"))
    td("terms-utf16", good.encode("utf-16"), "UTF-16 text",
       err(["UTF-16", "UTF-8"]))
    td("terms-bad-date", _csv(TERM_HEADER, _with(TERMS, 1, 0, "17/02/2025")),
       "one date written 17/02/2025", err(["unparseable date: 1", "bad date"]))
    td("terms-reversed", _csv(TERM_HEADER, _with(TERMS, 1, 1, "2025-02-10")),
       "one range that ends before it starts", err("before it starts"))
    td("terms-bad-kind", _csv(TERM_HEADER, _with(TERMS, 1, 2, "inset day")),
       "one kind that is neither term nor holiday", err(["kind is not 'term' or 'holiday'", "'kind'"]))
    td("terms-missing-column", _csv(["from", "to"], [r[:2] for r in TERMS]),
       "columns from/to instead of start/end", err("'start' and 'end'"))
    td("terms-folder", _folder("A folder."), "a folder where the term-dates CSV should be",
       err(["folder", "directory"]))


# -- config (TOML) ------------------------------------------------------------------------

BASE_TOML = """[area]
name = "hostile"
crs = "EPSG:27700"

[[incidents]]
path = "../street/street-ok.csv"
format = "police-street"
"""


def _area(line: str) -> str:
    """BASE_TOML with one more line in [area]."""
    return BASE_TOML.replace('crs = "EPSG:27700"\n', f'crs = "EPSG:27700"\n{line}\n')


def config_cases() -> None:
    def cf(name: str, text: Any, what: str, expect: dict[str, Any], file: str = "",
           **keys: Any) -> None:
        case(name, "config", f"config/{file or name + '.toml'}", text, what, expect,
             source="street-ok", **keys)

    cf("config-ok", BASE_TOML, "a small config", ok(4))
    cf("config-bom", b"\xef\xbb\xbf" + BASE_TOML.encode(), "saved with a BOM", ok(4))
    cf("config-nan", BASE_TOML + "\n[hotspots]\nbandwidth_m = nan\n", "bandwidth_m = nan",
       err("hotspots.bandwidth_m must be a finite number"))
    cf("config-inf", BASE_TOML + "\n[corridors]\nspeed_kmh = inf\n", "speed_kmh = inf",
       err("corridors.speed_kmh must be a finite number"))
    cf("config-week-0000", _area('week = "0000-W01"'), 'week = "0000-W01"',
       err("between 1990 and 2100"))
    cf("config-week-53", _area('week = "2021-W53"'), 'week = "2021-W53" (2021 has 52)',
       err("does not exist"))
    cf("config-unknown-key", BASE_TOML + "\n[hotspots]\nbandwith_m = 150\n", "a misspelt key",
       err("unknown key(s) ['bandwith_m']"))
    cf("config-invalid-toml", BASE_TOML + "\n[hotspots\nmethod = kde\n", "not TOML",
       err("not valid TOML"))
    cf("config-name-dotdot", BASE_TOML.replace('name = "hostile"', 'name = ".."'),
       'name = ".." (a path out of maps/)', err("area.name"))
    cf("config-languages-xx", BASE_TOML + '\n[maps]\nlanguages = ["en", "xx"]\n',
       'languages = ["en", "xx"]: no translation for xx', err("'xx'"))
    cf("config-encoding-bogus", BASE_TOML + 'encoding = "bogus"\n', 'encoding = "bogus"',
       err("unknown encoding 'bogus'"))
    cf("config-timezone", _area('timezone = "Mars/Olympus"'), "an unknown time zone",
       err("unknown time zone"))
    cf("config-string-number", _area('lookback_weeks = "52"'), 'lookback_weeks = "52" (a string)',
       err("area.lookback_weeks must be a whole number"))
    cf("config-missing-path", BASE_TOML.replace("street-ok.csv", "no-such-file.csv"),
       "a source path that does not exist", err("file not found"))
    cf("config-source-no-path", BASE_TOML.replace('path = "../street/street-ok.csv"\n', ""),
       "a source without path", err("'path'"))
    cf("config-empty", "", "an empty config: nothing to check", err(["no source", "sources: none"]))
    cf("config-cp1252", BASE_TOML.replace('"hostile"', '"hostile"\n# Café\n').encode("cp1252"),
       "cp1252 text", err("not UTF-8"))
    cf("config-utf16", BASE_TOML.encode("utf-16"), "UTF-16 text", err("not UTF-8"))
    cf("config-binary", BINARY, "binary bytes", err(["not UTF-8", "not valid TOML"]))
    cf("config-folder", _folder("A folder named .toml."), "a folder given as -c",
       err("is a folder"), file="folder.toml")
    cf("config-folder-env", None, "CORRIDORS_CONFIG pointing at a folder", err("is a folder"),
       file="folder.toml", via="env")


# fmt: on


# -- manifest -----------------------------------------------------------------------------

MANIFEST_HEAD = """\
# The hostile-input corpus: one case per [[case]], run by tests/test_hostile.py.
# GENERATED by tests/data/make_hostile_fixtures.py: edit the cases there and re-run it.
#
# name      unique id (the test id)
# kind      schools | hubs | incidents (a [[<kind>]] source), staff ([roster] staff),
#           term_dates ([hotspots] term_dates) or config (the file is the TOML given to -c,
#           or to CORRIDORS_CONFIG with via = "env")
# file      path under tests/data/hostile/ (a folder for the folder cases)
# what      what is hostile about it
# format, crs, columns, encoding, date_format, layer, geocode   the source's keys
# area_crs  [area] crs of the config the test writes (default EPSG:27700, explicit so a
#           case tests one thing; staff and term-dates cases get street/street-ok.csv as
#           incidents, hubs cases csv/schools-ok.csv as schools)
# outcome   "ok": validate exits 0 and the case's summary line reads
#               read = accepted + rejected, accepted = <accepted>, rejected by reason = <rejected>
#           "error": exit 1 with exactly one line "Error: <file>: <what>; <what was expected>"
#               holding <error> (a substring, or a list of substrings any of which will do)
# warning   (ok) a substring (or list) the output or the log must hold
# reject_lines  (ok) the file lines of the rejected rows, as the rejects CSV gives them
# source    (config) the summary line to check
# uses      other files of the case (geocode files)
# pending   the work this expectation waits for: the test is xfail(strict) until it lands,
#           then XPASSes and fails: remove the line.
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + (f" {items} " if items else "") + "}"
    raise TypeError(value)


def write_manifest() -> None:
    parts = [MANIFEST_HEAD]
    for c in CASES:
        lines = ["", "[[case]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in c.items()]
        parts.append("\n".join(lines) + "\n")
    (OUT / "cases.toml").write_text("".join(parts), encoding="utf-8")


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    street_cases()
    stop_search_cases()
    generic_cases()
    school_list_cases()
    geo_cases()
    osm_cases()
    staff_cases()
    term_cases()
    config_cases()
    write_manifest()
    kinds: dict[str, int] = {}
    for c in CASES:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    print(f"{len(CASES)} cases in {OUT}: {kinds}")


if __name__ == "__main__":
    main()
