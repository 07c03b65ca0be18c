"""Weekly multi-agency patrol roster with a constraint solver.

CONTRACT:
- ``load_staff(path) -> Staff``; ``staff_for_config(cfg: RosterConfig) -> Staff`` (file +
  ``[[roster.people]]``); ``make_roster(corridors, staff, cfg: RosterConfig, *, week_start,
  previous=None, timezone="Europe/London") -> Roster``
- ``replan(rota, staff, absent_id, on_date, cfg, *, until=None) -> Replan``
- ``read_roster(path) -> Roster`` (a roster CSV written by :func:`write_roster_exports`);
  ``read_plan_loops(folder) -> Corridors`` (a week folder's loops/corridors GeoJSON)
- ``write_roster_exports(rota, corridors, folder) -> list[Path]``

The staff file
--------------
A UTF-8 CSV; lines starting with ``#`` are comments. Columns (``person_id``, ``name``,
``agency`` and ``availability`` are required). Line breaks, tabs and other control
characters in a cell become single spaces (:func:`clean_text`); a cell of nothing but
control characters rejects its row.

``person_id``
    Unique id (text).
``name``
    Display name.
``agency``
    One of :data:`AGENCIES` or an alias (``"PCSO"``, ``"ward officer"``, ``"CAMHS"``...).
``schools``
    Schools the person is linked to, ``;``-joined. Each entry is matched
    case-insensitively against a corridor's school ids (``"osm:way/101238684"``) **or**
    school names (``"Catmose College"``): either works.
``availability``
    Weekly availability, ``;``-joined entries ``<days> <HH:MM>-<HH:MM>``, where days are
    ``Mon``, ``Mon-Fri`` or ``Mon/Wed/Fri`` (local time).
``absences``
    Dated absences (whole days), ``;``-joined ``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``.
``max_hours_week``
    Maximum patrol hours in the week (default 6).
``with_police``
    ``yes``/``no``: will this person patrol alongside police (default ``yes``)?

Slots
-----
Each patrol loop is walked once on each day of ``RosterConfig.days``: a slot is loop x
day, starting at the loop's ``start_time``, lasting ``duration_min`` rounded up to
``slot_round_min`` (15) minutes plus ``briefing_min`` (0). Slots that do not fit the
``window_start``-``window_end`` window (15:00-18:00) are not rostered and are reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io as _stdio
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from corridors.config import RosterConfig
from corridors.errors import ConfigError, InputDataError
from corridors.load import REJECT_COLUMNS, SourceReport, check_usable
from corridors.lprelax import Relaxation, lp_relaxation
from corridors.outputs import atomic_open, read_csv, write_csv, write_text

logger = logging.getLogger(__name__)

# -- column names ------------------------------------------------------------------------
PERSON_ID = "person_id"
PERSON_NAME = "name"
AGENCY = "agency"
SCHOOLS = "schools"
AVAILABILITY = "availability"
ABSENCES = "absences"
MAX_HOURS = "max_hours_week"
WITH_POLICE = "with_police"
SOURCE_LINE = "source_line"
WEEKDAY = "weekday"
START = "start"
END = "end"
FIRST_DATE = "first_date"
LAST_DATE = "last_date"
SLOT_ID = "slot_id"
DATE = "date"
DAY = "day"
LOOP_ID = "loop_id"
CORRIDOR_ID = "corridor_id"
CORRIDOR_NAME = "corridor_name"
MEETING_POINT = "meeting_point"
AIM = "aim"
AIM_REASON = "aim_reason"
TEAM = "team"
RISK = "risk"
FILLED = "filled"
POLICE_CONTACT = "police_contact"
POLICE_CONTACT_ID = "police_contact_id"
PROBLEM = "problem"

STAFF_REQUIRED = (PERSON_ID, PERSON_NAME, AGENCY, AVAILABILITY)
STAFF_OPTIONAL = (SCHOOLS, ABSENCES, MAX_HOURS, WITH_POLICE)
ASSIGNMENT_COLUMNS = (
    DATE, DAY, START, END, LOOP_ID, CORRIDOR_ID, CORRIDOR_NAME, MEETING_POINT, AIM,
    PERSON_ID, PERSON_NAME, AGENCY, TEAM, POLICE_CONTACT, SLOT_ID, "school_ids",
)  # fmt: skip
SLOT_COLUMNS = (
    SLOT_ID, DATE, DAY, START, END, "start_min", "end_min", "duration_min", LOOP_ID,
    CORRIDOR_ID, CORRIDOR_NAME, "school_ids", "school_names", MEETING_POINT, AIM, AIM_REASON,
    RISK, FILLED, POLICE_CONTACT, TEAM, PROBLEM,
)  # fmt: skip
CHANGE_COLUMNS = (
    "change", DATE, DAY, START, END, SLOT_ID, LOOP_ID, CORRIDOR_NAME, PERSON_ID, PERSON_NAME,
    AGENCY,
)  # fmt: skip

AIMS = ("deterrence", "reassurance", "engagement", "safeguarding")
AGENCIES: Mapping[str, str] = {
    "police_officer": "police officer",
    "school_officer": "school-linked officer",
    "pcso": "PCSO",
    "youth_worker": "youth worker",
    "school_staff": "school staff",
    "health": "health worker",
    "volunteer": "volunteer",
    "other": "other",
}
_AGENCY_ALIASES = {
    "police": "police_officer", "police officer": "police_officer",
    "ward officer": "police_officer", "police ward officer": "police_officer",
    "neighbourhood officer": "police_officer", "pc": "police_officer",
    "school officer": "school_officer", "school linked officer": "school_officer",
    "slo": "school_officer", "safer schools officer": "school_officer",
    "police community support officer": "pcso",
    "youth worker": "youth_worker", "youth": "youth_worker", "youth service": "youth_worker",
    "school staff": "school_staff", "teacher": "school_staff", "school": "school_staff",
    "health": "health", "health worker": "health", "camhs": "health", "nurse": "health",
    "school nurse": "health", "camhs worker": "health",
    "volunteer": "volunteer", "street pastor": "volunteer",
}  # fmt: skip
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_RANGE = re.compile(r"^(?P<days>[a-z]+(?:\s*-\s*[a-z]+)?(?:\s*/\s*[a-z]+(?:\s*-\s*[a-z]+)?)*)"
                    r"\s+(?P<a>\d{1,2}:\d{2})\s*-\s*(?P<b>\d{1,2}:\d{2})$")  # fmt: skip
_DEFAULT_MAX_HOURS = 6.0


@dataclass(frozen=True)
class Staff:
    """People who can patrol, with their weekly availability and absences.

    ``people``: one row per person: person_id, name, agency (a key of :data:`AGENCIES`),
    schools (``;``-joined names or ids as given), max_hours_week (hours), with_police (bool),
    source_line (1-based line in the file, header included). ``availability``: person_id,
    weekday (0 = Monday), start, end ("HH:MM" local). ``absences``: person_id, first_date,
    last_date (``datetime.date``, inclusive). ``rejects`` has columns ``REJECT_COLUMNS``.
    """

    people: pd.DataFrame
    availability: pd.DataFrame
    absences: pd.DataFrame
    reports: tuple[SourceReport, ...]
    rejects: pd.DataFrame


@dataclass(frozen=True)
class Roster:
    """Who walks which loop when.

    ``assignments``: one row per person per patrol: person_id, name, agency, date, day,
    start, end, loop_id, corridor_id, meeting_point, aim, team (plus corridor_name,
    police_contact, slot_id, school_ids). ``slots``: one row per patrol slot: slot_id, date,
    day, start, end, loop_id, corridor_id, aim, filled (bool), police_contact, problem (plus
    the columns of ``SLOT_COLUMNS``: times in minutes after midnight, risk, school ids and
    names, aim_reason, team). ``problems``: plain-words explanations of unmet rules.
    ``status`` is the CP-SAT status name ("OPTIMAL", "FEASIBLE", ...); ``objective`` and
    ``bound`` are the solver's objective (maximised) and best bound; ``gap`` is
    ``|bound - objective| / max(1, |objective|)``. The solve is lexicographic: phase 1 fills
    the riskiest slots (``fill_gap`` is its gap), phase 2 keeps that fill and optimises the
    rest; ``objective``/``bound``/``gap`` are phase 2's, on the whole objective.
    """

    assignments: pd.DataFrame
    slots: pd.DataFrame
    problems: tuple[str, ...]
    status: str
    objective: float
    bound: float
    gap: float
    week_start: dt.date | None = None
    timezone: str = "Europe/London"
    solve_seconds: float = 0.0
    fill_gap: float = 0.0


@dataclass(frozen=True)
class Replan:
    """A re-planned roster and exactly what changed.

    ``changes``: one row per removed or added assignment (columns ``CHANGE_COLUMNS``,
    ``change`` is "removed" or "added"); ``messages``: the same in plain words, one per slot.
    """

    roster: Roster
    changes: pd.DataFrame
    messages: tuple[str, ...]


# -- staff ------------------------------------------------------------------------------


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


def staff_from_records(
    records: Sequence[Mapping[str, Any]], *, name: str = "[roster].people"
) -> Staff:
    """
    Validate staff given as mappings (the ``[roster].people`` config tables).

    Parameters
    ----------
    records
        One mapping per person, with the staff CSV's column names as keys.
    name
        Where they came from, used as the file name in rejects.

    Returns
    -------
    Staff
        As :func:`load_staff`; ``source_line`` is the 1-based position in ``records``.
    """
    rows = []
    for i, rec in enumerate(records, start=1):
        clean = {str(k).strip().lower(): "" if v is None else _cell_text(v) for k, v in rec.items()}
        rows.append((i, clean))
    digest = hashlib.sha256(
        json.dumps([dict(r) for _, r in rows], sort_keys=True).encode()
    ).hexdigest()
    return _parse_staff(rows, source="staff", file=name, sha256=digest)


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


def combine_staff(*parts: Staff) -> Staff:
    """Merge several :class:`Staff`; a person id seen earlier wins and later ones are rejected."""
    people: list[pd.DataFrame] = []
    avail: list[pd.DataFrame] = []
    absent: list[pd.DataFrame] = []
    rejects: list[Any] = []
    reports: list[SourceReport] = []
    seen: set[str] = set()
    for part in parts:
        dup = part.people[PERSON_ID].isin(seen)
        for _, row in part.people[dup].iterrows():
            rejects.append(_reject(part.reports[0].path, int(row[SOURCE_LINE]), PERSON_ID,
                                   "person_id already used in an earlier staff source; "
                                   "give a unique id", row[PERSON_ID]))  # fmt: skip
        keep = part.people[~dup]
        ids = set(keep[PERSON_ID])
        seen |= ids
        people.append(keep)
        avail.append(part.availability[part.availability[PERSON_ID].isin(ids)])
        absent.append(part.absences[part.absences[PERSON_ID].isin(ids)])
        rejects.append(part.rejects)
        reports.extend(part.reports)
    rej = pd.concat([r if isinstance(r, pd.DataFrame) else pd.DataFrame([r]) for r in rejects],
                    ignore_index=True)  # fmt: skip
    return Staff(
        people=pd.concat(people, ignore_index=True),
        availability=pd.concat(avail, ignore_index=True),
        absences=pd.concat(absent, ignore_index=True),
        reports=tuple(reports),
        rejects=rej.reindex(columns=list(REJECT_COLUMNS)),
    )


def add_absence(staff: Staff, person_id: str, first: dt.date, last: dt.date | None = None) -> Staff:
    """Return ``staff`` with one more whole-day absence (``first``..``last`` inclusive)."""
    if person_id not in set(staff.people[PERSON_ID]):
        raise InputDataError(
            f"no person with person_id {person_id!r} in the staff; "
            f"use one of {sorted(staff.people[PERSON_ID])[:10]}"
        )
    row = pd.DataFrame([{PERSON_ID: person_id, FIRST_DATE: first, LAST_DATE: last or first}])
    return replace(staff, absences=pd.concat([staff.absences, row], ignore_index=True))


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value).strip()


def _reject(file: str, line: int, column: str, reason: str, value: Any) -> dict[str, Any]:
    return {"source": "staff", "file": file, "line": line, "column": column, "reason": reason,
            "value": str(value)}  # fmt: skip


def normalise_agency(text: str) -> str | None:
    """
    Return the canonical agency key for ``text``, or ``None`` if it is unknown.

    Examples
    --------
    >>> normalise_agency("Police Ward Officer"), normalise_agency("CAMHS"), normalise_agency("x")
    ('police_officer', 'health', None)
    """
    key = re.sub(r"\s+", " ", text.strip().lower().replace("-", " ").replace("_", " "))
    if key.replace(" ", "_") in AGENCIES:
        return key.replace(" ", "_")
    return _AGENCY_ALIASES.get(key)


def _hhmm_to_min(text: str) -> int:
    h, m = text.split(":")
    hh, mm = int(h), int(m)
    if not (0 <= hh <= 24 and 0 <= mm < 60) or hh * 60 + mm > 24 * 60:
        raise ValueError(text)
    return hh * 60 + mm


def _min_to_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_index(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in _DAYS or not _DAY_NAMES[_DAYS.index(key)].lower().startswith(
        text.strip().lower()
    ):
        raise ValueError(text)
    return _DAYS.index(key)


def parse_availability(text: str) -> list[tuple[int, int, int]]:
    """
    Parse weekly availability into ``(weekday, start_min, end_min)`` ranges.

    Examples
    --------
    >>> parse_availability("Mon-Wed 15:00-18:00; Fri 15:30-17:00")[-1]
    (4, 930, 1020)
    """
    out: list[tuple[int, int, int]] = []
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        m = _RANGE.match(entry.lower())
        if not m:
            raise ValueError(f"{entry!r} is not '<days> HH:MM-HH:MM' (e.g. 'Mon-Fri 15:00-18:00')")
        try:
            a, b = _hhmm_to_min(m["a"]), _hhmm_to_min(m["b"])
        except ValueError as exc:
            raise ValueError(f"{entry!r} has an impossible time") from exc
        if b <= a:
            raise ValueError(f"{entry!r} ends before it starts")
        for part in m["days"].split("/"):
            ends = [p.strip() for p in part.split("-")]
            try:
                first, last = _day_index(ends[0]), _day_index(ends[-1])
            except ValueError as exc:
                raise ValueError(f"{entry!r}: unknown day {exc.args[0]!r} (use Mon..Sun)") from exc
            if last < first:
                raise ValueError(f"{entry!r}: day range {part!r} runs backwards")
            out.extend((d, a, b) for d in range(first, last + 1))
    if not out:
        raise ValueError("availability is empty; give e.g. 'Mon-Fri 15:00-18:00'")
    return out


def _parse_absences(text: str) -> list[tuple[dt.date, dt.date]]:
    out = []
    for entry in (e.strip() for e in text.split(";")):
        if not entry:
            continue
        ends = [p.strip() for p in entry.split("..")]
        try:
            first = dt.date.fromisoformat(ends[0])
            last = dt.date.fromisoformat(ends[-1])
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not 'YYYY-MM-DD' or 'YYYY-MM-DD..YYYY-MM-DD'") from exc
        if len(ends) > 2 or last < first:
            raise ValueError(f"{entry!r} is not a forward date range")
        out.append((first, last))
    return out


#: Control characters (C0, DEL, C1) and Unicode line/paragraph separators.
_CONTROL_CHARS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
#: A run of control characters with the white space around it: one space in staff text.
_CONTROL_RUN = re.compile(rf"\s*[{_CONTROL_CHARS}]+\s*")
_CONTROL_CHAR = re.compile(rf"[{_CONTROL_CHARS}]")


def clean_text(text: str) -> str:
    r"""
    Return ``text`` with each run of control characters (line breaks, tabs...) as one space.

    Staff text is cleaned on loading, so names and other fields never carry a line break or
    another control character into a CSV, calendar or web page.

    Examples
    --------
    >>> clean_text(" Ann \r\n Smith\t")
    'Ann Smith'
    """
    return _CONTROL_RUN.sub(" ", text).strip()


def _visible(text: str) -> str:
    r"""
    Return ``text`` with its control characters written as escapes (for reject reports).

    Examples
    --------
    >>> _visible("a\x07\r\nb")
    'a\\x07\\r\\nb'
    """
    return _CONTROL_CHAR.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def _parse_staff(
    records: Sequence[tuple[int, Mapping[str, str]]], *, source: str, file: str, sha256: str
) -> Staff:
    people: list[dict[str, Any]] = []
    avail: list[dict[str, Any]] = []
    absences: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    seen: set[str] = set()
    counts: dict[str, int] = defaultdict(int)

    def bad(line: int, column: str, reason: str, value: Any) -> None:
        rejects.append(_reject(file, line, column, reason, value))
        counts[column] += 1

    cleaned = 0
    for line, raw in records:
        rec = {k: clean_text(v) for k, v in raw.items()}
        cleaned += sum(rec[k] != v.strip() for k, v in raw.items())
        emptied = [c for c in (*STAFF_REQUIRED, *STAFF_OPTIONAL)
                   if raw.get(c, "").strip() and not rec.get(c)]  # fmt: skip
        if emptied:
            bad(line, emptied[0], f"{emptied[0]} holds only control characters (line breaks, "
                "tabs...); write it as plain text", _visible(raw[emptied[0]]))  # fmt: skip
            continue
        pid = rec.get(PERSON_ID, "").strip()
        name = rec.get(PERSON_NAME, "").strip()
        if not pid:
            bad(line, PERSON_ID, "person_id is empty; give every person a unique id", pid)
            continue
        if pid in seen:
            bad(line, PERSON_ID, "person_id used twice; give every person a unique id", pid)
            continue
        if not name:
            bad(line, PERSON_NAME, "name is empty; give the person's display name", name)
            continue
        agency = normalise_agency(rec.get(AGENCY, ""))
        if agency is None:
            bad(line, AGENCY, f"unknown agency; use one of {list(AGENCIES)}", rec.get(AGENCY, ""))
            continue
        try:
            ranges = parse_availability(rec.get(AVAILABILITY, ""))
        except ValueError as exc:
            bad(line, AVAILABILITY, str(exc), rec.get(AVAILABILITY, ""))
            continue
        try:
            off = _parse_absences(rec.get(ABSENCES, ""))
        except ValueError as exc:
            bad(line, ABSENCES, str(exc), rec.get(ABSENCES, ""))
            continue
        hours_text = rec.get(MAX_HOURS, "").strip()
        try:
            hours = float(hours_text) if hours_text else _DEFAULT_MAX_HOURS
        except ValueError:
            hours = math.nan
        if not (0 < hours <= 60):
            bad(line, MAX_HOURS, "max_hours_week must be a number of hours in (0, 60]", hours_text)
            continue
        wp = rec.get(WITH_POLICE, "").strip().lower()
        if wp and wp not in _YES | _NO:
            bad(line, WITH_POLICE, "with_police must be yes or no", rec.get(WITH_POLICE, ""))
            continue
        seen.add(pid)
        people.append({
            PERSON_ID: pid, PERSON_NAME: name, AGENCY: agency,
            SCHOOLS: ";".join(s.strip() for s in rec.get(SCHOOLS, "").split(";") if s.strip()),
            MAX_HOURS: hours, WITH_POLICE: wp not in _NO, SOURCE_LINE: line,
        })  # fmt: skip
        avail.extend({PERSON_ID: pid, WEEKDAY: d, START: _min_to_hhmm(a), END: _min_to_hhmm(b)}
                     for d, a, b in ranges)  # fmt: skip
        absences.extend({PERSON_ID: pid, FIRST_DATE: a, LAST_DATE: b} for a, b in off)
    if cleaned:
        logger.warning("Staff %s: %d cells held line breaks, tabs or other control characters; "
                       "each run was replaced by one space", file, cleaned)  # fmt: skip
    report = SourceReport(kind="staff", name=Path(file).name, path=file, read=len(records),
                          accepted=len(people), rejected=dict(counts), sha256=sha256)  # fmt: skip
    people_df = pd.DataFrame(people, columns=[PERSON_ID, PERSON_NAME, AGENCY, SCHOOLS, MAX_HOURS,
                                              WITH_POLICE, SOURCE_LINE])  # fmt: skip
    people_df[WITH_POLICE] = people_df[WITH_POLICE].astype(bool)
    logger.info("Read staff %s: %d people accepted, %d rejected", file, len(people), len(rejects))
    return Staff(
        people=people_df,
        availability=pd.DataFrame(avail, columns=[PERSON_ID, WEEKDAY, START, END]),
        absences=pd.DataFrame(absences, columns=[PERSON_ID, FIRST_DATE, LAST_DATE]),
        reports=(report,),
        rejects=pd.DataFrame(rejects, columns=list(REJECT_COLUMNS)),
    )


# -- aims and slots --------------------------------------------------------------------------


def choose_aim(offences: Mapping[str, float] | str | None, cfg: RosterConfig) -> tuple[str, str]:
    """
    Choose a patrol aim from a corridor's offence counts; return ``(aim, reason)``.

    Deterrence when violence, robbery and weapons make at least ``deterrence_share`` of at
    least ``deterrence_min_incidents`` incidents; else safeguarding when drugs make
    ``safeguarding_share``; else reassurance
    with at least ``reassurance_min_incidents`` incidents; else engagement.

    Examples
    --------
    >>> choose_aim({"Violence and sexual offences": 16, "Anti-social behaviour": 4},
    ...            RosterConfig())[0]
    'deterrence'
    >>> choose_aim('{"Anti-social behaviour": 2}', RosterConfig())[0]
    'engagement'
    """
    if isinstance(offences, str):
        try:
            offences = json.loads(offences) if offences.strip() else {}
        except json.JSONDecodeError:
            offences = {}
    counts = {str(k).lower(): float(v) for k, v in (offences or {}).items()}
    total = sum(counts.values())
    if total <= 0:
        return "engagement", "no after-school incidents recorded near it"
    viol = sum(v for k, v in counts.items() if any(w in k for w in cfg.deterrence_offences))
    drugs = sum(v for k, v in counts.items() if any(w in k for w in cfg.safeguarding_offences))
    if viol / total >= cfg.deterrence_share and total >= cfg.deterrence_min_incidents:
        return "deterrence", f"{viol:g} of {total:g} incidents are violence, robbery or weapons"
    if drugs / total >= cfg.safeguarding_share:
        return "safeguarding", f"{drugs:g} of {total:g} incidents are drugs offences"
    if total >= cfg.reassurance_min_incidents:
        return "reassurance", f"{total:g} incidents, mostly not violent"
    return "engagement", f"only {total:g} incidents"


def _split(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    if isinstance(text, (list, tuple)):
        return [str(t).strip() for t in text if str(t).strip()]
    return [t.strip() for t in str(text).split(";") if t.strip()]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def unknown_school_links(staff: Staff, *, ids: Iterable[Any], names: Iterable[Any]) -> list[str]:
    """
    Return ``"<person_id> -> '<link>'"`` for each staff link that names no known school.

    Links are matched like the roster matches them (case and spacing ignored), against
    the schools' ids and names.
    """
    known = {_key(str(v)) for v in ids} | {_key(str(v)) for v in names}
    return [
        f"{row.person_id} -> {link!r}"
        for row in staff.people.itertuples(index=False)
        for link in _split(getattr(row, SCHOOLS))
        if _key(link) not in known
    ]


def build_slots(
    corridors: Any, cfg: RosterConfig, *, week_start: dt.date
) -> tuple[pd.DataFrame, list[str]]:
    """
    Turn a week's patrol loops into patrol slots (loop x day), each with an aim.

    Parameters
    ----------
    corridors
        A :class:`corridors.routes.Corridors` (``loops`` and ``corridors`` frames).
    cfg
        Days, window, rounding and aim rules.
    week_start
        The Monday of the week.

    Returns
    -------
    tuple
        The slots frame (columns ``SLOT_COLUMNS``) and notes about loops left out.
    """
    loops = corridors.loops
    cors = corridors.corridors.set_index(CORRIDOR_ID) if len(corridors.corridors) else None
    win_a, win_b = _hhmm_to_min(cfg.window_start), _hhmm_to_min(cfg.window_end)
    notes, rows = [], []
    for _, loop in loops.iterrows():
        cid = str(loop[CORRIDOR_ID])
        cor = cors.loc[cid] if cors is not None and cid in cors.index else None
        names = _split(cor["school_names"]) if cor is not None and "school_names" in cor else []
        ids = _split(loop.get("school_ids")) or (
            _split(cor["school_ids"]) if cor is not None else []
        )
        if cid in cfg.aims:
            aim, why = cfg.aims[cid], "set in the config ([roster].aims)"
        else:
            aim, why = choose_aim(
                cor["offences"] if cor is not None and "offences" in cor else None, cfg
            )
        risk = float(loop.get("risk_covered", 0.0) or 0.0)
        if math.isnan(risk):
            risk = 0.0
        try:
            start = _hhmm_to_min(str(loop["start_time"]))
        except ValueError as exc:
            raise InputDataError(
                f"loops: loop {loop[LOOP_ID]!r} has start_time {loop['start_time']!r}; "
                f"it must be 'HH:MM'"
            ) from exc
        dur = int(math.ceil(float(loop["duration_min"]) / cfg.slot_round_min) * cfg.slot_round_min)
        dur += cfg.briefing_min
        start -= cfg.briefing_min
        label = (" & ".join(names) if names else cid) + " corridor"
        if start < win_a or start + dur > win_b:
            notes.append(
                f"Loop {loop[LOOP_ID]} ({label}) runs {_min_to_hhmm(start)}-"
                f"{_min_to_hhmm(start + dur)}, outside the patrol window "
                f"{cfg.window_start}-{cfg.window_end}: not rostered. Move its start time or "
                f"widen [roster].window_start/window_end."
            )
            continue
        for d in sorted(cfg.days):
            date = week_start + dt.timedelta(days=d)
            rows.append({
                SLOT_ID: f"{loop[LOOP_ID]}@{date.isoformat()}", DATE: date, DAY: _DAY_NAMES[d],
                START: _min_to_hhmm(start), END: _min_to_hhmm(start + dur), "start_min": start,
                "end_min": start + dur, "duration_min": dur, LOOP_ID: str(loop[LOOP_ID]),
                CORRIDOR_ID: cid, CORRIDOR_NAME: label, "school_ids": ";".join(ids),
                "school_names": ";".join(names), MEETING_POINT: str(loop.get(MEETING_POINT, "")),
                AIM: aim, AIM_REASON: why, RISK: risk, FILLED: False, POLICE_CONTACT: "",
                TEAM: "", PROBLEM: "",
            })  # fmt: skip
    slots = pd.DataFrame(rows, columns=list(SLOT_COLUMNS))
    slots = slots.sort_values([DATE, "start_min", SLOT_ID], kind="stable").reset_index(drop=True)
    return slots, notes


# -- solver ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    pid: str
    name: str
    agency: str
    keys: frozenset[str]
    max_min: int
    with_police: bool
    ranges: Mapping[int, tuple[tuple[int, int], ...]]
    off: tuple[tuple[dt.date, dt.date], ...]

    def absent(self, date: dt.date) -> bool:
        return any(a <= date <= b for a, b in self.off)

    def covers(self, weekday: int, a: int, b: int) -> bool:
        return any(x <= a and b <= y for x, y in _merge(self.ranges.get(weekday, ())))


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _people(staff: Staff) -> list[_Person]:
    ranges: dict[str, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for pid, wd, a, b in staff.availability[[PERSON_ID, WEEKDAY, START, END]].itertuples(
        index=False
    ):
        ranges[str(pid)][int(wd)].append((_hhmm_to_min(a), _hhmm_to_min(b)))
    off: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for pid, a, b in staff.absences[[PERSON_ID, FIRST_DATE, LAST_DATE]].itertuples(index=False):
        off[str(pid)].append((pd.Timestamp(a).date(), pd.Timestamp(b).date()))
    out = []
    for row in staff.people.itertuples(index=False):
        pid = str(getattr(row, PERSON_ID))
        out.append(_Person(
            pid=pid, name=str(getattr(row, PERSON_NAME)), agency=str(getattr(row, AGENCY)),
            keys=frozenset(_key(s) for s in _split(getattr(row, SCHOOLS))),
            max_min=round(float(getattr(row, MAX_HOURS)) * 60),
            with_police=bool(getattr(row, WITH_POLICE)),
            ranges={d: tuple(v) for d, v in ranges[pid].items()}, off=tuple(off[pid]),
        ))  # fmt: skip
    return sorted(out, key=lambda p: p.pid)


def _slot_keys(slot: Mapping[Any, Any]) -> frozenset[str]:
    return frozenset(_key(s) for s in _split(slot["school_ids"]) + _split(slot["school_names"]))


def _candidate(p: _Person, slot: Mapping[Any, Any]) -> bool:
    date = slot[DATE]
    return (not p.absent(date) and p.covers(date.weekday(), slot["start_min"], slot["end_min"])
            and p.max_min >= slot["duration_min"])  # fmt: skip


def _team_ok(
    slot: Mapping[Any, Any], team: Sequence[_Person], people: Sequence[_Person], cfg: RosterConfig
) -> bool:
    """Return whether ``team`` meets every make-up rule of ``slot``."""
    police, officers = set(cfg.police_agencies), set(cfg.officer_agencies)
    agencies = [p.agency for p in team]
    n_police = sum(a in police for a in agencies)
    need = cfg.aim_needs_one_of.get(slot[AIM])
    return (
        cfg.min_team <= len(team) <= cfg.max_team
        and sum(a in officers for a in agencies) >= cfg.aim_min_officers.get(slot[AIM], 0)
        and n_police >= cfg.aim_min_police.get(slot[AIM], 0)
        and (not need or any(a in need for a in agencies))
        and (n_police > 0 or (any(a in cfg.no_police_needs for a in agencies)
                              and bool(_contacts(people, slot, police))))
        and (n_police == 0 or all(p.with_police or p.agency in police for p in team))
    )  # fmt: skip


def _greedy_team(
    s: Mapping[Any, Any], free: Sequence[_Person], people: Sequence[_Person], cfg: RosterConfig
) -> list[_Person]:
    """Pick a team for one slot from ``free`` (best first), rule by rule."""
    police, officers = set(cfg.police_agencies), set(cfg.officer_agencies)
    team: list[_Person] = []

    def take(pred: Any, n: int = 1) -> None:
        for p in free:
            if n <= 0:
                return
            if p not in team and pred(p):
                team.append(p)
                n -= 1

    def has_police() -> bool:
        return any(q.agency in police for q in team)

    take(lambda p: p.agency in officers, cfg.aim_min_officers.get(s[AIM], 0))
    take(
        lambda p: p.agency in police,
        cfg.aim_min_police.get(s[AIM], 0) - sum(p.agency in police for p in team),
    )
    need = cfg.aim_needs_one_of.get(s[AIM])
    if need and not any(p.agency in need for p in team):
        take(lambda p: p.agency in need and (p.with_police or not has_police()))
    if not has_police():
        if _contacts(people, s, police) and any(p.agency in cfg.no_police_needs for p in free):
            if not any(p.agency in cfg.no_police_needs for p in team):
                take(lambda p: p.agency in cfg.no_police_needs)
            take(lambda p: p.agency not in police, cfg.min_team - len(team))
        else:
            take(lambda p: p.agency in police and all(q.with_police for q in team))
    with_police = has_police()
    take(lambda p: p.with_police or p.agency in police or not with_police, cfg.min_team - len(team))
    return team


def _greedy(
    slots: pd.DataFrame, people: Sequence[_Person], cfg: RosterConfig, used_min: Mapping[str, int]
) -> dict[str, list[str]]:
    """Return a quick legal plan (riskiest slots first) to start the solver from."""
    used = defaultdict(int, used_min)
    busy: dict[tuple[str, dt.date], list[tuple[int, int]]] = defaultdict(list)
    chosen: dict[str, list[str]] = {}
    recs = sorted(
        slots.to_dict("records"), key=lambda s: (-float(s[RISK]), s[DATE], s["start_min"])
    )
    for s in recs:
        a, b, keys = s["start_min"], s["end_min"], _slot_keys(s)
        free = [
            p
            for p in people
            if _candidate(p, s)
            and used[p.pid] + s["duration_min"] <= p.max_min
            and not any(x < b and a < y for x, y in busy[p.pid, s[DATE]])
        ]
        free.sort(key=lambda p: (not (p.keys & keys), used[p.pid] - p.max_min, p.pid))
        team = _greedy_team(s, free, people, cfg)
        if _team_ok(s, team, people, cfg):
            chosen[s[SLOT_ID]] = [p.pid for p in team]
            for p in team:
                used[p.pid] += s["duration_min"]
                busy[p.pid, s[DATE]].append((a, b))
    return chosen


@dataclass
class _Solved:
    chosen: dict[str, list[str]]  # slot id -> person ids
    status: str
    objective: float
    bound: float
    seconds: float
    fill_gap: float = 0.0


def _solve(
    slots: pd.DataFrame,
    people: list[_Person],
    cfg: RosterConfig,
    *,
    prev_pairs: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    keep: Mapping[tuple[str, str], int] | None = None,
    used_min: Mapping[str, int] | None = None,
    hint: Mapping[str, Sequence[str]] | None = None,
) -> _Solved:
    """Assign people to slots with CP-SAT (see :func:`make_roster` for the model)."""
    from ortools.sat.python import cp_model

    keep = keep or {}
    used_min = used_min or {}
    model = cp_model.CpModel()
    police = set(cfg.police_agencies)
    officers = set(cfg.officer_agencies)
    max_risk = max([float(r) for r in slots[RISK]] + [1e-9])
    recs = slots.to_dict("records")
    by_id = {p.pid: p for p in people}
    x: dict[tuple[str, str], Any] = {}
    filled: dict[str, Any] = {}
    primary: list[tuple[int, Any]] = []  # fill by risk (and, re-planning, the cost of changes)
    per_person: dict[str, list[str]] = defaultdict(list)
    hps: dict[str, tuple[Any, list[Any]]] = {}  # slot -> "police on it", its police x
    implied: list[int] = []  # constraints the others imply in a full LP (CP-SAT's leaves some out)
    bonus: dict[tuple[str, str], int] = {}  # phase 2's per-assignment term
    secondary: list[tuple[int, Any]] = []  # phase 2's terms: coefficient, variable
    for s in recs:
        sid = s[SLOT_ID]
        f = model.new_bool_var(f"f[{sid}]")
        filled[sid] = f
        cands = [
            p
            for p in people
            if _candidate(p, s) and used_min.get(p.pid, 0) + s["duration_min"] <= p.max_min
        ]
        for p in cands:
            x[p.pid, sid] = model.new_bool_var(f"x[{p.pid},{sid}]")
            per_person[p.pid].append(sid)
        xs = [x[p.pid, sid] for p in cands]
        model.add(sum(xs) >= cfg.min_team * f)
        model.add(sum(xs) <= cfg.max_team * f)
        pol = [x[p.pid, sid] for p in cands if p.agency in police]
        off = [x[p.pid, sid] for p in cands if p.agency in officers]
        k = cfg.aim_min_officers.get(s[AIM], 0)
        if k:
            model.add(sum(off) >= k * f)
        k = cfg.aim_min_police.get(s[AIM], 0)
        if k:
            model.add(sum(pol) >= k * f)
        need = cfg.aim_needs_one_of.get(s[AIM])
        if need:
            model.add(sum(x[p.pid, sid] for p in cands if p.agency in need) >= f)
        hp = model.new_bool_var(f"hp[{sid}]")
        hps[sid] = (hp, pol)
        if pol:
            model.add(sum(pol) >= hp)
            for v in pol:  # tight link: any police on the patrol -> hp
                model.add_implication(v, hp)
        else:
            model.add(hp == 0)
        # no police on the patrol -> it needs a youth worker (or the configured agencies)...
        youth = [x[p.pid, sid] for p in cands if p.agency in cfg.no_police_needs]
        model.add(sum(youth) + hp >= f)
        model.add(sum(youth) + sum(pol) >= f)  # redundant, tightens the LP
        # ... and a named police contact for the slot; with nobody to name, police must walk.
        if not _contacts(people, s, police):
            model.add(hp >= f)
        for p in cands:
            if not p.with_police and p.agency not in police:
                model.add_implication(x[p.pid, sid], hp.Not())
                for q in pol:  # pairwise form of the same rule (tighter LP in CP-SAT)
                    implied.append(model.add_bool_or([x[p.pid, sid].Not(), q.Not()]).index)
        weight = cfg.weight_fill + round(cfg.weight_risk * float(s[RISK]) / max_risk)
        primary.append((weight, f))
        keys = _slot_keys(s)
        for p in cands:
            w = -cfg.weight_person
            if p.keys & keys:
                w += cfg.weight_familiar * (2 if p.agency in officers else 1)
            if (p.pid, s[LOOP_ID]) in prev_pairs or (p.pid, s[CORRIDOR_ID]) in prev_pairs:
                w += cfg.weight_previous
            secondary.append((w + cfg.weight_person, x[p.pid, sid]))
            bonus[p.pid, sid] = w + cfg.weight_person
            # lean teams and the cost of changes are part of phase 1
            primary.append((keep.get((p.pid, sid), 0) - cfg.weight_person, x[p.pid, sid]))
    # people: overlaps, hours, continuity, fairness
    slot_by_id = {s[SLOT_ID]: s for s in recs}
    loads: dict[str, Any] = {}
    units_of: dict[str, list[tuple[int, Any]]] = {}
    ys: list[tuple[Any, list[Any]]] = []  # continuity indicator, its x variables
    links: list[int] = []  # the implications x -> y
    overs: list[tuple[Any, str, int]] = []  # fairness excess variable, person, threshold
    load_vars: list[tuple[Any, str]] = []  # a person's load (quarter hours), person
    for pid, sids in per_person.items():
        p = by_id[pid]
        by_date: dict[dt.date, list[Mapping[Any, Any]]] = defaultdict(list)
        for sid in sids:
            by_date[slot_by_id[sid][DATE]].append(slot_by_id[sid])
        for day_slots in by_date.values():
            for t in sorted({s["start_min"] for s in day_slots}):
                live = [x[pid, s[SLOT_ID]] for s in day_slots if s["start_min"] <= t < s["end_min"]]
                if len(live) > 1:
                    model.add_at_most_one(live)
        units = [(slot_by_id[sid]["duration_min"], x[pid, sid]) for sid in sids]
        budget = p.max_min - used_min.get(pid, 0)
        model.add(sum(d * v for d, v in units) <= budget)
        model.add(sum(v for _, v in units) <= budget // min(d for d, _ in units))  # LP cut
        loads[pid] = sum((d // 15) * v for d, v in units)
        units_of[pid] = [(d // 15, v) for d, v in units]
        by_loop: dict[str, list[Any]] = defaultdict(list)
        for sid in sids:
            by_loop[slot_by_id[sid][LOOP_ID]].append(x[pid, sid])
        if cfg.weight_continuity:
            for lid, vs in by_loop.items():
                y = model.new_bool_var(f"y[{pid},{lid}]")
                for v in vs:
                    links.append(model.add_implication(v, y).index)
                ys.append((y, vs))
                secondary.append((-cfg.weight_continuity, y))
    if cfg.weight_fairness:
        # Convex cost of each person's load: every further hour costs more, so load spreads
        # over interchangeable people (in practice, people of the same agency).
        for pid, load in sorted(loads.items()):
            cap = (by_id[pid].max_min - used_min.get(pid, 0)) // 15
            if cap < 4:
                continue
            # one load variable per person keeps each step's row short (2 terms, not one
            # per slot): a smaller, faster LP with the same bound
            lv = model.new_int_var(0, cap, f"load[{pid}]")
            model.add(lv == load)
            load_vars.append((lv, pid))
            for k in range(1, cap // 4 + 1):
                over = model.new_int_var(0, cap, f"over[{pid},{k}]")
                model.add(over >= lv - 4 * k)
                overs.append((over, pid, 4 * k))
                secondary.append((-cfg.weight_fairness, over))
    if hint is None:
        hint = _greedy(slots, people, cfg, used_min)
    # Lexicographic: first fill the riskiest slots with lean teams (phase 1), then, keeping
    # that, optimise familiarity, previous week, continuity and fairness (phase 2). Each
    # phase: the LP relaxation (bound and guide), a CP-SAT search restricted around it, and
    # a search of the whole model only if the plan is not yet within ``gap_limit``.
    model.maximize(sum(c * v for c, v in primary))
    decisions = [v.index for v in [*x.values(), *filled.values()]]
    n_vars = len(model.proto.variables)

    def complete(plan: Mapping[tuple[str, str], bool]) -> list[int]:
        """Give every variable its value for a plan (x): a complete start for CP-SAT.

        Filled slots and police on them follow from x; continuity and fairness variables
        take their least values for it.
        """
        value = [0] * n_vars
        for key, v in x.items():
            if plan[key]:
                value[v.index] = value[filled[key[1]].index] = 1
        for hp, pol in hps.values():
            value[hp.index] = max([value[v.index] for v in pol] + [0])
        for y, vs in ys:
            value[y.index] = max(value[v.index] for v in vs)
        for lv, pid in load_vars:
            value[lv.index] = sum(q * value[v.index] for q, v in units_of[pid])
        for over, pid, threshold in overs:
            load = sum(q * value[v.index] for q, v in units_of[pid])
            value[over.index] = max(0, load - threshold)
        return value

    def worth(value: Sequence[int], terms: Iterable[tuple[int, Any]]) -> float:
        return float(sum(c * value[v.index] for c, v in terms))

    greedy = complete({(pid, sid): pid in hint.get(sid, ()) for pid, sid in x})
    _set_hint(model, greedy)
    budget = cfg.solver_seconds * 2 / 3
    relax = _relax(model, implied, budget, "phase 1")
    one = _phase(model, cfg, "phase 1", budget, decisions, relax,
                 (greedy, worth(greedy, primary)), workers=1)  # fmt: skip
    seconds = one.wall
    p1, b1 = one.objective, one.bound
    fill_gap = _gap(p1, b1)
    left = max(cfg.solver_seconds / 3, cfg.solver_seconds - one.dtime)
    model.add(sum(c * v for c, v in primary) >= round(p1))
    # Continuity links as linear rows too: CP-SAT's LP at linearization level 1 leaves
    # implications out, and continuity then looks free. Added only now so phase 1's search
    # is unchanged. (Also tried: "police -> hp" rows and per person x loop "days walked <=
    # most days x y" caps; valid, but they slowed the LP more than they tightened it.)
    for y, vs in ys:
        for v in vs:
            model.add(y >= v)
    implied += links  # the implications "x -> y" are now rows as well
    for f in filled.values():  # phase 2 re-staffs the same slots
        model.add(f == one.values[f.index])
    # A complete, feasible start for phase 2: phase 1's plan improved by swaps (same slots,
    # same team sizes, every rule kept) on the phase 2 terms, which phase 1 ignored.
    plan = {k: bool(one.values[v.index]) for k, v in x.items()}
    if not keep:  # a re-plan starts from the old plan: moving people is not free there
        plan = _polish(plan, recs, by_id, cfg, bonus, used_min)
    start_values = complete(plan)
    terms = [*primary, *secondary]
    model.maximize(sum(c * v for c, v in terms))
    start_objective = worth(start_values, terms)
    relax = _relax(model, implied, left, "phase 2")
    _set_hint(model, start_values)
    # a valid, if loose, bound: phase 1's plus every positive phase 2 term
    loose = b1 + sum(max(0, c) for c, _ in secondary)
    # step 3 from a complete plan: no presolve, every LP row at once (the bound closes faster)
    two = _phase(model, cfg, "phase 2", left, decisions, relax,
                 (start_values, start_objective), bound=loose,
                 whole={"linearization": 1, "presolve": False, "lazy": False},
                 stop_early=True)  # fmt: skip
    seconds += two.wall
    name = two.status
    if name == "OPTIMAL" and fill_gap > 0:
        name = "FEASIBLE"  # optimal for phase 2 only
    picked = {k: bool(two.values[v.index]) for k, v in x.items()}
    objective, bound = two.objective, two.bound
    chosen: dict[str, list[str]] = defaultdict(list)
    for (pid, sid), on in sorted(picked.items()):
        if on:
            chosen[sid].append(pid)
    return _Solved(chosen=dict(chosen), status=name, objective=objective, bound=bound,
                   seconds=seconds, fill_gap=fill_gap)  # fmt: skip


def _set_hint(model: Any, values: Sequence[int]) -> None:
    """Hint a value for every variable of ``model`` (by proto index), replacing any hint."""
    hint = model.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(range(len(values)))
    hint.values.extend(int(v) for v in values)


def _polish(
    plan: dict[tuple[str, str], bool],
    recs: Sequence[Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    bonus: Mapping[tuple[str, str], int],
    used_min: Mapping[str, int],
    passes: int = 20,
) -> dict[tuple[str, str], bool]:
    """Improve a legal plan by replacing one team member at a time, deterministically.

    A replacement must keep every hard rule (:func:`_team_ok`, availability, hours, no
    overlap) and the team's size (so phase 1's value), and must raise phase 2's terms
    (familiar faces, previous week, continuity, fairness). First improvement, slots and
    people in a fixed order, at most ``passes`` sweeps.
    """
    people = list(by_id.values())
    slot = {s[SLOT_ID]: s for s in recs}
    team: dict[str, list[str]] = defaultdict(list)
    cands: dict[str, list[str]] = defaultdict(list)
    for pid, sid in sorted(plan):
        cands[sid].append(pid)
        if plan[pid, sid]:
            team[sid].append(pid)
    quarters = {sid: s["duration_min"] // 15 for sid, s in slot.items()}
    load: dict[str, int] = defaultdict(int)
    mins: dict[str, int] = defaultdict(int)
    busy: dict[tuple[str, dt.date], list[tuple[int, int, str]]] = defaultdict(list)
    walks: dict[tuple[str, str], int] = defaultdict(int)
    for sid, pids in team.items():
        s = slot[sid]
        for pid in pids:
            load[pid] += quarters[sid]
            mins[pid] += s["duration_min"]
            busy[pid, s[DATE]].append((s["start_min"], s["end_min"], sid))
            walks[pid, s[LOOP_ID]] += 1
    steps = {pid: (p.max_min - used_min.get(pid, 0)) // 15 // 4 for pid, p in by_id.items()}
    own: dict[str, list[str]] = defaultdict(list)  # person -> slots they may walk
    for pid, sid in sorted(plan):
        own[pid].append(sid)

    def fair(pid: str, q: int) -> int:
        return -cfg.weight_fairness * sum(max(0, q - 4 * k) for k in range(1, steps[pid] + 1))

    for _ in range(passes):
        better = False
        for sid in sorted(team):
            s = slot[sid]
            a, b, day, lid, q = s["start_min"], s["end_min"], s[DATE], s[LOOP_ID], quarters[sid]
            for i, pid in enumerate(list(team[sid])):
                if pid not in team[sid]:
                    continue
                out = (bonus[pid, sid]
                       - (cfg.weight_continuity if walks[pid, lid] == 1 else 0)
                       + fair(pid, load[pid]) - fair(pid, load[pid] - q))  # fmt: skip
                best, pick = 0, None
                for new in cands[sid]:
                    if new in team[sid]:
                        continue
                    p = by_id[new]
                    if mins[new] + s["duration_min"] > p.max_min - used_min.get(new, 0):
                        continue
                    if any(x < b and a < y for x, y, _ in busy[new, day]):
                        continue
                    gain = (bonus[new, sid]
                            - (cfg.weight_continuity if walks[new, lid] == 0 else 0)
                            + fair(new, load[new] + q) - fair(new, load[new]))  # fmt: skip
                    if gain - out > best:
                        members = [by_id[x] for x in team[sid] if x != pid] + [p]
                        if _team_ok(s, members, people, cfg):
                            best, pick = gain - out, new
                if pick is None:
                    continue
                team[sid][i] = pick
                for who, sign in ((pid, -1), (pick, 1)):
                    load[who] += sign * q
                    mins[who] += sign * s["duration_min"]
                    walks[who, lid] += sign
                busy[pid, day].remove((a, b, sid))
                busy[pick, day].append((a, b, sid))
                better = True
        # exchanges: p (on s1) and q (on s2) trade places, for s2 on a loop p already walks
        # or at one of p's schools (same hours roughly, fewer distinct faces per loop)
        for p_id in sorted(by_id):
            for s1 in sorted(sid for sid, pids in team.items() if p_id in pids):
                if p_id not in team[s1]:
                    continue  # moved earlier in this sweep
                r1 = slot[s1]
                targets = sorted(
                    sid
                    for sid in own.get(p_id, ())
                    if sid != s1 and (bonus[p_id, sid] > 0 or walks[p_id, slot[sid][LOOP_ID]] > 0)
                )
                for s2 in targets:
                    r2 = slot[s2]
                    if p_id in team[s2] or p_id not in team[s1]:
                        continue
                    done = False
                    for q_id in list(team[s2]):
                        if (q_id, s1) not in plan or q_id in team[s1]:
                            continue
                        gain = _swap_gain(p_id, q_id, r1, r2, bonus, walks, load, quarters,
                                          fair, cfg)  # fmt: skip
                        if gain <= 0 or not _swap_ok(p_id, q_id, r1, r2, by_id, mins, busy,
                                                     used_min):  # fmt: skip
                            continue
                        t1 = [by_id[x] for x in team[s1] if x != p_id] + [by_id[q_id]]
                        t2 = [by_id[x] for x in team[s2] if x != q_id] + [by_id[p_id]]
                        if not (_team_ok(r1, t1, people, cfg) and _team_ok(r2, t2, people, cfg)):
                            continue
                        team[s1][team[s1].index(p_id)] = q_id
                        team[s2][team[s2].index(q_id)] = p_id
                        for who, src, dst in ((p_id, r1, r2), (q_id, r2, r1)):
                            load[who] += quarters[dst[SLOT_ID]] - quarters[src[SLOT_ID]]
                            mins[who] += dst["duration_min"] - src["duration_min"]
                            walks[who, src[LOOP_ID]] -= 1
                            walks[who, dst[LOOP_ID]] += 1
                            busy[who, src[DATE]].remove(
                                (src["start_min"], src["end_min"], src[SLOT_ID])
                            )
                            busy[who, dst[DATE]].append(
                                (dst["start_min"], dst["end_min"], dst[SLOT_ID])
                            )
                        better = done = True
                        break
                    if done:
                        break
        if not better:
            break
    return {(pid, sid): pid in team.get(sid, ()) for pid, sid in plan}


def _swap_gain(
    p: str,
    q: str,
    r1: Mapping[Any, Any],
    r2: Mapping[Any, Any],
    bonus: Mapping[tuple[str, str], int],
    walks: Mapping[tuple[str, str], int],
    load: Mapping[str, int],
    quarters: Mapping[str, int],
    fair: Any,
    cfg: RosterConfig,
) -> int:
    """Phase 2's gain when p (on slot r1) and q (on slot r2) trade places."""
    s1, s2, l1, l2 = r1[SLOT_ID], r2[SLOT_ID], r1[LOOP_ID], r2[LOOP_ID]
    gain = bonus[q, s1] + bonus[p, s2] - bonus[p, s1] - bonus[q, s2]
    if l1 != l2:
        w = cfg.weight_continuity
        gain += w * ((walks[p, l1] == 1) - (walks[p, l2] == 0))
        gain += w * ((walks[q, l2] == 1) - (walks[q, l1] == 0))
    d = quarters[s2] - quarters[s1]
    gain += fair(p, load[p] + d) - fair(p, load[p]) + fair(q, load[q] - d) - fair(q, load[q])
    return int(gain)


