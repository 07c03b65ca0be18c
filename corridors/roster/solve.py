"""Solve a roster model: phase 1 (fill) and phase 2 (the rest), each as a MIP solver would."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from corridors.config import SolverParams
from corridors.roster.greedy import _greedy
from corridors.roster.lprelax import Relaxation, lp_relaxation
from corridors.roster.model import RosterModel
from corridors.roster.polish import _polish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Solved:
    """A solved roster: who walks each slot, and what the solver proved about it."""

    chosen: dict[str, list[str]]  # slot id -> person ids
    status: str
    objective: float
    bound: float
    seconds: float
    fill_gap: float = 0.0
    fill_objective: float = 0.0  # phase 1's value (fill by risk, lean teams)
    fill_bound: float = 0.0  # phase 1's bound


def solve(model: RosterModel, params: SolverParams) -> Solved:
    """
    Solve ``model`` lexicographically (see :func:`corridors.roster.make_roster`).

    Phase 1 (2/3 of the time) fills the riskiest slots with lean teams, from a greedy
    plan; phase 2 (the rest, at least 1/3) keeps that and optimises every term, from phase
    1's plan improved by swaps. Each phase: the LP relaxation (bound and guide), a CP-SAT
    search restricted around it, and a search of the whole model only if the plan is not
    yet within ``solver.gap_limit``. ``model`` becomes phase 2's model.
    """
    hint = _greedy(model.slots, model.people, model.rules, model.used_min, model.everyone)
    one = _phase_one(model, params, hint)
    fill_gap = _gap(one.objective, one.bound)
    two = _phase_two(model, params, one)
    name = two.status
    if name == "OPTIMAL" and fill_gap > 0:
        name = "FEASIBLE"  # optimal for phase 2 only
    chosen: dict[str, list[str]] = defaultdict(list)
    for (pid, sid), on in sorted(model.plan_of(two.values).items()):
        if on:
            chosen[sid].append(pid)
    return Solved(chosen=dict(chosen), status=name, objective=two.objective, bound=two.bound,
                  seconds=one.wall + two.wall, fill_gap=fill_gap,
                  fill_objective=one.objective, fill_bound=one.bound)  # fmt: skip


def _worth(value: Sequence[int], terms: Iterable[tuple[int, Any]]) -> float:
    return float(sum(c * value[v.index] for c, v in terms))


def _phase_one(m: RosterModel, params: SolverParams, hint: Mapping[str, Sequence[str]]) -> _Outcome:
    """Fill the riskiest slots with lean teams, from the greedy plan ``hint``."""
    greedy = m.complete({(pid, sid): pid in hint.get(sid, ()) for pid, sid in m.x})
    _set_hint(m.cp, greedy)
    budget = params.seconds * 2 / 3
    relax = _relax(m.cp, m.implied, budget, "phase 1") if params.lp_relaxation else None
    return _phase(m.cp, params, "phase 1", budget, m.decisions, relax,
                  (greedy, _worth(greedy, m.primary)), workers=1)  # fmt: skip


def _phase_two(m: RosterModel, params: SolverParams, one: _Outcome) -> _Outcome:
    """Keep phase 1's fill and optimise every term, from phase 1's plan polished by swaps."""
    left = max(params.seconds / 3, params.seconds - one.dtime)
    m.keep_phase_one(one.values, one.objective)
    # A complete, feasible start for phase 2: phase 1's plan improved by swaps (same slots,
    # same team sizes, every rule kept) on the phase 2 terms, which phase 1 ignored.
    plan = m.plan_of(one.values)
    if params.polish and not m.keep:  # a re-plan starts from the old plan: moving is not free
        plan = _polish(plan, m.recs, m.by_id, m.rules, m.bonus, m.used_min,
                       on_duty=m.everyone)  # fmt: skip
    start_values = m.complete(plan)
    m.maximise_every_term()
    start_objective = _worth(start_values, [*m.primary, *m.secondary])
    relax = _relax(m.cp, m.implied, left, "phase 2") if params.lp_relaxation else None
    _set_hint(m.cp, start_values)
    # a valid, if loose, bound: phase 1's plus every positive phase 2 term
    loose = one.bound + sum(max(0, c) for c, _ in m.secondary)
    # step 3 from a complete plan: no presolve, every LP row at once (the bound closes faster)
    return _phase(m.cp, params, "phase 2", left, m.decisions, relax,
                  (start_values, start_objective), bound=loose,
                  whole={"linearization": 1, "presolve": False, "lazy": False},
                  stop_early=True)  # fmt: skip


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
    params: SolverParams,
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
    prm.num_workers = workers or params.num_workers
    prm.random_seed = params.seed
    prm.interleave_search = prm.num_workers > 1  # keeps multi-worker search deterministic
    prm.linearization_level = linearization
    prm.cp_model_presolve = presolve  # phase 2 starts from a complete plan: search at once
    prm.add_lp_constraints_lazily = lazy
    # a restricted search's own bound is not the model's: search it to the end
    prm.relative_gap_limit = 0.0 if fix else params.gap_limit
    prm.max_deterministic_time = max(seconds, 0.01)
    prm.max_time_in_seconds = max(30.0, seconds * 10)  # wall-clock safety net only

    class Enough(cp_model.CpSolverSolutionCallback):
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
    params: SolverParams,
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
       plan is not yet proven within ``params.gap_limit``.

    ``start`` is a feasible plan (a value per variable, its objective), the one to beat;
    ``bound`` a known valid bound;
    ``whole``: :func:`_run` options for step 3; ``stop_early``: step 2 stops at the first
    plan within ``params.gap_limit`` of the LP bound (else it searches its neighbourhood to
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
        ) if params.neighbourhood else ()  # fmt: skip
        # a plan this good is within gap_limit: stop there (phase 1 searches on, since its
        # objective is mostly slots filled: 0.5 % there is a patrol)
        enough = bound / (1 + params.gap_limit) if stop_early else math.inf
        for name, fix in tries:
            out = _run(model, params, seconds / 2 - dtime, workers=workers, fix=fix,
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
    if _gap(best[1], bound) > params.gap_limit:
        _set_hint(model, best[0])
        out = _run(model, params, seconds - dtime, workers=workers, **whole)
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
                "roster: %s found no plan within its share of roster.solver.seconds=%s; "
                "keeping its best plan so far. Raise it.", label, params.seconds,
            )  # fmt: skip
    if not confirmed:  # the start plan, never checked by CP-SAT: check it (presolve does)
        check = _run(model, params, 1.0, fix=dict(enumerate(best[0])))
        if not check.values:
            raise RuntimeError(f"roster: {label}'s start plan breaks a rule ({check.status})")
    bound = max(bound, best[1])  # no plan beats a bound; this only absorbs LP round-off
    status = "OPTIMAL" if best[1] >= bound else "FEASIBLE"
    return _Outcome(status, best[0], best[1], bound, wall, dtime)
