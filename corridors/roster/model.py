"""The roster as a CP-SAT model: variables, hard rules and objective. Data in, no solving.

CONTRACT:
- ``build_model(slots, people, cfg, *, prev_pairs=(), keep=None, used_min=None) -> RosterModel``
- ``RosterModel.complete(plan) -> list[int]``: a value for every variable from a plan (x)
- ``RosterModel.keep_phase_one(values, objective)``: phase 2's model (phase 1's fill kept)

The rules and the objective are described in :func:`corridors.roster.make_roster`. The
variables and constraints are created in a fixed order (slots, then people, then fairness):
CP-SAT's search depends on it, so the same inputs give the same roster.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from ortools.sat.python import cp_model

from corridors.config import RosterConfig
from corridors.roster.rules import _candidate, _contacts, _Person, _slot_keys
from corridors.roster.schema import AIM, CORRIDOR_ID, DATE, LOOP_ID, RISK, SLOT_ID

#: A term of the objective: its coefficient and variable.
Term = tuple[int, cp_model.IntVar]


@dataclass
class RosterModel:
    """A CP-SAT model of one week's roster, with the handles a solve needs.

    ``x[person, slot]``: the person walks the slot; ``filled[slot]``: the slot is walked.
    ``primary`` (phase 1: fill by risk, lean teams, the cost of changes) and ``secondary``
    (phase 2: familiar faces, previous week, continuity, fairness) are the objective's
    terms; ``bonus[person, slot]`` is an assignment's phase 2 term. ``implied`` are
    constraints the others imply in a full LP (left out of the LP relaxation).
    """

    cp: cp_model.CpModel
    slots: pd.DataFrame
    people: list[_Person]
    rules: RosterConfig
    used_min: Mapping[str, int]
    keep: Mapping[tuple[str, str], int]
    recs: list[dict[Hashable, Any]] = field(default_factory=list)
    x: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    filled: dict[str, cp_model.IntVar] = field(default_factory=dict)
    primary: list[Term] = field(default_factory=list)
    secondary: list[Term] = field(default_factory=list)
    bonus: dict[tuple[str, str], int] = field(default_factory=dict)
    per_person: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    hps: dict[str, tuple[cp_model.IntVar, list[cp_model.IntVar]]] = field(default_factory=dict)
    implied: list[int] = field(default_factory=list)
    units_of: dict[str, list[Term]] = field(default_factory=dict)
    loads: dict[str, Any] = field(default_factory=dict)  # person -> load (quarter hours)
    ys: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = field(default_factory=list)
    links: list[int] = field(default_factory=list)  # the implications x -> y
    overs: list[tuple[cp_model.IntVar, str, int]] = field(default_factory=list)
    load_vars: list[tuple[cp_model.IntVar, str]] = field(default_factory=list)
    everyone: Sequence[_Person] | None = None  # police contacts come from these (else people)

    @property
    def on_duty(self) -> Sequence[_Person]:
        """The people police contacts are named from: the whole staff, not only the part's."""
        return self.people if self.everyone is None else self.everyone

    @property
    def by_id(self) -> dict[str, _Person]:
        """The people by person id."""
        return {p.pid: p for p in self.people}

    @property
    def decisions(self) -> list[int]:
        """Proto indices of the decision variables: every x, then every filled."""
        return [v.index for v in [*self.x.values(), *self.filled.values()]]

    def complete(self, plan: Mapping[tuple[str, str], bool]) -> list[int]:
        """Give every variable its value for a plan (x): a complete start for CP-SAT.

        Filled slots and police on them follow from x; continuity and fairness variables
        take their least values for it.
        """
        value = [0] * len(self.cp.proto.variables)
        for key, v in self.x.items():
            if plan[key]:
                value[v.index] = value[self.filled[key[1]].index] = 1
        for hp, pol in self.hps.values():
            value[hp.index] = max([value[v.index] for v in pol] + [0])
        for y, vs in self.ys:
            value[y.index] = max(value[v.index] for v in vs)
        for lv, pid in self.load_vars:
            value[lv.index] = sum(q * value[v.index] for q, v in self.units_of[pid])
        for over, pid, threshold in self.overs:
            load = sum(q * value[v.index] for q, v in self.units_of[pid])
            value[over.index] = max(0, load - threshold)
        return value

    def plan_of(self, values: Sequence[int]) -> dict[tuple[str, str], bool]:
        """Return the plan (x) of a value per variable."""
        return {k: bool(values[v.index]) for k, v in self.x.items()}

    def keep_phase_one(self, values: Sequence[int], objective: float) -> None:
        """Turn the model into phase 2's: phase 1's value and filled slots kept.

        Also adds the continuity links as linear rows: CP-SAT's LP at linearization level
        1 leaves implications out, and continuity then looks free. Added only now so phase
        1's search is unchanged. (Also tried: "police -> hp" rows and per person x loop
        "days walked <= most days x y" caps; valid, but they slowed the LP more than they
        tightened it.) The objective becomes every term.
        """
        self.cp.add(sum(c * v for c, v in self.primary) >= round(objective))
        for y, vs in self.ys:
            for v in vs:
                self.cp.add(y >= v)
        self.implied += self.links  # the implications "x -> y" are now rows as well
        for f in self.filled.values():  # phase 2 re-staffs the same slots
            self.cp.add(f == values[f.index])

    def maximise_every_term(self) -> None:
        """Set the objective to phase 2's: every term."""
        self.cp.maximize(sum(c * v for c, v in [*self.primary, *self.secondary]))