def _swap_ok(
    p: str,
    q: str,
    r1: Mapping[Any, Any],
    r2: Mapping[Any, Any],
    by_id: Mapping[str, _Person],
    mins: Mapping[str, int],
    busy: Mapping[tuple[str, dt.date], list[tuple[int, int, str]]],
    used_min: Mapping[str, int],
) -> bool:
    """Whether p can move from slot r1 to r2 and q from r2 to r1 (hours, no overlap)."""
    for who, out, into in ((p, r1, r2), (q, r2, r1)):
        d = into["duration_min"] - out["duration_min"]
        if mins[who] + d > by_id[who].max_min - used_min.get(who, 0):
            return False
        a, b = into["start_min"], into["end_min"]
        if any(x < b and a < y for x, y, sid in busy.get((who, into[DATE]), ())
               if sid != out[SLOT_ID]):  # fmt: skip
            return False
    return True


@dataclass(frozen=True)
class _Outcome:
    """A CP-SAT run (or a phase of runs): its best plan and what is proven about it."""

    status: str  # CP-SAT's status name
    values: list[int]  # one per model variable, by proto index; empty: no plan found
    objective: float
    bound: float  # valid for the model run (with ``fix``, only for the restricted model)
    wall: float  # seconds
    dtime: float  # CP-SAT deterministic seconds


