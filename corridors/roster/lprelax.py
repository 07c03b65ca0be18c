"""The LP relaxation of a CP-SAT model, solved with HiGHS (through SciPy).

CONTRACT:
- ``lp_relaxation(model, *, skip=(), time_limit=60.0) -> Relaxation | None``

Used by :mod:`corridors.roster` for two things a MIP solver does and CP-SAT's single
worker does poorly on a large assignment model: a bound on the objective (the LP optimum;
no integer plan can beat it) and a guide for a restricted search (RINS: keep the variables
the LP and the current plan agree are 0 fixed, search the rest; Danna, Rothberg and Le
Pape, "Exploring relaxation induced neighborhoods to improve MIP solutions", Math.
Programming 2005).

Every constraint the relaxation understands becomes linear rows (linear, clauses,
implications, at-most-one, exactly-one, with enforcement literals where the form allows);
anything else is left out. Leaving a constraint out only loosens the LP, so the bound
stays valid. Integer variables relax to their domain's hull.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

_INF = 2**62  # CP-SAT's domains use +-(2**63 - 1) for "unbounded"


@dataclass(frozen=True)
class Relaxation:
    """The LP optimum of a CP-SAT model's relaxation.

    ``bound`` is in the model's own objective terms (scaling and offset applied), rounded
    to the integer no integer plan can pass: an upper bound when the model maximises, a
    lower bound when it minimises. ``values`` has one entry per model variable, by proto
    index.
    """

    bound: float
    values: np.ndarray
    seconds: float
    rows: int


def _proto(model: Any) -> Any:
    """Return the model as a Python protobuf (the C++ wrapper cannot serialise itself)."""
    from ortools.sat import cp_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pb"  # not .txt: binary
        model.export_to_file(str(path))
        proto = cp_model_pb2.CpModelProto()
        proto.ParseFromString(path.read_bytes())
    return proto


def _hull(domain: Iterable[int]) -> tuple[float, float]:
    d = list(domain)
    lo = -np.inf if d[0] <= -_INF else float(d[0])
    hi = np.inf if d[-1] >= _INF else float(d[-1])
    return lo, hi


class _Rows:
    """Sparse rows ``lo <= a.x <= hi``; literals are CP-SAT refs (negative = negation)."""

    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, terms: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
        row = len(self.lo)
        for var, coef in terms:
            self.r.append(row)
            self.c.append(var)
            self.v.append(coef)
        self.lo.append(lo)
        self.hi.append(hi)

    def literals(self, literals: Iterable[int], lo: float, hi: float) -> None:
        """``lo <= sum(literal values) <= hi``, a negated literal l' counting as 1 - l."""
        terms, const = [], 0.0
        for lit in literals:
            if lit >= 0:
                terms.append((lit, 1.0))
            else:
                terms.append((-lit - 1, -1.0))
                const += 1.0
        self.add(terms, lo - const, hi - const)

    def clause(self, literals: Iterable[int]) -> None:
        """At least one literal true."""
        self.literals(literals, 1.0, np.inf)

    def constraint(self, con: Any) -> None:
        """Add the rows of one CP-SAT constraint (proto), if the relaxation understands it."""
        kind = con.WhichOneof("constraint")
        neg = [-e - 1 for e in con.enforcement_literal]  # "some enforcement literal is off"
        if kind == "linear":
            if neg:
                return  # needs big-M rows; leaving it out keeps the bound valid
            lo, hi = _hull(con.linear.domain)
            self.add(zip(con.linear.vars, map(float, con.linear.coeffs), strict=True), lo, hi)
        elif kind == "bool_or":
            self.clause([*neg, *con.bool_or.literals])
        elif kind == "bool_and":
            for lit in con.bool_and.literals:
                self.clause([*neg, lit])
        elif kind in ("at_most_one", "exactly_one") and not neg:
            lits = getattr(con, kind).literals
            self.literals(lits, 1.0 if kind == "exactly_one" else -np.inf, 1.0)


