"""The roster stage's input edge: the staff CSV, a written ``roster.csv`` and a week's loops.

CONTRACT:
- ``load_staff(path) -> Staff``; ``staff_for_config(cfg: RosterConfig) -> Staff`` (file +
  ``[[roster.people]]``)
- ``read_roster(path) -> Roster`` (a roster CSV written by ``write_roster_exports``);
  ``read_plan_loops(folder) -> Corridors`` (a week folder's loops/corridors GeoJSON, for a
  re-plan of a week planned earlier)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io as _stdio
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from corridors.config import RosterConfig
from corridors.errors import ConfigError, InputDataError
from corridors.load import check_usable
from corridors.outputs import read_csv
from corridors.roster.schema import (
    AIM_REASON,
    ASSIGNMENT_COLUMNS,
    CORRIDOR_ID,
    DATE,
    END,
    FILLED,
    LOOP_ID,
    PERSON_ID,
    PROBLEM,
    RISK,
    SLOT_COLUMNS,
    SLOT_ID,
    STAFF_OPTIONAL,
    STAFF_REQUIRED,
    START,
    Roster,
    Staff,
    _hhmm_to_min,
)
from corridors.roster.staff import _parse_staff, combine_staff, staff_from_records
from corridors.routes import Corridors


def load_staff(path: str | Path) -> Staff:
    """
    Read and validate a staff CSV (format in the module docstring).

    Parameters
    ----------
    path
        The staff CSV (UTF-8, ``#`` comment lines allowed).

    Returns
    -------
    Staff
        Accepted people, their availability and absences; rejected rows with reasons.

    Raises
    ------
    InputDataError
        If the file is missing, empty, not UTF-8, or lacks a required column.

    Examples
    --------
    >>> staff = load_staff("data/staff-example.csv")
    >>> staff.reports[0].read == staff.reports[0].accepted + sum(staff.reports[0].rejected.values())
    True
    """
    path = Path(path)
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder, not the staff CSV; check [roster].staff")
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: staff file not found; check [roster].staff") from exc
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read the staff file ({exc})") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputDataError(f"{path}: staff file is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in raw:
        raise InputDataError(
            f"{path}: is a binary file, not a staff CSV (UTF-8 text); check [roster].staff"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{path}: staff file is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from exc
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(_stdio.StringIO(text))
    try:
        for cells in reader:
            if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:  # e.g. a field over csv's 131,072-character limit
        raise InputDataError(
            f"{path}: line {reader.line_num}: not a well-formed staff CSV ({exc}); "
            "one person per line, fields of plain text"
        ) from exc
    if not rows:
        raise InputDataError(f"{path}: staff file is empty; it needs a header row and people")
    header_line, header = rows[0]
    header = [h.strip().lower() for h in header]
    missing = [c for c in STAFF_REQUIRED if c not in header]
    if missing:
        raise InputDataError(
            f"{path}: line {header_line}: staff file lacks column(s) {missing}; "
            f"the header must hold {list(STAFF_REQUIRED)} (optional {list(STAFF_OPTIONAL)}), "
            f"got {header}"
        )
    records = []
    for line, cells in rows[1:]:
        record = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        records.append((line, record))
    return _parse_staff(
        records, source="staff", file=str(path), sha256=hashlib.sha256(raw).hexdigest()
    )


def staff_for_config(cfg: RosterConfig, *, strict: bool = True) -> Staff:
    """
    Return the staff of ``cfg``: the ``staff`` file (if set) plus the ``people`` tables.

    With ``strict`` (the default), a staff file whose rows were all rejected is an error
    (``corridors validate`` passes False, reports every row, then checks).

    Raises
    ------
    ConfigError
        If neither ``[roster].staff`` nor ``[roster].people`` gives anybody.
    InputDataError
        If the staff file cannot be read, or (``strict``) every row of it was rejected.
    """
    parts = []
    if cfg.staff is not None:
        part = load_staff(cfg.staff)
        if strict:
            check_usable(part.reports, part.rejects)
        parts.append(part)
    if cfg.people:
        parts.append(staff_from_records(cfg.people))
    if not parts:
        raise ConfigError("[roster]: no staff; set roster.staff to a CSV or add [[roster.people]]")
    return combine_staff(*parts)


def read_roster(path: str | Path, *, timezone: str = "Europe/London") -> Roster:
    """
    Read a roster CSV written by :func:`write_roster_exports` (to pass as ``previous``).

    Only filled slots can be rebuilt from it; ``status`` is ``"READ"``.

    Raises
    ------
    InputDataError
        If the file is missing or lacks roster columns.
    """
    path = Path(path)
    try:
        df = read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: roster file not found; check [roster].previous") from exc
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputDataError(
            f"{path}: not a roster CSV ({exc}); use a roster.csv we wrote"
        ) from exc
    missing = [
        c for c in (DATE, START, END, LOOP_ID, CORRIDOR_ID, PERSON_ID) if c not in df.columns
    ]
    if missing:
        raise InputDataError(
            f"{path}: roster CSV lacks column(s) {missing}; use a roster.csv we wrote"
        )
    for c in ASSIGNMENT_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    try:
        df[DATE] = [dt.date.fromisoformat(d) for d in df[DATE]]
    except ValueError as exc:
        raise InputDataError(f"{path}: column 'date' must hold YYYY-MM-DD dates ({exc})") from exc
    df[SLOT_ID] = [
        s or f"{lp}@{d.isoformat()}"
        for s, lp, d in zip(df[SLOT_ID], df[LOOP_ID], df[DATE], strict=True)
    ]
    df = df[list(ASSIGNMENT_COLUMNS)]
    first = df.drop_duplicates(SLOT_ID)
    slots = pd.DataFrame({c: first[c] if c in first.columns else "" for c in SLOT_COLUMNS})
    slots["start_min"] = [_hhmm_to_min(t) for t in slots[START]]
    slots["end_min"] = [_hhmm_to_min(t) for t in slots[END]]
    slots["duration_min"] = slots["end_min"] - slots["start_min"]
    slots["school_names"] = ""
    slots[AIM_REASON] = "as read"
    slots[RISK] = 0.0
    slots[FILLED] = True
    slots[PROBLEM] = ""
    week = min(df[DATE]) - dt.timedelta(days=min(df[DATE]).weekday()) if len(df) else None
    return Roster(assignments=df.reset_index(drop=True), slots=slots.reset_index(drop=True),
                  problems=(), status="READ", objective=math.nan, bound=math.nan, gap=math.nan,
                  week_start=week, timezone=timezone)  # fmt: skip


def read_plan_loops(folder: str | Path, *, crs: str = "EPSG:27700") -> Corridors:
    """
    Read a week's ``loops.geojson`` and ``corridors.geojson`` back into ``Corridors``.

    For :func:`replan` from a week folder written by the pipeline (files in EPSG:4326, as
    ``corridors.routes.write_corridor_exports`` writes them); reprojected to ``crs``.

    Raises
    ------
    InputDataError
        If ``loops.geojson`` is missing or lacks the loop columns.
    """
    folder = Path(folder)
    path = folder / "loops.geojson"
    if not path.exists():
        raise InputDataError(f"{path}: no patrol loops for this week; run 'corridors plan' first")
    loops = gpd.read_file(path)
    missing = [c for c in (LOOP_ID, CORRIDOR_ID, "start_time", "duration_min") if c not in loops]
    if missing:
        raise InputDataError(f"{path}: lacks column(s) {missing}; re-run 'corridors plan'")
    for col in (LOOP_ID, CORRIDOR_ID):
        loops[col] = loops[col].astype(str)
    # GeoJSON readers turn "15:15" into a time of day ("15:15:00"): back to HH:MM
    loops["start_time"] = loops["start_time"].astype(str).str.slice(0, 5)
    cpath = folder / "corridors.geojson"
    cors = gpd.read_file(cpath) if cpath.exists() else gpd.GeoDataFrame(
        {CORRIDOR_ID: pd.Series([], dtype=str)}, geometry=[], crs="EPSG:4326")  # fmt: skip
    cors[CORRIDOR_ID] = cors[CORRIDOR_ID].astype(str)
    return Corridors(
        corridors=cors.to_crs(crs) if cors.crs is not None else cors.set_crs(crs),
        segments=gpd.GeoDataFrame(),
        loops=loops.to_crs(crs),
        unpatrolled=pd.DataFrame(),
        notes=(),
    )
