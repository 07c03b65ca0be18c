"""Solve a roster model: phase 1 (fill) and phase 2 (the rest), each as a MIP solver would."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from corridors.config import RosterConfig
from corridors.roster.heuristics import _greedy, _polish
from corridors.roster.lprelax import Relaxation, lp_relaxation
from corridors.roster.rules import _candidate, _contacts, _Person, _slot_keys
from corridors.roster.schema import AIM, CORRIDOR_ID, DATE, LOOP_ID, RISK, SLOT_ID

logger = logging.getLogger(__name__)


@dataclass
class _Solved:
    chosen: dict[str, list[str]]  # slot id -> person ids
    status: str
    objective: float
    bound: float
    seconds: float
    fill_gap: float = 0.0


def _solve(
    slots: pd.DataFrame,
    people: list[_Person],
    cfg: RosterConfig,
    *,
    prev_pairs: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    keep: Mapping[tuple[str, str], int] | None = None,
    used_min: Mapping[str, int] | None = None,
    hint: Mapping[str, Sequence[str]] | None = None,
) -> _Solved:
    """Assign people to slots with CP-SAT (see :func:`make_roster` for the model)."""
    from ortools.sat.python import cp_model

    keep = keep or {}
    used_min = used_min or {}
    model = cp_model.CpModel()
    police = set(cfg.police_agencies)
    officers = set(cfg.officer_agencies)
    max_risk = max([float(r) for r in slots[RISK]] + [1e-9])
    recs = slots.to_dict("records")
    by_id = {p.pid: p for p in people}
    x: dict[tuple[str, str], Any] = {}
    filled: dict[str, Any] = {}
    primary: list[tuple[int, Any]] = []  # fill by risk (and, re-planning, the cost of changes)
    per_person: dict[str, list[str]] = defaultdict(list)
    hps: dict[str, tuple[Any, list[Any]]] = {}  # slot -> "police on it", its police x
    implied: list[int] = []  # constraints the others imply in a full LP (CP-SAT's leaves some out)
    bonus: dict[tuple[str, str], int] = {}  # phase 2's per-assignment term
    secondary: list[tuple[int, Any]] = []  # phase 2's terms: coefficient, variable
    for s in recs:
        sid = s[SLOT_ID]
        f = model.new_bool_var(f"f[{sid}]")
        filled[sid] = f
        cands = [
            p
            for p in people
            if _candidate(p, s) and used_min.get(p.pid, 0) + s["duration_min"] <= p.max_min
        ]
        for p in cands:
            x[p.pid, sid] = model.new_bool_var(f"x[{p.pid},{sid}]")
            per_person[p.pid].append(sid)
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
        hp = model.new_bool_var(f"hp[{sid}]")
        hps[sid] = (hp, pol)
        if pol:
            model.add(sum(pol) >= hp)
            for v in pol:  # tight link: any police on the patrol -> hp
                model.add_implication(v, hp)
        else:
            model.add(hp == 0)
        # no police on the patrol -> it needs a youth worker (or the configured agencies)...
        youth = [x[p.pid, sid] for p in cands if p.agency in cfg.no_police_needs]
        model.add(sum(youth) + hp >= f)
        model.add(sum(youth) + sum(pol) >= f)  # redundant, tightens the LP
        # ... and a named police contact for the slot; with nobody to name, police must walk.
        if not _contacts(people, s, police):
            model.add(hp >= f)
        for p in cands:
            if not p.with_police and p.agency not in police:
                model.add_implication(x[p.pid, sid], hp.Not())
                for q in pol:  # pairwise form of the same rule (tighter LP in CP-SAT)
                    implied.append(model.add_bool_or([x[p.pid, sid].Not(), q.Not()]).index)
        weight = cfg.weight_fill + round(cfg.weight_risk * float(s[RISK]) / max_risk)
        primary.append((weight, f))
        keys = _slot_keys(s)
        for p in cands:
            w = -cfg.weight_person
            if p.keys & keys:
                w += cfg.weight_familiar * (2 if p.agency in officers else 1)
            if (p.pid, s[LOOP_ID]) in prev_pairs or (p.pid, s[CORRIDOR_ID]) in prev_pairs:
                w += cfg.weight_previous
            secondary.append((w + cfg.weight_person, x[p.pid, sid]))
            bonus[p.pid, sid] = w + cfg.weight_person
            # lean teams and the cost of changes are part of phase 1
            primary.append((keep.get((p.pid, sid), 0) - cfg.weight_person, x[p.pid, sid]))
    # people: overlaps, hours, continuity, fairness
    slot_by_id = {s[SLOT_ID]: s for s in recs}
    loads: dict[str, Any] = {}
    units_of: dict[str, list[tuple[int, Any]]] = {}
    ys: list[tuple[Any, list[Any]]] = []  # continuity indicator, its x variables
    links: list[int] = []  # the implications x -> y
    overs: list[tuple[Any, str, int]] = []  # fairness excess variable, person, threshold
    load_vars: list[tuple[Any, str]] = []  # a person's load (quarter hours), person
    for pid, sids in per_person.items():
        p = by_id[pid]
        by_date: dict[dt.date, list[Mapping[Any, Any]]] = defaultdict(list)
        for sid in sids:
            by_date[slot_by_id[sid][DATE]].append(slot_by_id[sid])
        for day_slots in by_date.values():
            for t in sorted({s["start_min"] for s in day_slots}):
                live = [x[pid, s[SLOT_ID]] for s in day_slots if s["start_min"] <= t < s["end_min"]]
                if len(live) > 1:
                    model.add_at_most_one(live)
        units = [(slot_by_id[sid]["duration_min"], x[pid, sid]) for sid in sids]
        budget = p.max_min - used_min.get(pid, 0)
        model.add(sum(d * v for d, v in units) <= budget)
        model.add(sum(v for _, v in units) <= budget // min(d for d, _ in units))  # LP cut
        loads[pid] = sum((d // 15) * v for d, v in units)
        units_of[pid] = [(d // 15, v) for d, v in units]
        by_loop: dict[str, list[Any]] = defaultdict(list)
        for sid in sids:
            by_loop[slot_by_id[sid][LOOP_ID]].append(x[pid, sid])
        if cfg.weight_continuity:
            for lid, vs in by_loop.items():
                y = model.new_bool_var(f"y[{pid},{lid}]")
                for v in vs:
                    links.append(model.add_implication(v, y).index)
                ys.append((y, vs))
                secondary.append((-cfg.weight_continuity, y))
    if cfg.weight_fairness:
        # Convex cost of each person's load: every further hour costs more, so load spreads
        # over interchangeable people (in practice, people of the same agency).
        for pid, load in sorted(loads.items()):
            cap = (by_id[pid].max_min - used_min.get(pid, 0)) // 15
            if cap < 4:
                continue
            # one load variable per person keeps each step's row short (2 terms, not one
            # per slot): a smaller, faster LP with the same bound
            lv = model.new_int_var(0, cap, f"load[{pid}]")
            model.add(lv == load)
            load_vars.append((lv, pid))
            for k in range(1, cap // 4 + 1):
                over = model.new_int_var(0, cap, f"over[{pid},{k}]")
                model.add(over >= lv - 4 * k)
                overs.append((over, pid, 4 * k))
                secondary.append((-cfg.weight_fairness, over))
    if hint is None:
        hint = _greedy(slots, people, cfg, used_min)
    # Lexicographic: first fill the riskiest slots with lean teams (phase 1), then, keeping
    # that, optimise familiarity, previous week, continuity and fairness (phase 2). Each
    # phase: the LP relaxation (bound and guide), a CP-SAT search restricted around it, and
    # a search of the whole model only if the plan is not yet within ``gap_limit``.
    model.maximize(sum(c * v for c, v in primary))
    decisions = [v.index for v in [*x.values(), *filled.values()]]
    n_vars = len(model.proto.variables)

    def complete(plan: Mapping[tuple[str, str], bool]) -> list[int]:
        """Give every variable its value for a plan (x): a complete start for CP-SAT.

        Filled slots and police on them follow from x; continuity and fairness variables
        take their least values for it.
        """
        value = [0] * n_vars
        for key, v in x.items():
            if plan[key]:
                value[v.index] = value[filled[key[1]].index] = 1
        for hp, pol in hps.values():
            value[hp.index] = max([value[v.index] for v in pol] + [0])
        for y, vs in ys:
            value[y.index] = max(value[v.index] for v in vs)
        for lv, pid in load_vars:
            value[lv.index] = sum(q * value[v.index] for q, v in units_of[pid])
        for over, pid, threshold in overs:
            load = sum(q * value[v.index] for q, v in units_of[pid])
            value[over.index] = max(0, load - threshold)
        return value

    def worth(value: Sequence[int], terms: Iterable[tuple[int, Any]]) -> float:
        return float(sum(c * value[v.index] for c, v in terms))

    greedy = complete({(pid, sid): pid in hint.get(sid, ()) for pid, sid in x})
    _set_hint(model, greedy)
    budget = cfg.solver_seconds * 2 / 3
    relax = _relax(model, implied, budget, "phase 1")
    one = _phase(model, cfg, "phase 1", budget, decisions, relax,
                 (greedy, worth(greedy, primary)), workers=1)  # fmt: skip
    seconds = one.wall
    p1, b1 = one.objective, one.bound
    fill_gap = _gap(p1, b1)
    left = max(cfg.solver_seconds / 3, cfg.solver_seconds - one.dtime)
    model.add(sum(c * v for c, v in primary) >= round(p1))
    # Continuity links as linear rows too: CP-SAT's LP at linearization level 1 leaves
    # implications out, and continuity then looks free. Added only now so phase 1's search
    # is unchanged. (Also tried: "police -> hp" rows and per person x loop "days walked <=
    # most days x y" caps; valid, but they slowed the LP more than they tightened it.)
    for y, vs in ys:
        for v in vs:
            model.add(y >= v)
    implied += links  # the implications "x -> y" are now rows as well
    for f in filled.values():  # phase 2 re-staffs the same slots
        model.add(f == one.values[f.index])
    # A complete, feasible start for phase 2: phase 1's plan improved by swaps (same slots,
    # same team sizes, every rule kept) on the phase 2 terms, which phase 1 ignored.
    plan = {k: bool(one.values[v.index]) for k, v in x.items()}
    if not keep:  # a re-plan starts from the old plan: moving people is not free there
        plan = _polish(plan, recs, by_id, cfg, bonus, used_min)
    start_values = complete(plan)
    terms = [*primary, *secondary]
    model.maximize(sum(c * v for c, v in terms))
    start_objective = worth(start_values, terms)
    relax = _relax(model, implied, left, "phase 2")
    _set_hint(model, start_values)
    # a valid, if loose, bound: phase 1's plus every positive phase 2 term
    loose = b1 + sum(max(0, c) for c, _ in secondary)
    # step 3 from a complete plan: no presolve, every LP row at once (the bound closes faster)
    two = _phase(model, cfg, "phase 2", left, decisions, relax,
                 (start_values, start_objective), bound=loose,
                 whole={"linearization": 1, "presolve": False, "lazy": False},
                 stop_early=True)  # fmt: skip
    seconds += two.wall
    name = two.status
    if name == "OPTIMAL" and fill_gap > 0:
        name = "FEASIBLE"  # optimal for phase 2 only
    picked = {k: bool(two.values[v.index]) for k, v in x.items()}
    objective, bound = two.objective, two.bound
    chosen: dict[str, list[str]] = defaultdict(list)
    for (pid, sid), on in sorted(picked.items()):
        if on:
            chosen[sid].append(pid)
    return _Solved(chosen=dict(chosen), status=name, objective=objective, bound=bound,
                   seconds=seconds, fill_gap=fill_gap)  # fmt: skip


def _set_hint(model: Any, values: Sequence[int]) -> None:
    """Hint a value for every variable of ``model`` (by proto index), replacing any hint."""
    hint = model.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(range(len(values)))
    hint.values.extend(int(v) for v in values)


@dataclass(frozen=True)
class _Outcome:
    """A CP-SAT run (or a phase of runs): its best plan and what is proven about it."""

    status: str  # CP-SAT's status name
    values: list[int]  # one per model variable, by proto index; empty: no plan found
    objective: float
    bound: float  # valid for the model run (with ``fix``, only for the restricted model)
    wall: float  # seconds
    dtime: float  # CP-SAT deterministic seconds


def _gap(objective: float, bound: float) -> float:
    return abs(bound - objective) / max(1.0, abs(objective))


def _run(
    model: Any,
    cfg: RosterConfig,
    seconds: float,
    *,
    linearization: int = 2,
    presolve: bool = True,
    workers: int | None = None,
    lazy: bool = True,
    fix: Mapping[int, int] | None = None,
    enough: float = math.inf,
) -> _Outcome:
    """
    Solve ``model`` deterministically: a deterministic-time limit, fixed seed and workers.

    ``fix`` (proto index -> value) solves a copy with those variables fixed: a restricted
    search whose plans are plans of ``model`` too, but whose bound is not. The search
    stops at the first plan worth ``enough`` or more (plans come in a deterministic order).
    """
    from ortools.sat.python import cp_model

    if fix:
        model = model.clone()
        for i, val in fix.items():
            dom = model.proto.variables[i].domain
            dom.clear()
            dom.extend([val, val])
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = workers or cfg.num_workers
    prm.random_seed = cfg.seed
    prm.interleave_search = prm.num_workers > 1  # keeps multi-worker search deterministic
    prm.linearization_level = linearization
    prm.cp_model_presolve = presolve  # phase 2 starts from a complete plan: search at once
    prm.add_lp_constraints_lazily = lazy
    # a restricted search's own bound is not the model's: search it to the end
    prm.relative_gap_limit = 0.0 if fix else cfg.gap_limit
    prm.max_deterministic_time = max(seconds, 0.01)
    prm.max_time_in_seconds = max(30.0, seconds * 10)  # wall-clock safety net only

    class Enough(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
        def on_solution_callback(self) -> None:
            if self.objective_value >= enough:
                self.stop_search()

    status = solver.solve(model, Enough() if enough < math.inf else None)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return _Outcome(
        status=solver.status_name(status),
        values=list(solver.response_proto.solution) if found else [],
        objective=solver.objective_value if found else -math.inf,
        bound=solver.best_objective_bound,
        wall=solver.wall_time,
        dtime=solver.response_proto.deterministic_time,
    )


_EPS = 1e-3  # an LP value this close to 0 or 1 counts as integral


def _relax(model: Any, implied: Iterable[int], seconds: float, label: str) -> Relaxation | None:
    """Return the LP relaxation of ``model`` (HiGHS), leaving out the ``implied`` rows."""
    relax = lp_relaxation(model, skip=implied, time_limit=max(30.0, seconds * 10))
    if relax is None:
        logger.warning("roster: %s: no LP relaxation (HiGHS failed or timed out)", label)
    else:
        logger.debug("Roster %s: LP bound %.0f (%d rows) in %.1f s", label, relax.bound,
                     relax.rows, relax.seconds)  # fmt: skip
    return relax


def _phase(
    model: Any,
    cfg: RosterConfig,
    label: str,
    seconds: float,
    decisions: Sequence[int],
    relax: Relaxation | None,
    start: tuple[Sequence[int], float],
    *,
    workers: int | None = None,
    bound: float = math.inf,
    whole: Mapping[str, Any] | None = None,
    stop_early: bool = False,
) -> _Outcome:
    """
    Maximise ``model``'s objective in ``seconds`` deterministic seconds, as a MIP solver would.

    1. ``relax``, the LP relaxation (:func:`_relax`): a bound.
    2. RENS: CP-SAT with every decision the LP made integral fixed; if that has no plan,
       RINS: every decision at 0 in both the LP and the start plan fixed at 0 (the two
       share half the time; RENS needs most of it when its neighbourhood has plans). On
       the borough benchmark week RENS reaches within 0.5 % of the LP bound in 2-4 s, where
       CP-SAT's one worker on the whole model barely leaves its start. (When staff are
       short, RENS can have no plan and RINS stays near the start: see the README.)
    3. The whole model, from the best plan so far, with what time is left, only if the
       plan is not yet proven within ``cfg.gap_limit``.

    ``start`` is a feasible plan (a value per variable, its objective), the one to beat;
    ``bound`` a known valid bound;
    ``whole``: :func:`_run` options for step 3; ``stop_early``: step 2 stops at the first
    plan within ``cfg.gap_limit`` of the LP bound (else it searches its neighbourhood to
    the end, or to half the time). Without an LP (time out) step 3 runs with
    the whole budget.
    """
    whole = whole or {}
    wall, dtime = 0.0, 0.0
    best = (list(start[0]), start[1])
    confirmed = False  # has CP-SAT seen a plan at least as good as ``best``?
    if relax is not None:
        wall += relax.seconds
        bound = min(bound, relax.bound)
        lp = relax.values
        tries = (
            ("RENS", {i: int(lp[i] > 0.5) for i in decisions if min(lp[i], 1 - lp[i]) < _EPS}),
            ("RINS", {i: 0 for i in decisions if lp[i] < _EPS and not best[0][i]}),
        )
        # a plan this good is within gap_limit: stop there (phase 1 searches on, since its
        # objective is mostly slots filled: 0.5 % there is a patrol)
        enough = bound / (1 + cfg.gap_limit) if stop_early else math.inf
        for name, fix in tries:
            out = _run(model, cfg, seconds / 2 - dtime, workers=workers, fix=fix,
                       enough=enough)  # fmt: skip
            wall, dtime = wall + out.wall, dtime + out.dtime
            logger.debug("Roster %s, %s (%d of %d decisions fixed): %s %.0f in %.1f s",
                         label, name, len(fix), len(decisions), out.status, out.objective,
                         out.wall)  # fmt: skip
            if out.values:
                confirmed = out.objective >= best[1]
                if out.objective > best[1]:
                    best = (out.values, out.objective)
                break
    if _gap(best[1], bound) > cfg.gap_limit:
        _set_hint(model, best[0])
        out = _run(model, cfg, seconds - dtime, workers=workers, **whole)
        wall, dtime = wall + out.wall, dtime + out.dtime
        logger.debug("Roster %s, whole model: %s %.0f (bound %.0f) in %.1f s", label,
                     out.status, out.objective, out.bound, out.wall)  # fmt: skip
        if out.values:
            bound = min(bound, out.bound)
            confirmed = confirmed or out.objective >= best[1]
            if out.objective >= best[1]:
                best = (out.values, out.objective)
        else:
            logger.warning(
                "roster: %s found no plan within its share of roster.solver_seconds=%s; "
                "keeping its best plan so far. Raise it.", label, cfg.solver_seconds,
            )  # fmt: skip
    if not confirmed:  # the start plan, never checked by CP-SAT: check it (presolve does)
        check = _run(model, cfg, 1.0, fix=dict(enumerate(best[0])))
        if not check.values:
            raise RuntimeError(f"roster: {label}'s start plan breaks a rule ({check.status})")
    bound = max(bound, best[1])  # no plan beats a bound; this only absorbs LP round-off
    status = "OPTIMAL" if best[1] >= bound else "FEASIBLE"
    return _Outcome(status, best[0], best[1], bound, wall, dtime)
