"""The LP relaxation of CP-SAT models (HiGHS): bounds that hold, on hand-made and random models."""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from corridors.roster.lprelax import lp_relaxation


def _optimum(model: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver.objective_value


def test_knapsack_lp_is_the_fractional_knapsack() -> None:
    m = cp_model.CpModel()
    xs = [m.new_bool_var(f"x{i}") for i in range(3)]
    m.add(4 * xs[0] + 3 * xs[1] + 2 * xs[2] <= 5)
    m.maximize(8 * xs[0] + 5 * xs[1] + 3 * xs[2])
    lp = lp_relaxation(m)
    # greedy by value per weight: x0 = 1 (weight 4), then x1 = 1/3 -> 8 + 5/3 = 9.67
    assert lp is not None and lp.bound == 9.0  # rounded down: the objective is integral
    assert [round(float(v), 3) for v in lp.values] == [1.0, 0.333, 0.0]
    assert _optimum(m) == 8.0 <= lp.bound


def test_minimising_gives_a_lower_bound_and_enforced_rows_count() -> None:
    m = cp_model.CpModel()
    a, b, e = m.new_bool_var("a"), m.new_bool_var("b"), m.new_bool_var("e")
    n = m.new_int_var(0, 10, "n")
    m.add_bool_or([a, b]).only_enforce_if(e)  # e -> (a or b)
    m.add(e == 1)
    m.add(n >= 3)
    m.minimize(3 * a + 2 * b + n + 7)
    lp = lp_relaxation(m)
    assert lp is not None and lp.bound == _optimum(m) == 12.0  # b = 1, n = 3, offset 7


def test_skipped_rows_loosen_but_never_break_the_bound() -> None:
    m = cp_model.CpModel()
    a, b = m.new_bool_var("a"), m.new_bool_var("b")
    row = m.add_at_most_one([a, b])
    m.maximize(a + b)
    full, loose = lp_relaxation(m), lp_relaxation(m, skip=[row.index])
    assert full is not None and loose is not None
    assert _optimum(m) == full.bound == 1.0 and loose.bound == 2.0


def test_no_objective_or_infeasible_lp_gives_none() -> None:
    m = cp_model.CpModel()
    a = m.new_bool_var("a")
    m.add(a >= 1)
    assert lp_relaxation(m) is None  # nothing to bound
    m.add(2 * a <= 1)  # a >= 1 and a <= 0.5: the LP is infeasible too
    m.maximize(a)
    assert lp_relaxation(m) is None


@pytest.mark.parametrize("seed", range(12))
def test_random_assignment_models_bound_their_optimum(seed: int) -> None:
    """Small roster-like models: teams, clauses, implications, overlaps, hours."""
    rng = random.Random(seed)
    m = cp_model.CpModel()
    people, slots = 5, 6
    x = {(p, s): m.new_bool_var(f"x{p}_{s}") for p in range(people) for s in range(slots)}
    f = [m.new_bool_var(f"f{s}") for s in range(slots)]
    hp = [m.new_bool_var(f"hp{s}") for s in range(slots)]
    police = set(rng.sample(range(people), 2))
    for s in range(slots):
        team = [x[p, s] for p in range(people)]
        m.add(sum(team) >= 2 * f[s])
        m.add(sum(team) <= 3 * f[s])
        for p in police:
            m.add_implication(x[p, s], hp[s])
        m.add_bool_or([hp[s], x[rng.choice(sorted(set(range(people)) - police)), s], f[s].Not()])
    for p in range(people):
        m.add(sum(x[p, s] for s in range(slots)) <= rng.randint(1, 4))
        m.add_at_most_one([x[p, 0], x[p, 1]])  # two slots at the same time
    m.maximize(
        sum(rng.randint(5, 20) * f[s] for s in range(slots))
        + sum(rng.randint(-3, 3) * v for v in x.values())
        - sum(hp)
    )
    lp = lp_relaxation(m)
    assert lp is not None
    assert lp.bound >= _optimum(m)