def _gap(objective: float, bound: float) -> float:
    return abs(bound - objective) / max(1.0, abs(objective))


def _run(
    model: Any,
    cfg: RosterConfig,
    seconds: float,
    *,
    linearization: int = 2,
    presolve: bool = True,
    workers: int | None = None,
    lazy: bool = True,
    fix: Mapping[int, int] | None = None,
    enough: float = math.inf,
) -> _Outcome:
    """
    Solve ``model`` deterministically: a deterministic-time limit, fixed seed and workers.

    ``fix`` (proto index -> value) solves a copy with those variables fixed: a restricted
    search whose plans are plans of ``model`` too, but whose bound is not. The search
    stops at the first plan worth ``enough`` or more (plans come in a deterministic order).
    """
    from ortools.sat.python import cp_model

    if fix:
        model = model.clone()
        for i, val in fix.items():
            dom = model.proto.variables[i].domain
            dom.clear()
            dom.extend([val, val])
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = workers or cfg.num_workers
    prm.random_seed = cfg.seed
    prm.interleave_search = prm.num_workers > 1  # keeps multi-worker search deterministic
    prm.linearization_level = linearization
    prm.cp_model_presolve = presolve  # phase 2 starts from a complete plan: search at once
    prm.add_lp_constraints_lazily = lazy
    # a restricted search's own bound is not the model's: search it to the end
    prm.relative_gap_limit = 0.0 if fix else cfg.gap_limit
    prm.max_deterministic_time = max(seconds, 0.01)
    prm.max_time_in_seconds = max(30.0, seconds * 10)  # wall-clock safety net only

    class Enough(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
        def on_solution_callback(self) -> None:
            if self.objective_value >= enough:
                self.stop_search()

    status = solver.solve(model, Enough() if enough < math.inf else None)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return _Outcome(
        status=solver.status_name(status),
        values=list(solver.response_proto.solution) if found else [],
        objective=solver.objective_value if found else -math.inf,
        bound=solver.best_objective_bound,
        wall=solver.wall_time,
        dtime=solver.response_proto.deterministic_time,
    )


_EPS = 1e-3  # an LP value this close to 0 or 1 counts as integral


def _relax(model: Any, implied: Iterable[int], seconds: float, label: str) -> Relaxation | None:
    """Return the LP relaxation of ``model`` (HiGHS), leaving out the ``implied`` rows."""
    relax = lp_relaxation(model, skip=implied, time_limit=max(30.0, seconds * 10))
    if relax is None:
        logger.warning("roster: %s: no LP relaxation (HiGHS failed or timed out)", label)
    else:
        logger.debug("Roster %s: LP bound %.0f (%d rows) in %.1f s", label, relax.bound,
                     relax.rows, relax.seconds)  # fmt: skip
    return relax


def _phase(
    model: Any,
    cfg: RosterConfig,
    label: str,
    seconds: float,
    decisions: Sequence[int],
    relax: Relaxation | None,
    start: tuple[Sequence[int], float],
    *,
    workers: int | None = None,
    bound: float = math.inf,
    whole: Mapping[str, Any] | None = None,
    stop_early: bool = False,
) -> _Outcome:
    """
    Maximise ``model``'s objective in ``seconds`` deterministic seconds, as a MIP solver would.

    1. ``relax``, the LP relaxation (:func:`_relax`): a bound.
    2. RENS: CP-SAT with every decision the LP made integral fixed; if that has no plan,
       RINS: every decision at 0 in both the LP and the start plan fixed at 0 (the two
       share half the time; RENS needs most of it when its neighbourhood has plans). On
       the borough benchmark week RENS reaches within 0.5 % of the LP bound in 2-4 s, where
       CP-SAT's one worker on the whole model barely leaves its start. (When staff are
       short, RENS can have no plan and RINS stays near the start: see the README.)
    3. The whole model, from the best plan so far, with what time is left, only if the
       plan is not yet proven within ``cfg.gap_limit``.

    ``start`` is a feasible plan (a value per variable, its objective), the one to beat;
    ``bound`` a known valid bound;
    ``whole``: :func:`_run` options for step 3; ``stop_early``: step 2 stops at the first
    plan within ``cfg.gap_limit`` of the LP bound (else it searches its neighbourhood to
    the end, or to half the time). Without an LP (time out) step 3 runs with
    the whole budget.
    """
    whole = whole or {}
    wall, dtime = 0.0, 0.0
    best = (list(start[0]), start[1])
    confirmed = False  # has CP-SAT seen a plan at least as good as ``best``?
    if relax is not None:
        wall += relax.seconds
        bound = min(bound, relax.bound)
        lp = relax.values
        tries = (
            ("RENS", {i: int(lp[i] > 0.5) for i in decisions if min(lp[i], 1 - lp[i]) < _EPS}),
            ("RINS", {i: 0 for i in decisions if lp[i] < _EPS and not best[0][i]}),
        )
        # a plan this good is within gap_limit: stop there (phase 1 searches on, since its
        # objective is mostly slots filled: 0.5 % there is a patrol)
        enough = bound / (1 + cfg.gap_limit) if stop_early else math.inf
        for name, fix in tries:
            out = _run(model, cfg, seconds / 2 - dtime, workers=workers, fix=fix,
                       enough=enough)  # fmt: skip
            wall, dtime = wall + out.wall, dtime + out.dtime
            logger.debug("Roster %s, %s (%d of %d decisions fixed): %s %.0f in %.1f s",
                         label, name, len(fix), len(decisions), out.status, out.objective,
                         out.wall)  # fmt: skip
            if out.values:
                confirmed = out.objective >= best[1]
                if out.objective > best[1]:
                    best = (out.values, out.objective)
                break
    if _gap(best[1], bound) > cfg.gap_limit:
        _set_hint(model, best[0])
        out = _run(model, cfg, seconds - dtime, workers=workers, **whole)
        wall, dtime = wall + out.wall, dtime + out.dtime
        logger.debug("Roster %s, whole model: %s %.0f (bound %.0f) in %.1f s", label,
                     out.status, out.objective, out.bound, out.wall)  # fmt: skip
        if out.values:
            bound = min(bound, out.bound)
            confirmed = confirmed or out.objective >= best[1]
            if out.objective >= best[1]:
                best = (out.values, out.objective)
        else:
            logger.warning(
                "roster: %s found no plan within its share of roster.solver_seconds=%s; "
                "keeping its best plan so far. Raise it.", label, cfg.solver_seconds,
            )  # fmt: skip
    if not confirmed:  # the start plan, never checked by CP-SAT: check it (presolve does)
        check = _run(model, cfg, 1.0, fix=dict(enumerate(best[0])))
        if not check.values:
            raise RuntimeError(f"roster: {label}'s start plan breaks a rule ({check.status})")
    bound = max(bound, best[1])  # no plan beats a bound; this only absorbs LP round-off
    status = "OPTIMAL" if best[1] >= bound else "FEASIBLE"
    return _Outcome(status, best[0], best[1], bound, wall, dtime)


def _contacts(
    people: Sequence[_Person], slot: Mapping[Any, Any], police: set[str]
) -> list[_Person]:
    """Police on duty at the slot's time (they may be patrolling elsewhere or out of hours)."""
    date = slot[DATE]
    return [p for p in people if p.agency in police and not p.absent(date)
            and p.covers(date.weekday(), slot["start_min"], slot["end_min"])]  # fmt: skip


def _label(p: _Person) -> str:
    return f"{p.name} ({AGENCIES[p.agency]})"


def _finish(
    slots: pd.DataFrame,
    people: list[_Person],
    cfg: RosterConfig,
    solved: _Solved,
    notes: Sequence[str],
    *,
    week_start: dt.date | None,
    timezone: str,
) -> Roster:
    by_id = {p.pid: p for p in people}
    police = set(cfg.police_agencies)
    slots = slots.copy()
    rows, problems = [], list(notes)
    busy: dict[tuple[str, dt.date], list[tuple[int, int]]] = defaultdict(list)
    used: dict[str, int] = defaultdict(int)
    for s in slots.to_dict("records"):
        for pid in solved.chosen.get(s[SLOT_ID], []):
            busy[pid, s[DATE]].append((s["start_min"], s["end_min"]))
            used[pid] += int(s["duration_min"])
    filled, contacts, contact_ids, teams, probs = [], [], [], [], []
    for s in slots.to_dict("records"):
        team = [by_id[pid] for pid in solved.chosen.get(s[SLOT_ID], []) if pid in by_id]
        contact, contact_id, problem = "", "", ""
        if team and not any(p.agency in police for p in team):
            cands = _contacts(people, s, police)
            keys = _slot_keys(s)
            cands.sort(
                key=lambda p: (
                    not (p.keys & keys),
                    any(a < s["end_min"] and s["start_min"] < b for a, b in busy[p.pid, s[DATE]]),
                    p.pid,
                )
            )
            contact = _label(cands[0]) if cands else ""
            contact_id = cands[0].pid if cands else ""
        if not team:
            problem = _diagnose(s, people, cfg, busy, used)
            problems.append(problem)
        filled.append(bool(team))
        contacts.append(contact)
        contact_ids.append(contact_id)
        team_text = "; ".join(_label(p) for p in team)
        teams.append(team_text)
        probs.append(problem)
        for p in team:
            rows.append({
                DATE: s[DATE], DAY: s[DAY], START: s[START], END: s[END], LOOP_ID: s[LOOP_ID],
                CORRIDOR_ID: s[CORRIDOR_ID], CORRIDOR_NAME: s[CORRIDOR_NAME],
                MEETING_POINT: s[MEETING_POINT], AIM: s[AIM], PERSON_ID: p.pid,
                PERSON_NAME: p.name, AGENCY: p.agency, TEAM: team_text, POLICE_CONTACT: contact,
                SLOT_ID: s[SLOT_ID], "school_ids": s["school_ids"],
            })  # fmt: skip
    slots[FILLED] = pd.Series(filled, index=slots.index, dtype=bool)
    slots[POLICE_CONTACT] = contacts
    slots[POLICE_CONTACT_ID] = contact_ids
    slots[TEAM] = teams
    slots[PROBLEM] = probs
    assignments = pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))
    gap = abs(solved.bound - solved.objective) / max(1.0, abs(solved.objective))
    logger.info(
        "Rostered %d of %d patrol slots with %d assignments (%s, gap %.2f%%, %.1f s)",
        sum(filled),
        len(slots),
        len(assignments),
        solved.status,
        100 * gap,
        solved.seconds,
    )
    return Roster(assignments=assignments, slots=slots, problems=tuple(problems),
                  status=solved.status, objective=float(solved.objective),
                  bound=float(solved.bound), gap=float(gap), week_start=week_start,
                  timezone=timezone, solve_seconds=float(solved.seconds),
                  fill_gap=float(solved.fill_gap))  # fmt: skip


