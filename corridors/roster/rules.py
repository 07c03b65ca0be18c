"""The team make-up rules checked in Python: who can walk a slot, and is a team legal.

The CP-SAT model (:mod:`corridors.roster.model`) states the same rules as constraints; these
checks serve the greedy start, the swap polish, police contacts and the diagnosis.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from corridors.config import RosterConfig
from corridors.roster.schema import (
    AGENCIES,
    AGENCY,
    AIM,
    DATE,
    END,
    FIRST_DATE,
    LAST_DATE,
    MAX_HOURS,
    PERSON_ID,
    PERSON_NAME,
    SCHOOLS,
    START,
    WEEKDAY,
    WITH_POLICE,
    Staff,
    _hhmm_to_min,
    _key,
    _split,
)


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


def _contacts(
    people: Sequence[_Person], slot: Mapping[Any, Any], police: set[str]
) -> list[_Person]:
    """Police on duty at the slot's time (they may be patrolling elsewhere or out of hours)."""
    date = slot[DATE]
    return [p for p in people if p.agency in police and not p.absent(date)
            and p.covers(date.weekday(), slot["start_min"], slot["end_min"])]  # fmt: skip


def _label(p: _Person) -> str:
    return f"{p.name} ({AGENCIES[p.agency]})"