def build_model(
    slots: pd.DataFrame,
    people: list[_Person],
    cfg: RosterConfig,
    *,
    prev_pairs: Collection[tuple[str, str]] = frozenset(),
    keep: Mapping[tuple[str, str], int] | None = None,
    used_min: Mapping[str, int] | None = None,
    everyone: Sequence[_Person] | None = None,
    max_risk: float | None = None,
) -> RosterModel:
    """
    Build the CP-SAT model of assigning ``people`` to ``slots`` (phase 1's objective).

    ``prev_pairs`` are (person, loop or corridor) pairs walked last week; ``keep`` the
    objective term of each (person, slot) when re-planning (the cost of a change);
    ``used_min`` the minutes each person has already walked this week. For one part of a
    week (:mod:`corridors.roster.split`): ``everyone``, the whole staff (police contacts on
    duty), and ``max_risk``, the week's highest slot risk (the fill weights' scale).
    """
    m = RosterModel(
        cp=cp_model.CpModel(),
        slots=slots,
        people=people,
        rules=cfg,
        used_min=used_min or {},
        keep=keep or {},
        recs=slots.to_dict("records"),
        everyone=everyone,
    )
    if max_risk is None:
        max_risk = max([float(r) for r in slots[RISK]] + [1e-9])
    for s in m.recs:
        cands = _add_slot(m, s)
        _add_slot_terms(m, s, cands, max_risk, prev_pairs)
    slot_by_id = {s[SLOT_ID]: s for s in m.recs}
    for pid, sids in m.per_person.items():
        _add_person(m, pid, [slot_by_id[sid] for sid in sids])
    if m.rules.weights.fairness:
        _add_fairness(m)
    # Lexicographic: first fill the riskiest slots with lean teams (phase 1), then, keeping
    # that, optimise familiarity, previous week, continuity and fairness (phase 2).
    m.cp.maximize(sum(c * v for c, v in m.primary))
    return m


def _add_slot(m: RosterModel, s: Mapping[Any, Any]) -> list[_Person]:
    """Add a slot's variables and make-up rules; return its candidates."""
    cfg, model, sid = m.rules, m.cp, s[SLOT_ID]
    police, officers = set(cfg.police_agencies), set(cfg.officer_agencies)
    f = model.new_bool_var(f"f[{sid}]")
    m.filled[sid] = f
    cands = [
        p
        for p in m.people
        if _candidate(p, s) and m.used_min.get(p.pid, 0) + s["duration_min"] <= p.max_min
    ]
    x = m.x
    for p in cands:
        x[p.pid, sid] = model.new_bool_var(f"x[{p.pid},{sid}]")
        m.per_person[p.pid].append(sid)
    xs = [x[p.pid, sid] for p in cands]
    model.add(sum(xs) >= cfg.min_team * f)
    model.add(sum(xs) <= cfg.max_team * f)
    pol = [x[p.pid, sid] for p in cands if p.agency in police]
    off = [x[p.pid, sid] for p in cands if p.agency in officers]
    k = cfg.aim_min_officers.get(s[AIM], 0)
    if k:
        model.add(sum(off) >= k * f)
    k = cfg.aim_min_police.get(s[AIM], 0)
    if k:
        model.add(sum(pol) >= k * f)
    need = cfg.aim_needs_one_of.get(s[AIM])
    if need:
        model.add(sum(x[p.pid, sid] for p in cands if p.agency in need) >= f)
    _add_police_rules(m, s, cands, f, pol)
    return cands


