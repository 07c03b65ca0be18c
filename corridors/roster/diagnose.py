"""Say in plain words why a patrol slot stayed unfilled, and what would fix it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
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
)
from corridors.week import minutes_hhmm


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
    avail = [p for p in people if _candidate(p, s)]
    free = [p for p in avail
            if not any(x < b and a < y for x, y in busy.get((p.pid, date), []))
            and used.get(p.pid, 0) + s["duration_min"] <= p.max_min]  # fmt: skip
    scene = _Scene(s, tuple(people), cfg, tuple(avail), tuple(free))
    for check in (_nobody, _too_few, _officers, _police, _needs, _no_police, _not_with_police):
        found = check(scene)
        if found:
            return found
    return (f"{scene.title}: each rule can be met on its own, but the people free at "
            f"{scene.span} were needed on higher-risk patrols this week. Fix: add one more "
            f"person free {scene.span} (a police officer helps most), or drop a "
            f"lower-priority loop.")  # fmt: skip


@dataclass(frozen=True)
class _Scene:
    """An unfilled slot and who was available (``avail``) and still free (``free``) for it."""

    s: Mapping[Any, Any]
    people: tuple[_Person, ...]
    cfg: RosterConfig
    avail: tuple[_Person, ...]
    free: tuple[_Person, ...]

    @property
    def title(self) -> str:
        return _slot_title(self.s)

    @property
    def span(self) -> str:
        return f"{self.s[START]}-{self.s[END]}"

    @property
    def police(self) -> set[str]:
        return set(self.cfg.police_agencies)

    @property
    def officers(self) -> set[str]:
        return set(self.cfg.officer_agencies)

    def later(self, agencies: set[str] | None, what: str) -> str:
        """People of ``agencies`` who are free later that day (not absent)."""
        a, date = self.s["start_min"], self.s[DATE]
        window_end = _hhmm_to_min(self.cfg.window_end)
        starts = []
        for p in self.people:
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
        return f"{_count(len(starts), what)} {verb} free from {minutes_hhmm(min(starts))}"

    def busy_note(self, group: Sequence[_Person]) -> str:
        n_busy = sum(1 for p in group if p not in self.free)
        return (
            f" ({n_busy} available but already patrolling or out of weekly hours)" if n_busy else ""
        )

    def of(self, agencies: Collection[str]) -> list[_Person]:
        """Return the available people of ``agencies``."""
        return [p for p in self.avail if p.agency in agencies]


def _nobody(c: _Scene) -> str | None:
    if c.avail:
        return None
    return (f"{c.title}: nobody is available at {c.span}; {c.later(None, 'person')}. Fix: add "
            f"someone free {c.span}, or move the loop's start time.")  # fmt: skip


def _too_few(c: _Scene) -> str | None:
    n = c.cfg.min_team
    if len(c.free) >= n:
        return None
    nth = "second" if n - len(c.free) == 1 and c.free else "first"
    return (f"{c.title}: at least {n} people on every patrol could not be met: no "
            f"{nth} person available{c.busy_note(c.avail)}; {c.later(None, 'person')}. Fix: "
            f"add someone free {c.span}, raise someone's max_hours_week, or move the "
            f"start time.")  # fmt: skip


def _officers(c: _Scene) -> str | None:
    mins = c.cfg.aim_min_officers
    return _minimum(c, mins, c.officers, "police officer", "police officer", "an officer")


def _police(c: _Scene) -> str | None:
    mins, nouns = c.cfg.aim_min_police, ("police officer or PCSO", "officer or PCSO")
    return _minimum(c, mins, c.police, *nouns, "an officer or PCSO")


def _minimum(
    c: _Scene,
    mins: Mapping[str, int],
    agencies: set[str],
    need: str,
    later: str,
    free: str,
) -> str | None:
    """Say why a patrol's aim needs more of ``agencies`` than are free (None: enough are)."""
    s = c.s
    k = mins.get(s[AIM], 0)
    if not k or sum(p.agency in agencies for p in c.free) >= k:
        return None
    return (f"{c.title}: a {s[AIM]} patrol needs {_count(k, need)}: none free"
            f"{c.busy_note(c.of(agencies))}; {c.later(agencies, later)}. Fix: free "
            f"{free} for {c.span}, or set [roster].aims.{s[CORRIDOR_ID]} = "
            f"\"engagement\".")  # fmt: skip


def _needs(c: _Scene) -> str | None:
    need = c.cfg.aim_needs_one_of.get(c.s[AIM])
    if not need or any(p.agency in need for p in c.free):
        return None
    what = " or ".join(AGENCIES[n] for n in need)
    return (f"{c.title}: a {c.s[AIM]} patrol needs a {what}: none free"
            f"{c.busy_note(c.of(need))}; {c.later(set(need), what)}. Fix: add a {what} free "
            f"{c.span}.")  # fmt: skip


def _no_police(c: _Scene) -> str | None:
    """With no police free: a youth worker (or as configured) and a police contact."""
    needs = c.cfg.no_police_needs
    if any(p.agency in c.police for p in c.free):
        return None
    if not any(p.agency in needs for p in c.free):
        ywhat = " or ".join(AGENCIES[n] for n in needs)
        return (f"{c.title}: with no police free, the patrol needs a {ywhat}: none free"
                f"{c.busy_note(c.of(needs))}; {c.later(set(needs), ywhat)}. Fix: free an "
                f"officer or a {ywhat} for {c.span}.")  # fmt: skip
    if not _contacts(c.people, c.s, c.police):
        return (f"{c.title}: a patrol without police needs a named police contact for the "
                f"slot, and no police officer or PCSO is on duty {c.span}. Fix: put an "
                f"officer on duty at that time.")  # fmt: skip
    return None


def _not_with_police(c: _Scene) -> str | None:
    """With police free: too many of the others will not patrol beside police."""
    if not any(p.agency in c.police for p in c.free):
        return None
    n = c.cfg.min_team
    youth = [p for p in c.free if p.agency in c.cfg.no_police_needs]
    decline = [p for p in c.free if not p.with_police and p.agency not in c.police]
    if len(c.free) - len(decline) >= n or (youth and len(decline) >= n):
        return None
    return (f"{c.title}: {_count(len(decline), 'person')} free at {c.span} "
            f"({', '.join(p.name for p in decline)}) will not patrol beside police, and "
            f"the others cannot make a team of {n} with police. Fix: add "
            f"someone free {c.span} who patrols with police.")  # fmt: skip