def _slot_title(s: Mapping[Any, Any]) -> str:
    d = s[DATE]
    return f"{s[DAY]} {d.day} {d:%b} {s[START]} {s[CORRIDOR_NAME]} (loop {s[LOOP_ID]}, {s[AIM]})"


def _count(n: int, what: str) -> str:
    if n == 1:
        return f"1 {what}"
    return f"{n} people" if what == "person" else f"{n} {what}s"


def _diagnose(
    s: Mapping[Any, Any],
    people: Sequence[_Person],
    cfg: RosterConfig,
    busy: Mapping[tuple[str, dt.date], list[tuple[int, int]]],
    used: Mapping[str, int],
) -> str:
    """Say in plain words which rule an unfilled slot could not meet, and what would fix it."""
    a, b, date = s["start_min"], s["end_min"], s[DATE]
    police, officers = set(cfg.police_agencies), set(cfg.officer_agencies)
    avail = [p for p in people if _candidate(p, s)]
    free = [p for p in avail
            if not any(x < b and a < y for x, y in busy.get((p.pid, date), []))
            and used.get(p.pid, 0) + s["duration_min"] <= p.max_min]  # fmt: skip
    title = _slot_title(s)
    window_end = _hhmm_to_min(cfg.window_end)

    def later(agencies: set[str] | None, what: str) -> str:
        """People of ``agencies`` who are free later that day (not absent)."""
        starts = []
        for p in people:
            if (agencies is not None and p.agency not in agencies) or p.absent(date):
                continue
            rs = [
                x
                for x, y in _merge(p.ranges.get(date.weekday(), ()))
                if a < x < window_end and y > x
            ]
            if rs:
                starts.append(min(rs))
        if not starts:
            return f"no {what} is free later that day either"
        verb = "is" if len(starts) == 1 else "are"
        return f"{_count(len(starts), what)} {verb} free from {_min_to_hhmm(min(starts))}"

    def busy_note(group: Sequence[_Person]) -> str:
        n_busy = sum(1 for p in group if p not in free)
        return (
            f" ({n_busy} available but already patrolling or out of weekly hours)" if n_busy else ""
        )

    span = f"{s[START]}-{s[END]}"
    if not avail:
        return (f"{title}: nobody is available at {span}; {later(None, 'person')}. Fix: add "
                f"someone free {span}, or move the loop's start time.")  # fmt: skip
    if len(free) < cfg.min_team:
        nth = "second" if cfg.min_team - len(free) == 1 and free else "first"
        return (f"{title}: at least {cfg.min_team} people on every patrol could not be met: no "
                f"{nth} person available{busy_note(avail)}; {later(None, 'person')}. Fix: add "
                f"someone free {span}, raise someone's max_hours_week, or move the "
                f"start time.")  # fmt: skip
    k = cfg.aim_min_officers.get(s[AIM], 0)
    if k and sum(p.agency in officers for p in free) < k:
        return (f"{title}: a {s[AIM]} patrol needs {_count(k, 'police officer')}: none free"
                f"{busy_note([p for p in avail if p.agency in officers])}; "
                f"{later(officers, 'police officer')}. Fix: free an officer for {span}, or set "
                f"[roster].aims.{s[CORRIDOR_ID]} = \"engagement\".")  # fmt: skip
    k = cfg.aim_min_police.get(s[AIM], 0)
    if k and sum(p.agency in police for p in free) < k:
        return (f"{title}: a {s[AIM]} patrol needs {_count(k, 'police officer or PCSO')}: none "
                f"free{busy_note([p for p in avail if p.agency in police])}; "
                f"{later(police, 'officer or PCSO')}. Fix: free an officer or PCSO for {span}, or "
                f"set [roster].aims.{s[CORRIDOR_ID]} = \"engagement\".")  # fmt: skip
    need = cfg.aim_needs_one_of.get(s[AIM])
    if need and not any(p.agency in need for p in free):
        what = " or ".join(AGENCIES[n] for n in need)
        return (f"{title}: a {s[AIM]} patrol needs a {what}: none free"
                f"{busy_note([p for p in avail if p.agency in need])}; "
                f"{later(set(need), what)}. Fix: add a {what} free {span}.")  # fmt: skip
    free_police = [p for p in free if p.agency in police]
    youth = [p for p in free if p.agency in cfg.no_police_needs]
    ywhat = " or ".join(AGENCIES[n] for n in cfg.no_police_needs)
    if not free_police:
        if not youth:
            return (f"{title}: with no police free, the patrol needs a {ywhat}: none free"
                    f"{busy_note([p for p in avail if p.agency in cfg.no_police_needs])}; "
                    f"{later(set(cfg.no_police_needs), ywhat)}. Fix: free an officer or a "
                    f"{ywhat} for {span}.")  # fmt: skip
        if not _contacts(people, s, police):
            return (f"{title}: a patrol without police needs a named police contact for the "
                    f"slot, and no police officer or PCSO is on duty {span}. Fix: put an "
                    f"officer on duty at that time.")  # fmt: skip
    else:
        decline = [p for p in free if not p.with_police and p.agency not in police]
        if len(free) - len(decline) < cfg.min_team and (not youth or len(decline) < cfg.min_team):
            return (f"{title}: {_count(len(decline), 'person')} free at {span} "
                    f"({', '.join(p.name for p in decline)}) will not patrol beside police, and "
                    f"the others cannot make a team of {cfg.min_team} with police. Fix: add "
                    f"someone free {span} who patrols with police.")  # fmt: skip
    return (f"{title}: each rule can be met on its own, but the people free at {span} were "
            f"needed on higher-risk patrols this week. Fix: add one more person free {span} "
            f"(a police officer helps most), or drop a lower-priority loop.")  # fmt: skip