def _add_police_rules(
    m: RosterModel,
    s: Mapping[Any, Any],
    cands: Sequence[_Person],
    f: cp_model.IntVar,
    pol: list[cp_model.IntVar],
) -> None:
    """Add: police on a patrol, or a youth worker and a police contact; "not with police"."""
    cfg, model, sid = m.rules, m.cp, s[SLOT_ID]
    police = set(cfg.police_agencies)
    hp = model.new_bool_var(f"hp[{sid}]")
    m.hps[sid] = (hp, pol)
    if pol:
        model.add(sum(pol) >= hp)
        for v in pol:  # tight link: any police on the patrol -> hp
            model.add_implication(v, hp)
    else:
        model.add(hp == 0)
    # no police on the patrol -> it needs a youth worker (or the configured agencies)...
    youth = [m.x[p.pid, sid] for p in cands if p.agency in cfg.no_police_needs]
    model.add(sum(youth) + hp >= f)
    model.add(sum(youth) + sum(pol) >= f)  # redundant, tightens the LP
    # ... and a named police contact for the slot; with nobody to name, police must walk.
    if not _contacts(m.on_duty, s, police):
        model.add(hp >= f)
    for p in cands:
        if not p.with_police and p.agency not in police:
            model.add_implication(m.x[p.pid, sid], hp.Not())
            for q in pol:  # pairwise form of the same rule (tighter LP in CP-SAT)
                m.implied.append(model.add_bool_or([m.x[p.pid, sid].Not(), q.Not()]).index)


def _add_slot_terms(
    m: RosterModel,
    s: Mapping[Any, Any],
    cands: Sequence[_Person],
    max_risk: float,
    prev_pairs: Collection[tuple[str, str]],
) -> None:
    """Add a slot's objective terms: its fill (by risk) and each candidate's assignment."""
    cfg, sid = m.rules, s[SLOT_ID]
    officers = set(cfg.officer_agencies)
    weight = cfg.weights.fill + round(cfg.weights.risk * float(s[RISK]) / max_risk)
    m.primary.append((weight, m.filled[sid]))
    keys = _slot_keys(s)
    for p in cands:
        w = -cfg.weights.person
        if p.keys & keys:
            w += cfg.weights.familiar * (2 if p.agency in officers else 1)
        if (p.pid, s[LOOP_ID]) in prev_pairs or (p.pid, s[CORRIDOR_ID]) in prev_pairs:
            w += cfg.weights.previous
        m.secondary.append((w + cfg.weights.person, m.x[p.pid, sid]))
        m.bonus[p.pid, sid] = w + cfg.weights.person
        # lean teams and the cost of changes are part of phase 1
        m.primary.append((m.keep.get((p.pid, sid), 0) - cfg.weights.person, m.x[p.pid, sid]))


def _add_person(m: RosterModel, pid: str, slots: Sequence[Mapping[Any, Any]]) -> None:
    """Add a person's rules (no overlaps, hours) and continuity (the same faces on a loop)."""
    model, x = m.cp, m.x
    by_date: dict[dt.date, list[Mapping[Any, Any]]] = defaultdict(list)
    for s in slots:
        by_date[s[DATE]].append(s)
    for day_slots in by_date.values():
        for t in sorted({s["start_min"] for s in day_slots}):
            live = [x[pid, s[SLOT_ID]] for s in day_slots if s["start_min"] <= t < s["end_min"]]
            if len(live) > 1:
                model.add_at_most_one(live)
    units = [(int(s["duration_min"]), x[pid, s[SLOT_ID]]) for s in slots]
    budget = m.by_id[pid].max_min - m.used_min.get(pid, 0)
    model.add(sum(d * v for d, v in units) <= budget)
    model.add(sum(v for _, v in units) <= budget // min(d for d, _ in units))  # LP cut
    m.loads[pid] = sum((d // 15) * v for d, v in units)
    m.units_of[pid] = [(d // 15, v) for d, v in units]
    by_loop: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for s in slots:
        by_loop[s[LOOP_ID]].append(x[pid, s[SLOT_ID]])
    if m.rules.weights.continuity:
        for lid, vs in by_loop.items():
            y = model.new_bool_var(f"y[{pid},{lid}]")
            for v in vs:
                m.links.append(model.add_implication(v, y).index)
            m.ys.append((y, vs))
            m.secondary.append((-m.rules.weights.continuity, y))


def _add_fairness(m: RosterModel) -> None:
    """Add the convex cost of each person's load: every further hour costs more.

    So load spreads over interchangeable people (in practice, people of the same agency).
    """
    by_id = m.by_id
    for pid, load in sorted(m.loads.items()):
        cap = (by_id[pid].max_min - m.used_min.get(pid, 0)) // 15
        if cap < 4:
            continue
        # one load variable per person keeps each step's row short (2 terms, not one
        # per slot): a smaller, faster LP with the same bound
        lv = m.cp.new_int_var(0, cap, f"load[{pid}]")
        m.cp.add(lv == load)
        m.load_vars.append((lv, pid))
        for k in range(1, cap // 4 + 1):
            over = m.cp.new_int_var(0, cap, f"over[{pid},{k}]")
            m.cp.add(over >= lv - 4 * k)
            m.overs.append((over, pid, 4 * k))
            m.secondary.append((-m.rules.weights.fairness, over))