def lp_relaxation(
    model: Any, *, skip: Iterable[int] = (), time_limit: float = 60.0
) -> Relaxation | None:
    """
    Solve the LP relaxation of a CP-SAT model with HiGHS (dual simplex, then interior point).

    Parameters
    ----------
    model
        A ``cp_model.CpModel`` with a linear objective.
    skip
        Indices of constraints to leave out (e.g. rows the others imply, which only slow
        the LP down). The bound stays valid.
    time_limit
        Wall-clock seconds for HiGHS. ``None`` is returned if it is reached, or if the LP
        is infeasible or unbounded, or the model has no linear objective.

    Examples
    --------
    >>> from ortools.sat.python import cp_model
    >>> m = cp_model.CpModel()
    >>> a, b, c = (m.new_bool_var(n) for n in "abc")
    >>> _ = m.add_bool_or([a.Not(), b.Not()])  # not both a and b...
    >>> _ = m.add_bool_or([b.Not(), c.Not()])
    >>> _ = m.add_bool_or([a.Not(), c.Not()])
    >>> m.maximize(2 * a + 2 * b + 2 * c)  # the best plan scores 2; the LP says 3
    >>> lp = lp_relaxation(m)
    >>> lp.bound, [round(float(v), 2) for v in lp.values]
    (3.0, [0.5, 0.5, 0.5])
    """
    from scipy.optimize import linprog

    t = time.perf_counter()
    proto = _proto(model)
    obj = proto.objective
    if not obj.vars or proto.HasField("floating_point_objective"):
        return None
    n = len(proto.variables)
    hull = np.array([_hull(v.domain) for v in proto.variables], dtype=float).reshape(n, 2)
    rows = _Rows()
    skip = set(skip)
    for i, con in enumerate(proto.constraints):
        if i not in skip:
            rows.constraint(con)
    a = sp.csr_matrix((rows.v, (rows.r, rows.c)), shape=(len(rows.lo), n))
    row_lo, row_hi = np.array(rows.lo), np.array(rows.hi)
    eq = row_lo == row_hi
    up, down = np.isfinite(row_hi) & ~eq, np.isfinite(row_lo) & ~eq
    ineq = bool(up.any() or down.any())
    cost = np.zeros(n)
    np.add.at(cost, np.array(obj.vars), np.array(obj.coeffs, dtype=float))
    a_ub = sp.vstack([a[up], -a[down]]) if ineq else None
    b_ub = np.concatenate([row_hi[up], -row_lo[down]]) if ineq else None
    a_eq, b_eq = (a[eq], row_lo[eq]) if eq.any() else (None, None)

    def highs(method: str, seconds: float) -> Any:
        return linprog(  # type: ignore[call-overload]  # scipy-stubs: no (n, 2) bounds array
            cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=hull, method=method,
            options={"time_limit": seconds},
        )  # fmt: skip

    # Dual simplex first, interior point if it stalls: on the borough roster's fill LP
    # (34k rows, 27k columns) dual simplex took 1.5 s where interior point took 27 s; on
    # others interior point is a little faster, so simplex gets a third of the time.
    res = highs("highs-ds", min(float(time_limit), max(5.0, float(time_limit) / 3)))
    if res.status == 1 and time.perf_counter() - t < time_limit:  # 1: a limit was reached
        res = highs("highs-ipm", float(time_limit) - (time.perf_counter() - t))
    seconds = time.perf_counter() - t
    if res.status != 0:
        logger.debug("LP relaxation: %s after %.1f s", res.message, seconds)
        return None
    return Relaxation(bound=_bound(obj, float(res.fun)), values=res.x, seconds=seconds,
                      rows=len(rows.lo))  # fmt: skip


def _bound(obj: Any, fun: float) -> float:
    """Return the LP optimum ``fun`` in the objective's own terms, rounded where it is integral."""
    scale = obj.scaling_factor or 1.0
    value = scale * (fun + obj.offset)
    # the objective is integral: no integer plan lies strictly between the LP and the next
    # integer (the tolerance absorbs the LP's floating-point error)
    bound = math.floor(value + 1e-6) if scale < 0 else math.ceil(value - 1e-6)
    integral = all(float(c).is_integer() for c in obj.coeffs) and float(obj.offset).is_integer()
    if not integral or scale not in (1.0, -1.0):
        bound = value
    return float(bound)
