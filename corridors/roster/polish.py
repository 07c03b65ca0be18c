"""The swap polish: improve a legal plan on phase 2's terms, one replacement or trade at a time.

CONTRACT:
- ``_polish(plan, recs, by_id, cfg, bonus, used_min, passes=20, on_duty=None) -> plan``
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from corridors.config import RosterConfig
from corridors.roster.rules import _Person, _team_ok
from corridors.roster.schema import DATE, LOOP_ID, SLOT_ID

Plan = dict[tuple[str, str], bool]  # (person id, slot id) -> walks it


def _polish(
    plan: Plan,
    recs: Sequence[Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    bonus: Mapping[tuple[str, str], int],
    used_min: Mapping[str, int],
    passes: int = 20,
    on_duty: Sequence[_Person] | None = None,
) -> Plan:
    """Improve a legal plan by replacing one team member at a time, deterministically.

    A replacement must keep every hard rule (:func:`_team_ok`, availability, hours, no
    overlap) and the team's size (so phase 1's value), and must raise phase 2's terms
    (familiar faces, previous week, continuity, fairness). First improvement, slots and
    people in a fixed order, at most ``passes`` sweeps. ``on_duty``: the people police
    contacts are named from (default: everyone in ``by_id``).
    """
    state = _Polish(plan, recs, by_id, cfg, bonus, used_min)
    if on_duty is not None:
        state.people = list(on_duty)
    for _ in range(passes):
        replaced = state.replace_members()
        traded = state.trade_places()
        if not (replaced or traded):
            break
    return {(pid, sid): pid in state.team.get(sid, ()) for pid, sid in plan}


class _Polish:
    """A plan being polished: teams, and each person's load, hours, busy times and loops."""

    def __init__(
        self,
        plan: Plan,
        recs: Sequence[Mapping[Any, Any]],
        by_id: Mapping[str, _Person],
        cfg: RosterConfig,
        bonus: Mapping[tuple[str, str], int],
        used_min: Mapping[str, int],
    ) -> None:
        self.plan, self.by_id, self.cfg, self.bonus = plan, by_id, cfg, bonus
        self.used_min = used_min
        self.people = list(by_id.values())
        self.slot = {s[SLOT_ID]: s for s in recs}
        self.team: dict[str, list[str]] = defaultdict(list)
        self.cands: dict[str, list[str]] = defaultdict(list)
        self.own: dict[str, list[str]] = defaultdict(list)  # person -> slots they may walk
        for pid, sid in sorted(plan):
            self.cands[sid].append(pid)
            self.own[pid].append(sid)
            if plan[pid, sid]:
                self.team[sid].append(pid)
        self.quarters = {sid: s["duration_min"] // 15 for sid, s in self.slot.items()}
        self.load: dict[str, int] = defaultdict(int)
        self.mins: dict[str, int] = defaultdict(int)
        self.busy: dict[tuple[str, dt.date], list[tuple[int, int, str]]] = defaultdict(list)
        self.walks: dict[tuple[str, str], int] = defaultdict(int)
        for sid, pids in self.team.items():
            s = self.slot[sid]
            for pid in pids:
                self.load[pid] += self.quarters[sid]
                self.mins[pid] += s["duration_min"]
                self.busy[pid, s[DATE]].append((s["start_min"], s["end_min"], sid))
                self.walks[pid, s[LOOP_ID]] += 1
        self.steps = {
            pid: (p.max_min - used_min.get(pid, 0)) // 15 // 4 for pid, p in by_id.items()
        }

    def fair(self, pid: str, q: int) -> int:
        """Phase 2's fairness term of a person with ``q`` quarter hours of load."""
        return -self.cfg.weights.fairness * sum(
            max(0, q - 4 * k) for k in range(1, self.steps[pid] + 1)
        )

    def _move(self, who: str, src: Mapping[Any, Any] | None, dst: Mapping[Any, Any] | None) -> None:
        """Book ``who`` off slot ``src`` and onto slot ``dst`` (either may be None)."""
        for s, sign in ((src, -1), (dst, 1)):
            if s is None:
                continue
            self.load[who] += sign * self.quarters[s[SLOT_ID]]
            self.mins[who] += sign * s["duration_min"]
            self.walks[who, s[LOOP_ID]] += sign

    # -- one member replaced ----------------------------------------------------------

    def replace_members(self) -> bool:
        """Run one sweep of single replacements; return whether any was made."""
        better = False
        for sid in sorted(self.team):
            for i, pid in enumerate(list(self.team[sid])):
                if pid in self.team[sid] and self._replace(sid, i, pid):
                    better = True
        return better

    def _out_value(self, pid: str, s: Mapping[Any, Any]) -> int:
        """Phase 2's value of ``pid`` on slot ``s`` (what is lost when they leave it)."""
        q = self.quarters[s[SLOT_ID]]
        lone = self.cfg.weights.continuity if self.walks[pid, s[LOOP_ID]] == 1 else 0
        fair = self.fair(pid, self.load[pid]) - self.fair(pid, self.load[pid] - q)
        return self.bonus[pid, s[SLOT_ID]] - lone + fair

    def _in_value(self, new: str, s: Mapping[Any, Any]) -> int:
        """Phase 2's value of ``new`` joining slot ``s``."""
        q = self.quarters[s[SLOT_ID]]
        first = self.cfg.weights.continuity if self.walks[new, s[LOOP_ID]] == 0 else 0
        fair = self.fair(new, self.load[new] + q) - self.fair(new, self.load[new])
        return self.bonus[new, s[SLOT_ID]] - first + fair

    def _free_for(self, new: str, s: Mapping[Any, Any]) -> bool:
        """Whether ``new`` has the hours for slot ``s`` and is not busy then."""
        p = self.by_id[new]
        if self.mins[new] + s["duration_min"] > p.max_min - self.used_min.get(new, 0):
            return False
        a, b = s["start_min"], s["end_min"]
        return not any(x < b and a < y for x, y, _ in self.busy[new, s[DATE]])

    def _replace(self, sid: str, i: int, pid: str) -> bool:
        """Replace team member ``i`` (``pid``) of slot ``sid`` by the best legal gain."""
        s, team = self.slot[sid], self.team[sid]
        out = self._out_value(pid, s)
        best, pick = 0, None
        for new in self.cands[sid]:
            if new in team or not self._free_for(new, s):
                continue
            gain = self._in_value(new, s)
            if gain - out > best:
                members = [self.by_id[x] for x in team if x != pid] + [self.by_id[new]]
                if _team_ok(s, members, self.people, self.cfg):
                    best, pick = gain - out, new
        if pick is None:
            return False
        team[i] = pick
        self._move(pid, s, None)
        self._move(pick, None, s)
        a, b, day = s["start_min"], s["end_min"], s[DATE]
        self.busy[pid, day].remove((a, b, sid))
        self.busy[pick, day].append((a, b, sid))
        return True

    # -- two people trade places -----------------------------------------------------

    def trade_places(self) -> bool:
        """Run one sweep of exchanges; return whether any was made.

        p (on s1) and q (on s2) trade places, for s2 on a loop p already walks or at one of
        p's schools (same hours roughly, fewer distinct faces per loop).
        """
        better = False
        for p_id in sorted(self.by_id):
            for s1 in sorted(sid for sid, pids in self.team.items() if p_id in pids):
                if p_id in self.team[s1] and self._trade_from(p_id, s1):
                    better = True
        return better

    def _targets(self, p_id: str, s1: str) -> list[str]:
        """Slots p could trade into: ones they may walk, familiar or on a loop they walk."""
        return sorted(
            sid
            for sid in self.own.get(p_id, ())
            if sid != s1
            and (self.bonus[p_id, sid] > 0 or self.walks[p_id, self.slot[sid][LOOP_ID]] > 0)
        )

    def _trade_from(self, p_id: str, s1: str) -> bool:
        """Trade p (on s1) with someone on a target slot; return whether a trade was made."""
        r1 = self.slot[s1]
        made = False
        for s2 in self._targets(p_id, s1):
            r2 = self.slot[s2]
            if p_id in self.team[s2] or p_id not in self.team[s1]:
                continue
            for q_id in list(self.team[s2]):
                if (q_id, s1) not in self.plan or q_id in self.team[s1]:
                    continue
                if self._trade_ok(p_id, q_id, r1, r2):
                    self._trade(p_id, q_id, r1, r2)
                    made = True
                    break
            else:
                continue
            break
        return made

    def _trade_ok(self, p_id: str, q_id: str, r1: Mapping[Any, Any], r2: Mapping[Any, Any]) -> bool:
        """Whether the trade gains and keeps every rule."""
        gain = _swap_gain(p_id, q_id, r1, r2, self.bonus, self.walks, self.load,
                          self.quarters, self.fair, self.cfg)  # fmt: skip
        if gain <= 0 or not _swap_ok(p_id, q_id, r1, r2, self.by_id, self.mins, self.busy,
                                     self.used_min):  # fmt: skip
            return False
        s1, s2 = r1[SLOT_ID], r2[SLOT_ID]
        t1 = [self.by_id[x] for x in self.team[s1] if x != p_id] + [self.by_id[q_id]]
        t2 = [self.by_id[x] for x in self.team[s2] if x != q_id] + [self.by_id[p_id]]
        return _team_ok(r1, t1, self.people, self.cfg) and _team_ok(r2, t2, self.people, self.cfg)

    def _trade(self, p_id: str, q_id: str, r1: Mapping[Any, Any], r2: Mapping[Any, Any]) -> None:
        """Make the trade: p goes to r2, q to r1."""
        s1, s2 = r1[SLOT_ID], r2[SLOT_ID]
        self.team[s1][self.team[s1].index(p_id)] = q_id
        self.team[s2][self.team[s2].index(q_id)] = p_id
        for who, src, dst in ((p_id, r1, r2), (q_id, r2, r1)):
            self.load[who] += self.quarters[dst[SLOT_ID]] - self.quarters[src[SLOT_ID]]
            self.mins[who] += dst["duration_min"] - src["duration_min"]
            self.walks[who, src[LOOP_ID]] -= 1
            self.walks[who, dst[LOOP_ID]] += 1
            self.busy[who, src[DATE]].remove((src["start_min"], src["end_min"], src[SLOT_ID]))
            self.busy[who, dst[DATE]].append((dst["start_min"], dst["end_min"], dst[SLOT_ID]))


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
        w = cfg.weights.continuity
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
