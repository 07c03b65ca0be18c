"""The roster's tables and values: column names, staff, roster, re-plan, times as text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd

from corridors.config import AGENCIES as AGENCIES  # one definition: the config checks them
from corridors.config import AIMS as AIMS
from corridors.load import SourceReport

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


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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

    def of_loops(self, loop_ids: Collection[str]) -> Roster:
        """Return this roster cut to the patrols of ``loop_ids`` (slots and assignments)."""
        keep = {str(i) for i in loop_ids}

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            if "loop_id" not in frame.columns:
                return frame
            return frame[frame["loop_id"].astype(str).isin(keep)]

        return dataclasses.replace(self, slots=cut(self.slots), assignments=cut(self.assignments))


@dataclass(frozen=True)
class Replan:
    """A re-planned roster and exactly what changed.

    ``changes``: one row per removed or added assignment (columns ``CHANGE_COLUMNS``,
    ``change`` is "removed" or "added"); ``messages``: the same in plain words, one per slot.
    """

    roster: Roster
    changes: pd.DataFrame
    messages: tuple[str, ...]


def _hhmm_to_min(text: str) -> int:
    h, m = text.split(":")
    hh, mm = int(h), int(m)
    if not (0 <= hh <= 24 and 0 <= mm < 60) or hh * 60 + mm > 24 * 60:
        raise ValueError(text)
    return hh * 60 + mm


def _split(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    if isinstance(text, (list, tuple)):
        return [str(t).strip() for t in text if str(t).strip()]
    return [t.strip() for t in str(text).split(";") if t.strip()]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())
