"""Solve a week's parts apart, side by side in processes, and put the plans together.

CONTRACT:
- ``solve_parts(slots, people, cfg, parts, *, prev_pairs=()) -> Solved``

Each part (:func:`corridors.roster.split.split_week`) is its own model, solved by
:func:`corridors.roster.solve.solve` with the whole ``roster.solver`` settings (each part
gets ``seconds`` of deterministic time, as a week of its size would), in up to
``solver.workers`` processes (0: every core). A process builds and solves one part's model
at a time, so memory grows with the largest part (times the processes), not the week. The
parts are solved deterministically and put together in a fixed order: the roster is the
same for any number of processes.

What the bound means. Parts that are components of the eligibility graph share nobody,
and every term of the objective (a slot's fill, an assignment, a person x loop, a person's
load) lies in one part: the week's objective is the parts' sum, and so is its bound
(``bound`` and phase 1's ``fill_bound`` are the parts' sums; the gap is as tight as the
parts' gaps). Parts cut by area are another model: people patrol only in the areas of their
schools, and a person linked to schools in several areas has their weekdays dealt out
between them in turn, with their hours in the same shares. The bound is the sum of the
areas' bounds, a bound of that model, except for one term: fairness is counted per area
on each share of a person's load, and since its cost is convex and 0 at 0 the sum of the
shares' costs is at most the whole load's, so the sum over-estimates, never under. The
plan's objective is counted on the final plan (after the coupling step, :mod:`.couple`),
so the gap is honest for the area model. It says nothing about plans that send people
outside their areas or share their week otherwise: the benchmark compares with the whole
model's bound.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pandas as pd

from corridors.config import RosterConfig
from corridors.cores import usable_cores
from corridors.roster.couple import couple, plan_value
from corridors.roster.model import build_model
from corridors.roster.rules import _Person
from corridors.roster.schema import RISK, SLOT_ID
from corridors.roster.solve import Solved, solve
from corridors.roster.split import Part

logger = logging.getLogger(__name__)

_Job = tuple[pd.DataFrame, list[_Person], RosterConfig, frozenset[tuple[str, str]],
             list[_Person], float]  # fmt: skip


def _solve_part(job: _Job) -> Solved:
    """Build and solve one part's model (run in a worker process)."""
    slots, people, cfg, prev, on_duty, max_risk = job
    model = build_model(slots, people, cfg, prev_pairs=prev, everyone=on_duty, max_risk=max_risk)
    return solve(model, cfg.solver)


def _here(p: _Person, share: float, days: Collection[int]) -> _Person:
    """Return ``p`` as one area sees them: ``share`` of their hours, on ``days`` only."""
    ranges = {d: r for d, r in p.ranges.items() if d in days}
    return dataclasses.replace(p, max_min=int(p.max_min * share), ranges=ranges)


def workers_for(cfg: RosterConfig, parts: int) -> int:
    """Return the processes: ``solver.workers`` (0: every usable core), at most one per part."""
    n = cfg.solver.workers or usable_cores()
    return max(1, min(n, parts))


def solve_parts(
    slots: pd.DataFrame,
    people: Sequence[_Person],
    cfg: RosterConfig,
    parts: Sequence[Part],
    *,
    prev_pairs: Collection[tuple[str, str]] = frozenset(),
) -> Solved:
    """Solve every part and put the plans together (see the module's docstring)."""
    by_id = {p.pid: p for p in people}
    police = set(cfg.police_agencies)
    on_duty = [p for p in people if p.agency in police]  # police contacts: from everyone
    max_risk = max([float(r) for r in slots[RISK]] + [1e-9])
    index = slots.set_index(SLOT_ID, drop=False)
    jobs: list[_Job] = []
    for part in parts:
        mine = set(part.people)
        prev = frozenset(pair for pair in prev_pairs if pair[0] in mine)
        mine_slots = index.loc[list(part.slot_ids)].reset_index(drop=True)
        share = {pid: (f, days) for pid, f, days in part.share}  # spanning: hours and days here
        mine_people = [_here(by_id[pid], *share[pid]) if pid in share else by_id[pid]
                       for pid in part.people]  # fmt: skip
        jobs.append((mine_slots, mine_people, cfg, prev, on_duty,
                     max_risk))  # fmt: skip
    n = workers_for(cfg, len(jobs))
    logger.info("Roster: %d parts (largest %d pairs) in %d process%s", len(parts),
                max(p.pairs for p in parts), n, "" if n == 1 else "es")  # fmt: skip
    if n == 1:
        results = [_solve_part(job) for job in jobs]
    else:
        order = sorted(range(len(jobs)), key=lambda k: -parts[k].pairs)  # largest first
        with ProcessPoolExecutor(n, mp_context=get_context("spawn")) as pool:
            done = dict(zip(order, pool.map(_solve_part, [jobs[k] for k in order]), strict=True))
        results = [done[k] for k in range(len(jobs))]
    return _combine(slots, by_id, cfg, parts, results, prev_pairs, on_duty, max_risk)


def _combine(
    slots: pd.DataFrame,
    by_id: dict[str, _Person],
    cfg: RosterConfig,
    parts: Sequence[Part],
    results: Sequence[Solved],
    prev_pairs: Collection[tuple[str, str]],
    on_duty: Sequence[_Person],
    max_risk: float,
) -> Solved:
    """Put the parts' plans together; couple the areas; sum the bounds."""
    chosen: dict[str, list[str]] = {}
    for r in results:
        chosen.update(r.chosen)
    objective = sum(r.objective for r in results)
    fill_objective = sum(r.fill_objective for r in results)
    spanning = frozenset().union(*(p.spanning for p in parts))
    if spanning:
        recs = slots.to_dict("records")
        area_of = {sid: k for k, p in enumerate(parts) for sid in p.slot_ids}
        chosen = couple(chosen, recs, by_id, cfg, spanning=spanning, area_of=area_of,
                        area_people=[set(p.people) for p in parts], on_duty=on_duty,
                        max_risk=max_risk)  # fmt: skip
        objective, fill_objective = plan_value(
            recs, by_id, cfg, chosen, prev_pairs=prev_pairs, max_risk=max_risk
        )
    bound = sum(r.bound for r in results)
    fill_bound = sum(r.fill_bound for r in results)
    optimal = all(r.status == "OPTIMAL" for r in results) and objective >= bound
    return Solved(
        chosen={sid: sorted(team) for sid, team in sorted(chosen.items())},
        status="OPTIMAL" if optimal else "FEASIBLE",
        objective=objective,
        bound=bound,
        seconds=sum(r.seconds for r in results),
        fill_gap=abs(fill_bound - fill_objective) / max(1.0, abs(fill_objective)),
        fill_objective=fill_objective,
        fill_bound=fill_bound,
    )
