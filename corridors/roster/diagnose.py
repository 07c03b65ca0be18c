"""Say in plain words why a patrol slot stayed unfilled, and what would fix it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from corridors.config import RosterConfig
from corridors.roster.rules import _candidate, _contacts, _merge, _Person
from corridors.roster.schema import (
    AGENCIES,
    AIM,
    CORRIDOR_ID,
    CORRIDOR_NAME,
    DATE,
    DAY,
    END,
    LOOP_ID,
    START,
    _hhmm_to_min,
    _min_to_hhmm,
)


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