# -- public API --------------------------------------------------------------------------


def make_roster(
    corridors: Any,
    staff: Staff,
    cfg: RosterConfig,
    *,
    week_start: dt.date,
    previous: Roster | None = None,
    timezone: str = "Europe/London",
) -> Roster:
    """
    Assign people to the week's patrol slots with the OR-Tools CP-SAT solver.

    Every slot (loop x day) has a "filled" boolean; the make-up rules apply only when it
    is filled. Hard rules: between ``min_team`` and ``max_team`` people; availability
    (weekday ranges) and dated absences; ``max_hours_week``; nobody on two overlapping
    slots; ``aim_min_officers`` / ``aim_min_police`` / ``aim_needs_one_of`` per aim; a
    patrol with no police (``police_agencies``) needs one of ``no_police_needs`` (a youth
    worker) and a police contact on duty at that time (named in ``police_contact``); a
    person with ``with_police = no`` is never on a patrol with police.

    The objective (maximised, integers) is: per filled slot ``weight_fill`` plus
    ``weight_risk`` x risk / highest risk (so high-risk slots are filled first); per
    assignment ``-weight_person``, ``+weight_familiar`` if the person is linked to one of the
    loop's schools (doubled for officers), ``+weight_previous`` if the person walked the same
    loop or corridor in ``previous``; ``-weight_continuity`` per distinct person x loop pair
    (the same faces through the week); and, to spread hours fairly, ``-weight_fairness`` per
    quarter hour of each person's load above 1 h, again above 2 h, above 3 h... (a convex
    cost, so load goes to the least-loaded of interchangeable people, i.e. within an agency).

    The solve is lexicographic: phase 1 (2/3 of ``solver_seconds``), started from a greedy
    plan, maximises the fill and lean-team terms; phase 2 (the rest, at least 1/3) keeps
    phase 1's value and adds the other terms, starting from phase 1's plan improved by
    deterministic swaps (one member replaced, or two people trading places; every hard rule
    and the team sizes kept). Each phase works as a MIP solver would (:func:`_phase`): the
    LP relaxation, solved with HiGHS, gives the bound and a guide; CP-SAT searches a
    neighbourhood of the LP solution (RENS, else RINS), then the whole model only if the
    plan is not yet within ``gap_limit`` (0.5 %) of the bound. (CP-SAT's one worker on the
    whole model barely leaves its start, and its own LP takes longer to reach the same
    bound.) ``gap`` compares the plan's whole objective with the bound, which holds for
    phase 1's set of filled slots; ``fill_gap`` is phase 1's gap. The LP may spread a loop's
    seats fractionally over many people, so the bound is loose on continuity and
    familiarity when staff are short: the true gap can be smaller than ``gap``. Limits are
    CP-SAT *deterministic* seconds and ``seed``; phase 1 runs one worker, phase 2
    ``num_workers`` (default 1; more run interleaved search, which stays deterministic), and
    the LP is deterministic. So the same inputs give the same roster on any machine; a
    wall-clock safety net of 10x (at least 30 s) applies, and only if it is hit can the
    result vary.

    Parameters
    ----------
    corridors
        :class:`corridors.routes.Corridors` of the week (loops in EPSG:27700 metres).
    staff
        From :func:`load_staff` / :func:`staff_for_config`.
    cfg
        Rules, weights, ``solver_seconds`` (deterministic-time limit), ``num_workers`` and
        ``seed``.
    week_start
        The Monday of the week (local dates).
    previous
        Last week's roster (e.g. :func:`read_roster`), to keep familiar faces.
    timezone
        IANA time zone of the times (for calendar files).

    Returns
    -------
    Roster
        Assignments, slots (unfilled ones carry a ``problem``), plain-words problems,
        solver status, objective, bound and gap.
    """
    if week_start.weekday() != 0:
        raise ConfigError(f"week_start must be a Monday, got {week_start} ({week_start:%A})")
    slots, notes = build_slots(corridors, cfg, week_start=week_start)
    people = _people(staff)
    prev: set[tuple[str, str]] = set()
    if previous is not None and len(previous.assignments):
        a = previous.assignments
        prev = {(str(p), str(v)) for col in (LOOP_ID, CORRIDOR_ID)
                for p, v in zip(a[PERSON_ID], a[col], strict=True)}  # fmt: skip
    if slots.empty:
        return _finish(slots, people, cfg, _Solved({}, "OPTIMAL", 0.0, 0.0, 0.0), notes,
                       week_start=week_start, timezone=timezone)  # fmt: skip
    solved = _solve(slots, people, cfg, prev_pairs=prev)
    return _finish(slots, people, cfg, solved, notes, week_start=week_start, timezone=timezone)


