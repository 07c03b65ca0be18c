"""The roster stage: who walks which patrol loop when, from the week's loops and the staff.

Data flows one way: the corridor stage's :class:`corridors.routes.Corridors` and a
:class:`Staff` go in, a :class:`Roster` comes out; files are read and written only at the
edges (:mod:`.read`, :mod:`.export`).

Files, one job each:

- ``schema.py``: the roster's tables (column names) and values (:class:`Staff`,
  :class:`Roster`, :class:`Replan`), times as text.
- ``staff.py``: parse and validate staff rows (agencies, availability, absences).
- ``read.py``: the input edge: the staff CSV, a written ``roster.csv`` and a week's loops.
- ``slots.py``: patrol slots (loop x day) and their aims from the corridor stage's result.
- ``rules.py``: the team make-up rules, checked on a team in Python.
- ``greedy.py``: the greedy start plan (riskiest slots first).
- ``polish.py``: the swap polish of a plan on phase 2's terms (replacements, trades).
- ``model.py``: the CP-SAT model (variables, hard rules, objective): data in, no solving.
- ``solve.py``: the solve phases (LP relaxation, RENS/RINS, whole model) on a model.
- ``split.py``: the week cut into parts solved apart (eligibility components; areas).
- ``parts.py``: the parts solved side by side in processes; plans and bounds combined.
- ``couple.py``: the coupling step for people who span areas; a plan's objective in Python.
- ``lprelax.py``: the LP relaxation of a CP-SAT model (HiGHS through SciPy).
- ``diagnose.py``: why a slot stayed unfilled, in plain words.
- ``make.py``: :func:`make_roster`, from slots to the finished :class:`Roster`.
- ``replan.py``: re-plan the rest of a week after an absence, and the diff.
- ``export.py``: every file written: CSV, calendars (ICS), day sheets (HTML with SVG).

The staff file format and the slot rules are described in :mod:`.staff` and
:mod:`.slots`.
"""

from corridors.roster.export import loop_svg, write_roster_exports
from corridors.roster.make import make_roster
from corridors.roster.read import load_staff, read_plan_loops, read_roster, staff_for_config
from corridors.roster.replan import replan
from corridors.roster.schema import AGENCIES, AIMS, Replan, Roster, Staff
from corridors.roster.slots import build_slots, choose_aim
from corridors.roster.staff import (
    add_absence,
    clean_text,
    combine_staff,
    normalise_agency,
    parse_availability,
    staff_from_records,
    unknown_school_links,
)

__all__ = [
    "AGENCIES",
    "AIMS",
    "Replan",
    "Roster",
    "Staff",
    "add_absence",
    "build_slots",
    "choose_aim",
    "clean_text",
    "combine_staff",
    "load_staff",
    "loop_svg",
    "make_roster",
    "normalise_agency",
    "parse_availability",
    "read_plan_loops",
    "read_roster",
    "replan",
    "staff_for_config",
    "staff_from_records",
    "unknown_school_links",
    "write_roster_exports",
]
