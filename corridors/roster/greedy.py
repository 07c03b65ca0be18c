"""The greedy start plan: the riskiest slots first, each team picked rule by rule."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from corridors.config import RosterConfig
from corridors.roster.rules import _candidate, _contacts, _Person, _slot_keys, _team_ok
from corridors.roster.schema import AIM, DATE, RISK, SLOT_ID


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
    slots: pd.DataFrame,
    people: Sequence[_Person],
    cfg: RosterConfig,
    used_min: Mapping[str, int],
    on_duty: Sequence[_Person] | None = None,
) -> dict[str, list[str]]:
    """Return a quick legal plan (riskiest slots first) to start the solver from.

    ``on_duty``: the people police contacts are named from (default ``people``).
    """
    everyone = people if on_duty is None else on_duty
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
        team = _greedy_team(s, free, everyone, cfg)
        if _team_ok(s, team, everyone, cfg):
            chosen[s[SLOT_ID]] = [p.pid for p in team]
            for p in team:
                used[p.pid] += s["duration_min"]
                busy[p.pid, s[DATE]].append((a, b))
    return chosen