def replan(
    rota: Roster,
    staff: Staff,
    absent_id: str | None,
    on_date: dt.date,
    cfg: RosterConfig,
    *,
    until: dt.date | None = None,
    corridors: Any = None,
) -> Replan:
    """
    Re-plan the rest of the week after someone is absent, changing as little as possible.

    Slots before ``on_date`` are kept as they are. From ``on_date`` on, the solver runs
    again with the staff (plus ``absent_id``'s absence from ``on_date`` to ``until``, by
    default the end of the week); each change to an existing assignment costs
    ``replan_change_cost`` on the affected days and ``replan_other_day_cost`` (heavy) on
    the other days, so the plan only moves what the absence forces.

    Parameters
    ----------
    rota
        The roster being repaired (its ``slots`` hold everything needed).
    staff
        The staff, possibly an updated availability file.
    absent_id
        The person who is absent, or ``None`` when ``staff`` already says so.
    on_date
        First day of the absence.
    cfg
        As for :func:`make_roster`.
    until
        Last day of the absence (inclusive); default the last day of the roster.
    corridors
        The week's :class:`corridors.routes.Corridors`. Give it when ``rota`` was read from
        a CSV (:func:`read_roster`): the slots (unfilled ones, risk, aims) are rebuilt from it.

    Returns
    -------
    Replan
        The new roster, a DataFrame of changes and the changes in plain words.
    """
    slots = rota.slots.copy()
    if corridors is not None and rota.week_start is not None:
        slots, _ = build_slots(corridors, cfg, week_start=rota.week_start)
    if slots.empty:
        return Replan(rota, pd.DataFrame(columns=list(CHANGE_COLUMNS)), ())
    last = max(slots[DATE])
    until = until or last
    if absent_id is not None:
        staff = add_absence(staff, absent_id, on_date, until)
    people = _people(staff)
    old: dict[str, list[str]] = defaultdict(list)
    for sid, pid in zip(rota.assignments[SLOT_ID], rota.assignments[PERSON_ID], strict=True):
        old[str(sid)].append(str(pid))
    past = slots[DATE] < on_date
    used: dict[str, int] = defaultdict(int)
    for s in slots[past].to_dict("records"):
        for pid in old.get(s[SLOT_ID], []):
            used[pid] += int(s["duration_min"])
    keep: dict[tuple[str, str], int] = {}
    future = slots[~past].reset_index(drop=True)
    by_id = {p.pid for p in people}
    for s in future.to_dict("records"):
        cost = cfg.replan_change_cost if on_date <= s[DATE] <= until else cfg.replan_other_day_cost
        for p in people:
            keep[p.pid, s[SLOT_ID]] = cost if p.pid in old.get(s[SLOT_ID], []) else -cost
    solved = _solve(future, people, cfg, keep=keep, used_min=used) if len(future) else \
        _Solved({}, "OPTIMAL", 0.0, 0.0, 0.0)  # fmt: skip
    chosen = {sid: [p for p in pids if p in by_id] for sid, pids in old.items()}
    for sid in future[SLOT_ID]:
        chosen[sid] = solved.chosen.get(sid, [])
    merged = _Solved(
        chosen, solved.status, solved.objective, solved.bound, solved.seconds, solved.fill_gap
    )
    new = _finish(
        slots, people, cfg, merged, (), week_start=rota.week_start, timezone=rota.timezone
    )
    changes, messages = _diff(rota, new, {p.pid: p for p in people})
    logger.info("Re-planned from %s: %d assignment changes", on_date, len(changes))
    return Replan(new, changes, tuple(messages))


