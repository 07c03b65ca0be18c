"""The roster split into parts: components solved apart, areas coupled, the combined gap."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_roster import (
    EXAMPLE,
    FAST,
    MONDAY,
    check_rules,
    make_corridors,
    person,
    rutland_corridors,
)

from corridors.config import RosterConfig, SolverParams
from corridors.roster import build_slots, load_staff, make_roster, staff_from_records
from corridors.roster import split as split_mod
from corridors.roster.couple import plan_value
from corridors.roster.make import _centres
from corridors.roster.model import build_model
from corridors.roster.rules import _people
from corridors.roster.solve import solve
from corridors.roster.split import split_week

CFG = dataclasses.replace(FAST, days=(0, 1, 2), solver=SolverParams(seconds=1.0, workers=1))
EARLY = "Mon-Fri 15:00-16:00"
LATE = "Mon-Fri 16:30-18:00"


def _group(tag: str, start: str, hours: str, first: int) -> tuple[list[dict], list[dict]]:
    """Two loops at ``start`` and the people free only around then (risk 30 and 12)."""
    loops = [{"loop_id": f"L{tag}{k}", "corridor_id": f"C{tag}{k}", "start_time": start,
              "duration_min": 30, "risk": risk, "school": f"School {tag}{k}"}
             for k, risk in ((first, 30.0), (first + 1, 12.0))]  # fmt: skip
    people = [
        person(f"{tag}O1", "police_officer", availability=hours, schools=f"School {tag}{first}"),
        person(f"{tag}O2", "pcso", availability=hours),
        person(f"{tag}Y1", "youth_worker", availability=hours),
        person(f"{tag}T1", "school_staff", availability=hours, max_hours_week=1),
        person(f"{tag}T2", "school_staff", availability=hours, schools=f"School {tag}{first + 1}"),
    ]
    return loops, people


def _week(*groups: tuple[list[dict], list[dict]]):
    loops = [lp for g in groups for lp in g[0]]
    people = [p for g in groups for p in g[1]]
    return make_corridors(loops), staff_from_records(people)


def _pairs(rota) -> set[tuple[str, str]]:
    return set(zip(rota.assignments["slot_id"], rota.assignments["person_id"], strict=True))


def test_two_groups_that_never_share_a_slot_are_two_parts_solved_alone():
    early, late = _group("A", "15:15", EARLY, 0), _group("B", "17:00", LATE, 2)
    cors, staff = _week(early, late)
    slots, _ = build_slots(cors, CFG, week_start=MONDAY)
    parts = split_week(slots, _people(staff), centres=_centres(cors))
    assert len(parts) == 2 and not any(p.area for p in parts)
    assert {frozenset(p.people) for p in parts} == {
        frozenset(str(q["person_id"]) for q in g[1]) for g in (early, late)
    }
    assert {len(p.slot_ids) for p in parts} == {6}  # 2 loops x 3 days each
    whole = make_roster(cors, staff, CFG, week_start=MONDAY)
    alone = [make_roster(*_week(g), CFG, week_start=MONDAY) for g in (early, late)]
    # the same risks top each group, so the fill weights are the same as in the whole week
    assert _pairs(whole) == _pairs(alone[0]) | _pairs(alone[1])
    assert whole.slots["filled"].sum() == sum(r.slots["filled"].sum() for r in alone)
    assert whole.objective == pytest.approx(sum(r.objective for r in alone))
    # the gap reported is the combined one: the parts' objectives and bounds summed
    assert whole.bound == pytest.approx(sum(r.bound for r in alone))
    assert whole.gap == pytest.approx(abs(whole.bound - whole.objective) / whole.objective)
    assert whole.bound >= whole.objective
    check_rules(whole, staff, CFG)
    # the Python count of the objective agrees with the model's
    recs = whole.slots.to_dict("records")
    chosen = whole.assignments.groupby("slot_id")["person_id"].apply(list).to_dict()
    by_id = {p.pid: p for p in _people(staff)}
    value, _ = plan_value(recs, by_id, CFG, chosen, prev_pairs=(), max_risk=30.0)
    assert value == pytest.approx(whole.objective)


def test_parts_in_processes_give_the_same_roster():
    cors, staff = _week(_group("A", "15:15", EARLY, 0), _group("B", "17:00", LATE, 2))
    one = make_roster(cors, staff, CFG, week_start=MONDAY)
    two = make_roster(cors, staff, dataclasses.replace(
        CFG, solver=dataclasses.replace(CFG.solver, workers=2)), week_start=MONDAY)  # fmt: skip
    pd.testing.assert_frame_equal(one.assignments, two.assignments)
    assert (one.objective, one.bound) == (two.objective, two.bound)


def test_one_component_is_solved_as_one_model_as_before():
    cors, staff = rutland_corridors(), load_staff(EXAMPLE)
    slots, _ = build_slots(cors, FAST, week_start=MONDAY)
    people = _people(staff)
    parts = split_week(slots, people, centres=_centres(cors))
    assert len(parts) == 1 and not parts[0].area
    rota = make_roster(cors, staff, FAST, week_start=MONDAY)
    solved = solve(build_model(slots, people, FAST), FAST.solver)
    assert (rota.objective, rota.bound) == (solved.objective, solved.bound)
    assert _pairs(rota) == {(sid, pid) for sid, pids in solved.chosen.items() for pid in pids}


def test_a_large_component_is_cut_by_area_and_coupled(monkeypatch):
    """Everyone may walk everything: one component; cut by area, one person spans both."""
    west, east = _group("W", "15:15", "Mon-Fri 15:00-18:00", 0), _group("E", "15:15", "Mon-Fri 15:00-18:00", 2)
    # a PCSO linked to a school on each side, with hours for only one patrol
    span = person("X1", "pcso", schools="School W0;School E2", max_hours_week=0.5)
    cors, staff = _week(west, east, ([], [span]))
    slots, _ = build_slots(cors, CFG, week_start=MONDAY)
    parts = split_week(slots, _people(staff), centres=_centres(cors), max_pairs=40)
    assert len(parts) == 2 and all(p.area for p in parts)
    assert all(p.spanning == {"X1"} for p in parts)
    assert set(parts[0].people) & set(parts[1].people) == {"X1"}
    monkeypatch.setattr(split_mod, "MAX_PAIRS", 40)
    rota = make_roster(cors, staff, CFG, week_start=MONDAY)
    check_rules(rota, staff, CFG)  # the coupling step kept X1 within their hours
    assert (rota.assignments["person_id"] == "X1").sum() <= 1
    assert rota.bound >= rota.objective and rota.slots["filled"].any()
    recs = rota.slots.to_dict("records")
    chosen = rota.assignments.groupby("slot_id")["person_id"].apply(list).to_dict()
    by_id = {p.pid: p for p in _people(staff)}
    value, _ = plan_value(recs, by_id, CFG, chosen, prev_pairs=(), max_risk=30.0)
    assert value == pytest.approx(rota.objective)


def test_workers_setting_is_checked():
    assert SolverParams().workers == 0  # every core
    with pytest.raises(Exception, match="workers"):
        RosterConfig(solver=SolverParams(workers=-1))
