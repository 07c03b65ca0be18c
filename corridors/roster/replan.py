"""Re-plan the rest of a week after an absence, changing as little as possible.

CONTRACT:
- ``replan(rota, staff, absent_id, on_date, cfg, *, until=None, corridors=None) -> Replan``
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from corridors.config import RosterConfig
from corridors.roster.make import _finish
from corridors.roster.model import build_model
from corridors.roster.rules import _people, _Person
from corridors.roster.schema import (
    AGENCY,
    CHANGE_COLUMNS,
    CORRIDOR_NAME,
    DATE,
    DAY,
    END,
    FILLED,
    LOOP_ID,
    PERSON_ID,
    PERSON_NAME,
    SLOT_ID,
    START,
    Replan,
    Roster,
    Staff,
)
from corridors.roster.slots import build_slots
from corridors.roster.solve import Solved, solve
from corridors.roster.staff import add_absence

if TYPE_CHECKING:
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)


def replan(
    rota: Roster,
    staff: Staff,
    absent_id: str | None,
    on_date: dt.date,
    cfg: RosterConfig,
    *,
    until: dt.date | None = None,
    corridors: Corridors | None = None,
) -> Replan:
    """
    Re-plan the rest of the week after someone is absent, changing as little as possible.

    Slots before ``on_date`` are kept as they are. From ``on_date`` on, the solver runs
    again with the staff (plus ``absent_id``'s absence from ``on_date`` to ``until``, by
    default the end of the week); each change to an existing assignment costs
    ``weights.replan_change_cost`` on the affected days and
    ``weights.replan_other_day_cost`` (heavy) on the other days, so the plan only moves
    what the absence forces.

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
        cost = (
            cfg.weights.replan_change_cost
            if on_date <= s[DATE] <= until
            else cfg.weights.replan_other_day_cost
        )
        for p in people:
            keep[p.pid, s[SLOT_ID]] = cost if p.pid in old.get(s[SLOT_ID], []) else -cost
    solved = Solved({}, "OPTIMAL", 0.0, 0.0, 0.0)
    if len(future):
        solved = solve(build_model(future, people, cfg, keep=keep, used_min=used), cfg.solver)
    chosen = {sid: [p for p in pids if p in by_id] for sid, pids in old.items()}
    for sid in future[SLOT_ID]:
        chosen[sid] = solved.chosen.get(sid, [])
    merged = Solved(
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
        messages.append(
            _message(s, [names.get(p, p) for p in gone], [names.get(p, p) for p in came])
        )
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS)), messages


def _message(s: pd.Series, gone: Sequence[str], came: Sequence[str]) -> str:
    """One slot's change in plain words (names of the people who left and came)."""
    head = f"{s[DAY]} {s[DATE].day} {s[DATE]:%b} {s[START]} {s[CORRIDOR_NAME]} (loop {s[LOOP_ID]})"
    who_out, who_in = ", ".join(gone), ", ".join(came)
    if gone and came:
        return f"{head}: {who_in} replaces {who_out}."
    if gone:
        return f"{head}: {who_out} removed" + (
            "." if s[FILLED] else "; the patrol is now unfilled."
        )
    return f"{head}: {who_in} added."