def _diff(old: Roster, new: Roster, by_id: Mapping[str, _Person]) -> tuple[pd.DataFrame, list[str]]:
    before = {
        (str(s), str(p))
        for s, p in zip(old.assignments[SLOT_ID], old.assignments[PERSON_ID], strict=True)
    }
    after = {
        (str(s), str(p))
        for s, p in zip(new.assignments[SLOT_ID], new.assignments[PERSON_ID], strict=True)
    }
    names = dict(zip(old.assignments[PERSON_ID], old.assignments[PERSON_NAME], strict=True))
    names.update({k: v.name for k, v in by_id.items()})
    agencies = dict(zip(old.assignments[PERSON_ID], old.assignments[AGENCY], strict=True))
    agencies.update({k: v.agency for k, v in by_id.items()})
    slots = new.slots.set_index(SLOT_ID)
    rows, messages = [], []
    for sid in [s for s in new.slots[SLOT_ID] if any(c[0] == s for c in before ^ after)]:
        s = slots.loc[sid]
        gone = sorted(p for q, p in before - after if q == sid)
        came = sorted(p for q, p in after - before if q == sid)
        for change, pids in (("removed", gone), ("added", came)):
            for pid in pids:
                rows.append({"change": change, DATE: s[DATE], DAY: s[DAY], START: s[START],
                             END: s[END], SLOT_ID: sid, LOOP_ID: s[LOOP_ID],
                             CORRIDOR_NAME: s[CORRIDOR_NAME], PERSON_ID: pid,
                             PERSON_NAME: names.get(pid, pid),
                             AGENCY: agencies.get(pid, "")})  # fmt: skip
        head = (
            f"{s[DAY]} {s[DATE].day} {s[DATE]:%b} {s[START]} {s[CORRIDOR_NAME]} (loop {s[LOOP_ID]})"
        )
        who_out = ", ".join(names.get(p, p) for p in gone)
        who_in = ", ".join(names.get(p, p) for p in came)
        if gone and came:
            messages.append(f"{head}: {who_in} replaces {who_out}.")
        elif gone:
            messages.append(
                f"{head}: {who_out} removed"
                + ("." if s[FILLED] else "; the patrol is now unfilled.")
            )
        else:
            messages.append(f"{head}: {who_in} added.")
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS)), messages


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


