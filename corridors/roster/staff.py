"""Parse and validate staff rows: ids, agencies, weekly availability, absences, hours.

CONTRACT:
- ``staff_from_records(records) -> Staff``; ``staff_from_csv(raw, file=...) -> Staff``
- ``combine_staff(*parts) -> Staff``; ``add_absence(staff, person_id, first, last) -> Staff``

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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from corridors.errors import InputDataError
from corridors.load import REJECT_COLUMNS, SourceReport
from corridors.roster.schema import (
    _DAY_NAMES,
    ABSENCES,
    AGENCIES,
    AGENCY,
    AVAILABILITY,
    END,
    FIRST_DATE,
    LAST_DATE,
    MAX_HOURS,
    PERSON_ID,
    PERSON_NAME,
    SCHOOLS,
    SOURCE_LINE,
    STAFF_OPTIONAL,
    STAFF_REQUIRED,
    START,
    WEEKDAY,
    WITH_POLICE,
    Staff,
    _hhmm_to_min,
    _key,
    _split,
)
from corridors.week import minutes_hhmm

logger = logging.getLogger(__name__)


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


_YES = {"yes", "y", "true", "1"}


_NO = {"no", "n", "false", "0"}


_RANGE = re.compile(r"^(?P<days>[a-z]+(?:\s*-\s*[a-z]+)?(?:\s*/\s*[a-z]+(?:\s*-\s*[a-z]+)?)*)"
                    r"\s+(?P<a>\d{1,2}:\d{2})\s*-\s*(?P<b>\d{1,2}:\d{2})$")  # fmt: skip


_DEFAULT_MAX_HOURS = 6.0


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
    cleaned = 0
    for line, raw in records:
        rec = {k: clean_text(v) for k, v in raw.items()}
        cleaned += sum(rec[k] != v.strip() for k, v in raw.items())
        parsed = _parse_person(line, raw, rec, seen)
        if isinstance(parsed, _Bad):
            rejects.append(_reject(file, line, parsed.column, parsed.reason, parsed.value))
            counts[parsed.column] += 1
            continue
        person, ranges, off = parsed
        pid = person[PERSON_ID]
        seen.add(pid)
        people.append(person)
        avail.extend({PERSON_ID: pid, WEEKDAY: d, START: minutes_hhmm(a), END: minutes_hhmm(b)}
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


@dataclass(frozen=True)
class _Bad:
    """Why a staff row was rejected: the column, the reason and the value."""

    column: str
    reason: str
    value: Any


_Parsed = tuple[dict[str, Any], list[tuple[int, int, int]], list[tuple[dt.date, dt.date]]]


def _parse_person(
    line: int, raw: Mapping[str, str], rec: Mapping[str, str], seen: set[str]
) -> _Parsed | _Bad:
    """Check one staff row: the person, their availability ranges and absences, or why not."""
    emptied = [c for c in (*STAFF_REQUIRED, *STAFF_OPTIONAL)
               if raw.get(c, "").strip() and not rec.get(c)]  # fmt: skip
    if emptied:
        return _Bad(emptied[0], f"{emptied[0]} holds only control characters (line breaks, "
                    "tabs...); write it as plain text", _visible(raw[emptied[0]]))  # fmt: skip
    pid = rec.get(PERSON_ID, "").strip()
    name = rec.get(PERSON_NAME, "").strip()
    if not pid:
        return _Bad(PERSON_ID, "person_id is empty; give every person a unique id", pid)
    if pid in seen:
        return _Bad(PERSON_ID, "person_id used twice; give every person a unique id", pid)
    if not name:
        return _Bad(PERSON_NAME, "name is empty; give the person's display name", name)
    agency = normalise_agency(rec.get(AGENCY, ""))
    if agency is None:
        return _Bad(AGENCY, f"unknown agency; use one of {list(AGENCIES)}", rec.get(AGENCY, ""))
    try:
        ranges = parse_availability(rec.get(AVAILABILITY, ""))
    except ValueError as exc:
        return _Bad(AVAILABILITY, str(exc), rec.get(AVAILABILITY, ""))
    try:
        off = _parse_absences(rec.get(ABSENCES, ""))
    except ValueError as exc:
        return _Bad(ABSENCES, str(exc), rec.get(ABSENCES, ""))
    hours = _parse_hours(rec.get(MAX_HOURS, "").strip())
    if isinstance(hours, _Bad):
        return hours
    wp = rec.get(WITH_POLICE, "").strip().lower()
    if wp and wp not in _YES | _NO:
        return _Bad(WITH_POLICE, "with_police must be yes or no", rec.get(WITH_POLICE, ""))
    person = {
        PERSON_ID: pid, PERSON_NAME: name, AGENCY: agency,
        SCHOOLS: ";".join(s.strip() for s in rec.get(SCHOOLS, "").split(";") if s.strip()),
        MAX_HOURS: hours, WITH_POLICE: wp not in _NO, SOURCE_LINE: line,
    }  # fmt: skip
    return person, ranges, off


def _parse_hours(text: str) -> float | _Bad:
    """``max_hours_week``: a number of hours in (0, 60], by default 6."""
    try:
        hours = float(text) if text else _DEFAULT_MAX_HOURS
    except ValueError:
        hours = math.nan
    if not (0 < hours <= 60):
        return _Bad(MAX_HOURS, "max_hours_week must be a number of hours in (0, 60]", text)
    return hours


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
