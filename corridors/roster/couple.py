"""The coupling step of a week cut by area, and the objective of a plan computed in Python.

CONTRACT:
- ``plan_value(recs, by_id, cfg, chosen, *, prev_pairs, max_risk) -> (whole, fill)``
- ``couple(chosen, recs, by_id, cfg, *, spanning, area_of, area_people, on_duty) -> chosen``

A person who spans areas (:mod:`corridors.roster.split`) is solved in each area on some days
with a share of their hours; the areas' plans are checked together all the same.
:func:`couple` keeps, per such person, the patrols that fit (the most valuable slots first)
and mends each slot they leave: a free person of the slot's area takes the place, or the
team stays without them if it still keeps every rule, or the slot is left unfilled. It only
takes away, so the plan's value can only fall below the areas' sum, never rise above their
bounds.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from corridors.config import RosterConfig
from corridors.roster.rules import _candidate, _Person, _slot_keys, _team_ok
from corridors.roster.schema import CORRIDOR_ID, DATE, LOOP_ID, RISK, SLOT_ID

logger = logging.getLogger(__name__)

Chosen = dict[str, list[str]]  # slot id -> person ids


def _fill_weight(s: Mapping[Any, Any], cfg: RosterConfig, max_risk: float) -> int:
    return cfg.weights.fill + round(cfg.weights.risk * float(s[RISK]) / max_risk)


def _bonus(
    p: _Person, s: Mapping[Any, Any], cfg: RosterConfig, prev_pairs: Collection[tuple[str, str]]
) -> int:
    """Phase 2's term of ``p`` walking ``s`` (as in :mod:`corridors.roster.model`)."""
    w = 0
    if p.keys & _slot_keys(s):
        w += cfg.weights.familiar * (2 if p.agency in set(cfg.officer_agencies) else 1)
    if (p.pid, s[LOOP_ID]) in prev_pairs or (p.pid, s[CORRIDOR_ID]) in prev_pairs:
        w += cfg.weights.previous
    return w


def plan_value(
    recs: Sequence[Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    chosen: Mapping[str, Sequence[str]],
    *,
    prev_pairs: Collection[tuple[str, str]],
    max_risk: float,
) -> tuple[float, float]:
    """Return a plan's whole objective and its phase 1 part, as the model counts them."""
    wts = cfg.weights
    fill = 0
    extra = 0
    load: dict[str, int] = defaultdict(int)
    loops: set[tuple[str, str]] = set()
    for s in recs:
        team = chosen.get(s[SLOT_ID], [])
        if not team:
            continue
        fill += _fill_weight(s, cfg, max_risk) - wts.person * len(team)
        for pid in team:
            extra += _bonus(by_id[pid], s, cfg, prev_pairs)
            load[pid] += int(s["duration_min"]) // 15
            loops.add((pid, str(s[LOOP_ID])))
    extra -= wts.continuity * len(loops)
    if wts.fairness:
        for pid, q in load.items():
            cap = by_id[pid].max_min // 15
            if cap >= 4:
                extra -= wts.fairness * sum(max(0, q - 4 * k) for k in range(1, cap // 4 + 1))
    return float(fill + extra), float(fill)


def couple(
    chosen: Mapping[str, Sequence[str]],
    recs: Sequence[Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    *,
    spanning: Collection[str],
    area_of: Mapping[str, int],
    area_people: Sequence[Collection[str]],
    on_duty: Sequence[_Person],
    max_risk: float,
) -> Chosen:
    """Make the areas' plans one legal plan (see the module's docstring)."""
    slot = {str(s[SLOT_ID]): s for s in recs}
    out: Chosen = {sid: list(team) for sid, team in chosen.items() if team}
    walks: dict[str, list[str]] = defaultdict(list)
    for sid in sorted(out):
        for pid in out[sid]:
            walks[pid].append(sid)
    dropped: list[tuple[str, str]] = []
    for pid in sorted(spanning):
        p = by_id[pid]
        order = sorted(walks.get(pid, ()), key=lambda sid: (
            -_fill_weight(slot[sid], cfg, max_risk), slot[sid][DATE], slot[sid]["start_min"], sid,
        ))  # fmt: skip
        kept: list[Mapping[Any, Any]] = []
        for sid in order:
            s = slot[sid]
            if _fits(s, kept, p.max_min):
                kept.append(s)
            else:
                out[sid].remove(pid)
                dropped.append((pid, sid))
    if dropped:
        _mend(out, dropped, slot, by_id, cfg, area_of, area_people, on_duty)
    teams = {sid: team for sid, team in out.items() if team}
    logger.info("Roster coupling: %d of %d people in two areas or more took back %d "
                "patrols; %d slots left unfilled", len({p for p, _ in dropped}), len(spanning),
                len(dropped), len(out) - len(teams))  # fmt: skip
    return teams


def _fits(s: Mapping[Any, Any], kept: Sequence[Mapping[Any, Any]], max_min: int) -> bool:
    """Whether slot ``s`` fits with the ``kept`` ones: hours, and no two at once."""
    if sum(int(k["duration_min"]) for k in kept) + int(s["duration_min"]) > max_min:
        return False
    return not any(k[DATE] == s[DATE] and k["start_min"] < s["end_min"]
                   and s["start_min"] < k["end_min"] for k in kept)  # fmt: skip


def _mend(
    out: Chosen,
    dropped: Sequence[tuple[str, str]],
    slot: Mapping[str, Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    area_of: Mapping[str, int],
    area_people: Sequence[Collection[str]],
    on_duty: Sequence[_Person],
) -> None:
    """Mend each slot a spanning person left: a replacement, a smaller team, or unfilled."""
    mins: dict[str, int] = defaultdict(int)
    busy: dict[tuple[str, dt.date], list[tuple[int, int]]] = defaultdict(list)
    for sid, team in out.items():
        s = slot[sid]
        for pid in team:
            mins[pid] += int(s["duration_min"])
            busy[pid, s[DATE]].append((s["start_min"], s["end_min"]))
    for _, sid in sorted(dropped, key=lambda d: (d[1], d[0])):
        s, team = slot[sid], out[sid]
        a, b = s["start_min"], s["end_min"]
        free = [
            by_id[q]
            for q in sorted(area_people[area_of[sid]])
            if q not in team
            and _candidate(by_id[q], s)
            and mins[q] + s["duration_min"] <= by_id[q].max_min
            and not any(x < b and a < y for x, y in busy[q, s[DATE]])
        ]
        members = [by_id[q] for q in team]
        pick = next((q for q in free if _team_ok(s, [*members, q], on_duty, cfg)), None)
        if pick is not None:
            team.append(pick.pid)
            mins[pick.pid] += int(s["duration_min"])
            busy[pick.pid, s[DATE]].append((a, b))
        elif not _team_ok(s, members, on_duty, cfg):
            for q in team:
                mins[q] -= int(s["duration_min"])
                busy[q, s[DATE]].remove((a, b))
            team.clear()