def read_plan_loops(folder: str | Path, *, crs: str = "EPSG:27700") -> Any:
    """
    Read a week's ``loops.geojson`` and ``corridors.geojson`` back into ``Corridors``.

    For :func:`replan` from a week folder written by the pipeline (files in EPSG:4326, as
    ``corridors.routes.write_corridor_exports`` writes them); reprojected to ``crs``.

    Raises
    ------
    InputDataError
        If ``loops.geojson`` is missing or lacks the loop columns.
    """
    import geopandas as gpd

    from corridors.routes import Corridors

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


# -- exports --------------------------------------------------------------------------------


def write_roster_exports(rota: Roster, corridors: Any, folder: str | Path) -> list[Path]:
    """
    Write the roster CSV, calendar files and one printable HTML page per day.

    Files (all written atomically): ``roster.csv`` (one row per person per patrol),
    ``roster-slots.csv`` (every slot, filled or not, with problems), ``problems.txt`` (when
    some slots are unfilled), ``calendar/team.ics`` (one event per patrol) and
    ``calendar/<person_id>.ics`` (one per person; UID ``<slot_id>/<person_id>``, stable;
    an id that is not a safe file name gets a short hash instead, see :func:`_ics_stem`),
    all in the roster's time zone; ``days/<date>-<day>.html`` with each loop drawn as an
    inline SVG from its EPSG:27700 coordinates (no network, no JavaScript).

    Parameters
    ----------
    rota
        The roster.
    corridors
        The :class:`corridors.routes.Corridors` it was made from (loop geometry), or
        ``None`` to draw no thumbnails.
    folder
        Output folder (created if needed).

    Returns
    -------
    list of Path
        Every file written.
    """
    folder = Path(folder)
    out = []
    out.append(
        write_csv(rota.assignments, folder / "roster.csv", columns=list(ASSIGNMENT_COLUMNS))
    )
    out.append(write_csv(rota.slots, folder / "roster-slots.csv"))
    if rota.problems:
        out.append(write_text(folder / "problems.txt", "\n".join(rota.problems) + "\n"))
    out.extend(_write_calendars(rota, folder / "calendar"))
    geoms = {}
    if corridors is not None and len(corridors.loops):
        geoms = dict(
            zip(corridors.loops[LOOP_ID].astype(str), corridors.loops.geometry, strict=True)
        )
    for key, day in rota.slots.groupby(DATE, sort=True):
        date = pd.Timestamp(key).date()  # type: ignore[arg-type]
        page = _day_page(date, day, geoms)
        out.append(write_text(folder / "days" / f"{date.isoformat()}-{date:%A}.html".lower(), page))
    logger.info("Wrote %d roster files to %s", len(out), folder)
    return out


def _local(date: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    h, m = (int(v) for v in hhmm.split(":"))
    return dt.datetime(date.year, date.month, date.day, h, m, tzinfo=tz)


#: Control characters iCalendar TEXT may not hold (RFC 5545 3.3.11: all but tab; CR and LF
#: are turned into the escaped line break ``\n`` instead).
_ICAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _ical_text(value: Any) -> Any:
    r"""
    Return ``value`` as an iCalendar TEXT value that cannot break out of its property line.

    Line breaks (CRLF, CR or LF) become one escaped ``\n``, other control characters a
    space; ``icalendar.vText`` then escapes ``\``, ``;`` and ``,`` and folds long lines.

    Examples
    --------
    >>> _ical_text("Bob\r\nATTENDEE:mailto:evil@x").to_ical()
    b'Bob\\nATTENDEE:mailto:evil@x'
    """
    import icalendar

    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return icalendar.vText(_ICAL_CONTROL.sub(" ", text))


def _calendar(name: str) -> Any:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Safer Corridors//roster//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _ical_text(name))
    return cal


def _event(uid: str, s: Mapping[Any, Any], tz: ZoneInfo, stamp: dt.datetime, desc: str) -> Any:
    import icalendar

    ev = icalendar.Event()
    ev.add("uid", _ical_text(uid))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _local(s[DATE], s[START], tz))
    ev.add("dtend", _local(s[DATE], s[END], tz))
    ev.add("summary", _ical_text(f"Patrol: {s[CORRIDOR_NAME]} ({s[AIM]})"))
    ev.add("location", _ical_text(s[MEETING_POINT] or s[CORRIDOR_NAME]))
    ev.add("description", _ical_text(desc))
    return ev


#: Calendar file names a person's file must not take (compared case-insensitively).
_RESERVED_ICS = frozenset({"team"})


def _ics_stem(person_id: str, taken: set[str]) -> str:
    """
    Return a safe, unique file stem for a person's calendar and add it to ``taken``.

    A person id made of letters, digits, ``_``, ``-`` and single inner dots (at most 64
    characters, not starting with a dot) is used as it is; any other id, or one that
    clashes case-insensitively with ``team`` or an earlier file, becomes its safe characters
    plus a short hash of the id. So no stem holds a path separator or ``..``, none is empty
    or hidden, and two people never share a file (also on case-insensitive file systems).

    Examples
    --------
    >>> taken = set()
    >>> _ics_stem("P01", taken), _ics_stem("../x", taken), _ics_stem("p01", taken)
    ('P01', 'x-d6b96a97', 'p01-6617ecaa')
    """
    stem = person_id
    plain = re.fullmatch(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*", person_id) is not None
    if not plain or len(person_id) > 64 or person_id.casefold() in taken | _RESERVED_ICS:
        digest = hashlib.sha256(person_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", person_id).strip("_-")[:40]
        stem = f"{safe}-{digest}" if safe else f"person-{digest}"
    taken.add(stem.casefold())
    return stem


def _write_calendars(rota: Roster, folder: Path) -> list[Path]:
    tz = ZoneInfo(rota.timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    team = _calendar("Safer Corridors patrols")
    slots = {s[SLOT_ID]: s for s in rota.slots.to_dict("records")}
    for s in slots.values():
        if not s[FILLED]:
            continue
        desc = f"Loop {s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}."
        if s[POLICE_CONTACT]:
            desc += f" Police contact: {s[POLICE_CONTACT]}."
        team.add_component(_event(f"{s[SLOT_ID]}@safer-corridors", s, tz, stamp, desc))
    team.add_missing_timezones()
    out = [folder / "team.ics"]
    with atomic_open(out[0], "wb") as fh:
        fh.write(team.to_ical())
    # a police contact is on call for a police-free patrol: it goes in their calendar too
    on_call: dict[str, list[Mapping[Any, Any]]] = {}
    for s in slots.values():
        if s[FILLED] and s.get(POLICE_CONTACT_ID):
            on_call.setdefault(str(s[POLICE_CONTACT_ID]), []).append(s)
    names = dict(zip(rota.assignments[PERSON_ID], rota.assignments[PERSON_NAME], strict=False))
    taken: set[str] = {"team"}
    for pid in sorted(set(rota.assignments[PERSON_ID].astype(str)) | set(on_call)):
        rows = rota.assignments[rota.assignments[PERSON_ID].astype(str) == pid]
        who = names.get(pid) or str(on_call[pid][0][POLICE_CONTACT]).split(" (")[0]
        cal = _calendar(f"Patrols: {who}")
        for sid in rows[SLOT_ID]:
            s = slots.get(sid) or rows[rows[SLOT_ID] == sid].iloc[0].to_dict()
            desc = f"Loop {s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}."
            if s.get(POLICE_CONTACT):
                desc += f" Police contact: {s[POLICE_CONTACT]}."
            cal.add_component(_event(f"{sid}/{pid}@safer-corridors", s, tz, stamp, desc))
        for s in on_call.get(pid, []):
            ev = _event(
                f"{s[SLOT_ID]}/{pid}/contact@safer-corridors", s, tz, stamp,
                f"On call as the police contact for a patrol without police. Loop "
                f"{s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}.",
            )  # fmt: skip
            ev["summary"] = _ical_text(f"Police contact (on call): {s[CORRIDOR_NAME]}")
            cal.add_component(ev)
        cal.add_missing_timezones()
        path = folder / f"{_ics_stem(pid, taken)}.ics"
        with atomic_open(path, "wb") as fh:
            fh.write(cal.to_ical())
        out.append(path)
    return out


def loop_svg(geometry: Any, *, size_px: int = 160) -> str:
    """
    Draw a loop's geometry (projected metres) as a small inline SVG, north up.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> loop_svg(LineString([(0, 0), (100, 0), (100, 100), (0, 0)]))[:4]
    '<svg'
    """
    if geometry is None or geometry.is_empty:
        return ""
    lines = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    minx, miny, maxx, maxy = geometry.bounds
    span = max(maxx - minx, maxy - miny, 1.0)
    pad = 8
    k = (size_px - 2 * pad) / span
    paths = []
    for line in lines:
        coords = getattr(line, "exterior", line).coords
        pts = " ".join(
            f"{pad + (x - minx) * k:.1f},{size_px - pad - (y - miny) * k:.1f}"
            for x, y, *_ in coords
        )
        paths.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="3" '
                     f'stroke-linejoin="round"/>')  # fmt: skip
    bar = 100 * k if span > 150 else 10 * k
    label = "100 m" if span > 150 else "10 m"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {size_px} {size_px}" role="img" aria-label="loop map">'
            f'<rect width="100%" height="100%" fill="#f4f4f0"/>{"".join(paths)}'
            f'<line x1="{pad}" y1="{size_px - 3}" x2="{pad + bar:.1f}" y2="{size_px - 3}" '
            f'stroke="#333" stroke-width="2"/><text x="{pad + bar + 3:.1f}" y="{size_px - 1}" '
            f'font-size="9">{label}</text></svg>')  # fmt: skip


def _day_page(date: dt.date, day: pd.DataFrame, geoms: Mapping[Any, Any]) -> str:
    esc = html.escape
    cards = []
    for s in day.sort_values(["start_min", SLOT_ID]).to_dict("records"):
        svg = loop_svg(geoms.get(str(s[LOOP_ID])))
        if s[FILLED]:
            team = "".join(f"<li>{esc(t)}</li>" for t in str(s[TEAM]).split("; "))
            body = f"<p><b>Team</b></p><ul>{team}</ul>"
            if s[POLICE_CONTACT]:
                body += f"<p><b>Police contact:</b> {esc(str(s[POLICE_CONTACT]))}</p>"
        else:
            body = f'<p class="unfilled"><b>NOT FILLED.</b> {esc(str(s[PROBLEM]))}</p>'
        cards.append(
            f'<section class="slot"><div class="map">{svg}</div><div><h2>{esc(s[START])}-'
            f"{esc(s[END])} {esc(str(s[CORRIDOR_NAME]))}</h2><p><b>Loop:</b> {esc(str(s[LOOP_ID]))}"
            f" &middot; <b>Aim:</b> {esc(str(s[AIM]))} &middot; <b>Meet at:</b> "
            f"{esc(str(s[MEETING_POINT]))}</p>{body}</div></section>"
        )
    title = f"Patrols {date:%A} {date.day} {date:%B %Y}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
.slot {{ display: flex; gap: 1em; border-bottom: 1px solid #999; padding: .6em 0;
        page-break-inside: avoid; }}
.map svg {{ border: 1px solid #ccc; }}
h2 {{ font-size: 1.1em; margin: 0 0 .3em; }}
.unfilled {{ color: #a00; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Internal: for the patrol teams. Meet at the meeting point five minutes before the start.</p>
{"".join(cards) or "<p>No patrols.</p>"}
</body></html>
"""
