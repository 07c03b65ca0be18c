"""Monitoring and evaluation: did patrols go where harm was, did harm fall, who was stopped.

CONTRACT:
- ``run_evaluation(cfg, first, last) -> (Evaluation, plan run ids)`` (reads everything)
- ``evaluate(cfg, history, incidents, segments, *, stops=None) -> Evaluation`` (data in)
- ``write_evaluation(ev, cfg, folder, *, plans) -> [paths]`` (both pages and the CSVs,
  staged and swapped in)

Which file holds what:

- ``history``: the plan history (``plans.gpkg``) and each week checked against its manifest
  (an I/O edge); ``inputs``: everything an evaluation reads (an I/O edge).
- ``streets``: street segments, incidents placed on them, period weights (month-only too).
- ``targeting``: share of incidents on patrolled streets per km, against top hotspots.
- ``effect``: difference in differences with a bootstrap interval, matched comparison
  streets, displacement.
- ``dosage``: patrol minutes per corridor and week against 10-15 minute visits.
- ``equality`` and ``suppress``: stops of under-18s by place, age and ethnicity, with
  outcomes and rate ratios; counts below k suppressed (primary and secondary).
- ``run``: :func:`evaluate`, the whole evaluation on one screen.
- ``tables``, ``charts``, ``page``: the team's and the public's tables, charts and page;
  ``report``: writes them (an I/O edge).
"""

from __future__ import annotations

from corridors.evaluate.history import PlanHistory, read_plan_history, weeks_between
from corridors.evaluate.inputs import run_evaluation
from corridors.evaluate.report import evaluation_dir, write_evaluation
from corridors.evaluate.run import Evaluation, evaluate

__all__ = [
    "Evaluation",
    "PlanHistory",
    "evaluate",
    "evaluation_dir",
    "read_plan_history",
    "run_evaluation",
    "weeks_between",
    "write_evaluation",
]
