"""Weekly multi-agency patrol roster with a constraint solver.

CONTRACT:
- ``load_staff(path) -> Staff``; ``make_roster(corridors, staff, cfg: RosterConfig, *,
  week_start, previous=None) -> Roster``
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Roster:
    """Who walks which loop when.

    ``assignments``: one row per person per patrol: person_id, name, agency, date, day,
    start, end, loop_id, corridor_id, meeting_point, aim, team. ``slots``: one row per
    patrol slot: slot_id, date, day, start, end, loop_id, corridor_id, aim, filled (bool),
    police_contact, problem. ``problems``: plain-words explanations of unmet rules.
    """

    assignments: pd.DataFrame
    slots: pd.DataFrame
    problems: tuple[str, ...]
    status: str
    objective: float
    bound: float
    gap: float
