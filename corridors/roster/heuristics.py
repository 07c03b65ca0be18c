"""Plans without the solver: the greedy start plan and the deterministic swap polish."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from corridors.config import RosterConfig
from corridors.roster.rules import _candidate, _contacts, _Person, _slot_keys, _team_ok
from corridors.roster.schema import AIM, DATE, LOOP_ID, RISK, SLOT_ID


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
    slots: pd.DataFrame, people: Sequence[_Person], cfg: RosterConfig, used_min: Mapping[str, int]
) -> dict[str, list[str]]:
    """Return a quick legal plan (riskiest slots first) to start the solver from."""
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
        team = _greedy_team(s, free, people, cfg)
        if _team_ok(s, team, people, cfg):
            chosen[s[SLOT_ID]] = [p.pid for p in team]
            for p in team:
                used[p.pid] += s["duration_min"]
                busy[p.pid, s[DATE]].append((a, b))
    return chosen


def _polish(
    plan: dict[tuple[str, str], bool],
    recs: Sequence[Mapping[Any, Any]],
    by_id: Mapping[str, _Person],
    cfg: RosterConfig,
    bonus: Mapping[tuple[str, str], int],
    used_min: Mapping[str, int],
    passes: int = 20,
) -> dict[tuple[str, str], bool]:
    """Improve a legal plan by replacing one team member at a time, deterministically.

    A replacement must keep every hard rule (:func:`_team_ok`, availability, hours, no
    overlap) and the team's size (so phase 1's value), and must raise phase 2's terms
    (familiar faces, previous week, continuity, fairness). First improvement, slots and
    people in a fixed order, at most ``passes`` sweeps.
    """
    people = list(by_id.values())
    slot = {s[SLOT_ID]: s for s in recs}
    team: dict[str, list[str]] = defaultdict(list)
    cands: dict[str, list[str]] = defaultdict(list)
    for pid, sid in sorted(plan):
        cands[sid].append(pid)
        if plan[pid, sid]:
            team[sid].append(pid)
    quarters = {sid: s["duration_min"] // 15 for sid, s in slot.items()}
    load: dict[str, int] = defaultdict(int)
    mins: dict[str, int] = defaultdict(int)
    busy: dict[tuple[str, dt.date], list[tuple[int, int, str]]] = defaultdict(list)
    walks: dict[tuple[str, str], int] = defaultdict(int)
    for sid, pids in team.items():
        s = slot[sid]
        for pid in pids:
            load[pid] += quarters[sid]
            mins[pid] += s["duration_min"]
            busy[pid, s[DATE]].append((s["start_min"], s["end_min"], sid))
            walks[pid, s[LOOP_ID]] += 1
    steps = {pid: (p.max_min - used_min.get(pid, 0)) // 15 // 4 for pid, p in by_id.items()}
    own: dict[str, list[str]] = defaultdict(list)  # person -> slots they may walk
    for pid, sid in sorted(plan):
        own[pid].append(sid)

    def fair(pid: str, q: int) -> int:
        return -cfg.weight_fairness * sum(max(0, q - 4 * k) for k in range(1, steps[pid] + 1))

    for _ in range(passes):
        better = False
        for sid in sorted(team):
            s = slot[sid]
            a, b, day, lid, q = s["start_min"], s["end_min"], s[DATE], s[LOOP_ID], quarters[sid]
            for i, pid in enumerate(list(team[sid])):
                if pid not in team[sid]:
                    continue
                out = (bonus[pid, sid]
                       - (cfg.weight_continuity if walks[pid, lid] == 1 else 0)
                       + fair(pid, load[pid]) - fair(pid, load[pid] - q))  # fmt: skip
                best, pick = 0, None
                for new in cands[sid]:
                    if new in team[sid]:
                        continue
                    p = by_id[new]
                    if mins[new] + s["duration_min"] > p.max_min - used_min.get(new, 0):
                        continue
                    if any(x < b and a < y for x, y, _ in busy[new, day]):
                        continue
                    gain = (bonus[new, sid]
                            - (cfg.weight_continuity if walks[new, lid] == 0 else 0)
                            + fair(new, load[new] + q) - fair(new, load[new]))  # fmt: skip
                    if gain - out > best:
                        members = [by_id[x] for x in team[sid] if x != pid] + [p]
                        if _team_ok(s, members, people, cfg):
                            best, pick = gain - out, new
                if pick is None:
                    continue
                team[sid][i] = pick
                for who, sign in ((pid, -1), (pick, 1)):
                    load[who] += sign * q
                    mins[who] += sign * s["duration_min"]
                    walks[who, lid] += sign
                busy[pid, day].remove((a, b, sid))
                busy[pick, day].append((a, b, sid))
                better = True
        # exchanges: p (on s1) and q (on s2) trade places, for s2 on a loop p already walks
        # or at one of p's schools (same hours roughly, fewer distinct faces per loop)
        for p_id in sorted(by_id):
            for s1 in sorted(sid for sid, pids in team.items() if p_id in pids):
                if p_id not in team[s1]:
                    continue  # moved earlier in this sweep
                r1 = slot[s1]
                targets = sorted(
                    sid
                    for sid in own.get(p_id, ())
                    if sid != s1 and (bonus[p_id, sid] > 0 or walks[p_id, slot[sid][LOOP_ID]] > 0)
                )
                for s2 in targets:
                    r2 = slot[s2]
                    if p_id in team[s2] or p_id not in team[s1]:
                        continue
                    done = False
                    for q_id in list(team[s2]):
                        if (q_id, s1) not in plan or q_id in team[s1]:
                            continue
                        gain = _swap_gain(p_id, q_id, r1, r2, bonus, walks, load, quarters,
                                          fair, cfg)  # fmt: skip
                        if gain <= 0 or not _swap_ok(p_id, q_id, r1, r2, by_id, mins, busy,
                                                     used_min):  # fmt: skip
                            continue
                        t1 = [by_id[x] for x in team[s1] if x != p_id] + [by_id[q_id]]
                        t2 = [by_id[x] for x in team[s2] if x != q_id] + [by_id[p_id]]
                        if not (_team_ok(r1, t1, people, cfg) and _team_ok(r2, t2, people, cfg)):
                            continue
                        team[s1][team[s1].index(p_id)] = q_id
                        team[s2][team[s2].index(q_id)] = p_id
                        for who, src, dst in ((p_id, r1, r2), (q_id, r2, r1)):
                            load[who] += quarters[dst[SLOT_ID]] - quarters[src[SLOT_ID]]
                            mins[who] += dst["duration_min"] - src["duration_min"]
                            walks[who, src[LOOP_ID]] -= 1
                            walks[who, dst[LOOP_ID]] += 1
                            busy[who, src[DATE]].remove(
                                (src["start_min"], src["end_min"], src[SLOT_ID])
                            )
                            busy[who, dst[DATE]].append(
                                (dst["start_min"], dst["end_min"], dst[SLOT_ID])
                            )
                        better = done = True
                        break
                    if done:
                        break
        if not better:
            break
    return {(pid, sid): pid in team.get(sid, ()) for pid, sid in plan}


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
        w = cfg.weight_continuity
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
