"""Make the week's roster: slots, the model, its solve, and the finished :class:`Roster`.

CONTRACT:
- ``make_roster(corridors, staff, cfg: RosterConfig, *, week_start, previous=None,
  timezone="Europe/London") -> Roster``
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from corridors.config import RosterConfig
from corridors.errors import ConfigError
from corridors.roster.diagnose import _diagnose
from corridors.roster.model import build_model
from corridors.roster.parts import solve_parts
from corridors.roster.rules import _contacts, _label, _people, _Person, _slot_keys
from corridors.roster.schema import (
    AGENCY,
    AIM,
    ASSIGNMENT_COLUMNS,
    CORRIDOR_ID,
    CORRIDOR_NAME,
    DATE,
    DAY,
    END,
    FILLED,
    LOOP_ID,
    MEETING_POINT,
    PERSON_ID,
    PERSON_NAME,
    POLICE_CONTACT,
    POLICE_CONTACT_ID,
    PROBLEM,
    SLOT_ID,
    START,
    TEAM,
    Roster,
    Staff,
)
from corridors.roster.slots import build_slots
from corridors.roster.solve import Solved, solve
from corridors.roster.split import split_week

if TYPE_CHECKING:
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)


def make_roster(
    corridors: Corridors,
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

    The objective (maximised, integers) is: per filled slot ``weights.fill`` plus
    ``weights.risk`` x risk / highest risk (so high-risk slots are filled first); per
    assignment ``-weights.person``, ``+weights.familiar`` if the person is linked to one of the
    loop's schools (doubled for officers), ``+weights.previous`` if the person walked the same
    loop or corridor in ``previous``; ``-weights.continuity`` per distinct person x loop pair
    (the same faces through the week); and, to spread hours fairly, ``-weights.fairness`` per
    quarter hour of each person's load above 1 h, again above 2 h, above 3 h... (a convex
    cost, so load goes to the least-loaded of interchangeable people, i.e. within an agency).

    The solve is lexicographic: phase 1 (2/3 of ``solver.seconds``), started from a greedy
    plan, maximises the fill and lean-team terms; phase 2 (the rest, at least 1/3) keeps
    phase 1's value and adds the other terms, starting from phase 1's plan improved by
    deterministic swaps (one member replaced, or two people trading places; every hard rule
    and the team sizes kept). Each phase works as a MIP solver would (:func:`_phase`): the
    LP relaxation, solved with HiGHS, gives the bound and a guide; CP-SAT searches a
    neighbourhood of the LP solution (RENS, else RINS), then the whole model only if the
    plan is not yet within ``solver.gap_limit`` (0.5 %) of the bound. (CP-SAT's one worker on the
    whole model barely leaves its start, and its own LP takes longer to reach the same
    bound.) ``gap`` compares the plan's whole objective with the bound, which holds for
    phase 1's set of filled slots; ``fill_gap`` is phase 1's gap. The LP may spread a loop's
    seats fractionally over many people, so the bound is loose on continuity and
    familiarity when staff are short: the true gap can be smaller than ``gap``. Limits are
    CP-SAT *deterministic* seconds and ``seed``; phase 1 runs one worker, phase 2
    ``solver.num_workers`` (default 1; more run interleaved search, which stays deterministic), and
    the LP is deterministic. So the same inputs give the same roster on any machine; a
    wall-clock safety net of 10x (at least 30 s) applies, and only if it is hit can the
    result vary.

    A week whose people fall into groups that never share a slot is solved group by group
    (:mod:`.split`, :mod:`.parts`), in up to ``solver.workers`` processes, each group with
    the whole ``solver.seconds``; a group too large to solve whole is cut by area (people
    then patrol only in the areas of their schools). ``objective`` and ``bound`` are then the
    sums over the groups. A week that is one group is solved as one model, as above.

    Parameters
    ----------
    corridors
        :class:`corridors.routes.Corridors` of the week (loops in EPSG:27700 metres).
    staff
        From :func:`load_staff` / :func:`staff_for_config`.
    cfg
        Rules, weights, ``solver.seconds`` (deterministic-time limit), ``solver.num_workers`` and
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
        return _finish(slots, people, cfg, Solved({}, "OPTIMAL", 0.0, 0.0, 0.0), notes,
                       week_start=week_start, timezone=timezone)  # fmt: skip
    parts = split_week(slots, people, centres=_centres(corridors))
    if len(parts) == 1 and not parts[0].area:  # one model, as it always was
        solved = solve(build_model(slots, people, cfg, prev_pairs=prev), cfg.solver)
    else:
        solved = solve_parts(slots, people, cfg, parts, prev_pairs=prev)
    return _finish(slots, people, cfg, solved, notes, week_start=week_start, timezone=timezone)


def _centres(corridors: Corridors) -> dict[str, tuple[float, float]]:
    """Each loop's centre (loop id -> x, y), to cut a large week by area."""
    loops = corridors.loops
    if not len(loops) or LOOP_ID not in loops or "geometry" not in loops:
        return {}
    out = {}
    for lid, geom in zip(loops[LOOP_ID], loops.geometry, strict=True):
        if geom is not None and not geom.is_empty:
            c = geom.centroid
            out[str(lid)] = (float(c.x), float(c.y))
    return out


def _finish(
    slots: pd.DataFrame,
    people: list[_Person],
    cfg: RosterConfig,
    solved: Solved,
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
