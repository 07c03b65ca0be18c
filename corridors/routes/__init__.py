"""The corridor stage: walking routes, corridors, their risk and evidence, patrol loops.

After-school walking routes from each school, corridors (merged where schools share
streets), their risk and evidence, and patrol loops for the week.

CONTRACT:
- ``plan_corridors(street, inputs, spots, cfg: RouteConfig, *, week: PlanWeek,
  window: Window, progress=None) -> Corridors`` (columns: see :class:`Corridors`)
- ``write_corridor_exports(corridors: Corridors, folder: Path) -> list[Path]``
- ``plan_patrol_loops(street, risk, depots, *, budget_m, max_loops, ...) -> list[Loop]``

How it works
------------
1. **Routes.** Each school (``RouteConfig.phases``) is snapped to its nearest street node.
   One bounded Dijkstra per school (scipy ``csgraph.dijkstra`` with ``limit``) gives the
   shortest-path tree to every node within ``max(catchment_m, hub_walk_m)``. The school's
   after-school walkers (1.0 per school) are split: ``hub_share`` to the hubs within
   ``hub_walk_m`` (rail/tube 3, tram 2, bus 1) and the rest to home areas within
   ``catchment_m``, weighted by the residential buildings the load stage read
   (``inputs.homes``; else ``landuse=residential``, else street length). Trips are summed
   back up the tree level by level (vectorised, deepest nodes first), so every tree edge
   carries the walkers who pass along it.
2. **Corridors.** A school's corridor is the smallest set of edges, taken in decreasing
   footfall order, that carries ``corridor_share`` of its walking (person-metres). Footfall
   never grows away from the school along the tree, so the set is contiguous from the
   school gate. Corridors that share a street (``street_id``) merge into one corridor
   listing its schools. Segment footfall is the sum over all schools.
3. **Risk** = footfall x incident intensity: ``Hotspots.edge_intensity`` when given, else a
   recency-weighted count (half-life ``half_life_weeks``) of look-back incidents snapped to
   their nearest edge within ``incident_buffer_m``. The incidents are chosen by the one
   selection, :func:`corridors.hotspots.select_incidents` (every offence weighs 1;
   time-known incidents only count in the after-school window, local time on its weekdays;
   month-only incidents count, and the evidence says so).
4. **Loops.** A prize-collecting walk (orienteering) per patrolled corridor, solved with
   PyVRP: clients are the midpoints of the ``max_candidates`` riskiest corridor edges,
   prizes their risk, the depot the school gate or hub that reaches the most risk, and each
   of up to ``max_loops_per_corridor`` walkers may walk ``loop_budget_min`` at
   ``speed_kmh``. The gap is measured against a fractional-knapsack upper bound. The
   problems are built in this process (they need the network) and solved together: as plain
   arrays across ``workers`` processes, sharing ``loop_budget_s`` seconds by their size, and
   collected in corridor order, so the plan is the same for any number of workers.

Which file holds what
---------------------
- ``plan.py``: :func:`plan_corridors` (the entry: the steps in order), the look-back
  incidents (:func:`lookback_incidents`, the one selection), the schools in scope, and the
  rows of the result's tables.
- ``result.py``: :class:`Corridors`, :class:`Loop` and the column names.
- ``network.py``: the street graph as arrays (``_Net``) and snapping points to it.
- ``footfall.py``: home areas, hubs, one school's walkers and :func:`route_footfall`.
- ``corridors.py``: routing each school, its corridor, and merging corridors by street.
- ``evidence.py``: incident intensity per segment, evidence near a corridor, the reason.
- ``loops.py``: :func:`plan_patrol_loops`, each corridor's loop problem and its loops.
- ``starts.py``: when each loop starts (by its corridor's incidents, or in ``waves``).
- ``solver.py``: the PyVRP solve of one problem, the time budget split, and the process
  pool that solves many.
- ``export.py``: every file the stage writes (:func:`write_corridor_exports`).

Examples
--------
>>> from corridors.config import RouteConfig
>>> RouteConfig().loop_budget_min * RouteConfig().speed_kmh * 1000 / 60
3375.0
"""

from corridors.graph import street_from_edges  # kept here for the tests and benchmarks
from corridors.routes.export import corridor_streets, write_corridor_exports
from corridors.routes.footfall import route_footfall
from corridors.routes.loops import plan_patrol_loops
from corridors.routes.plan import (
    check_schools_in_scope,
    lookback_incidents,
    plan_corridors,
    schools_in_scope,
)
from corridors.routes.result import (
    BOUND,
    CORRIDOR_COLUMNS,
    CORRIDOR_ID,
    DURATION_MIN,
    FOOTFALL,
    GAP,
    INCIDENTS,
    INTENSITY,
    LENGTH_M,
    LOOP_COLUMNS,
    LOOP_ID,
    MEETING_KIND,
    MEETING_NODE,
    MEETING_POINT,
    MONTH_ONLY_NOTE,
    OFFENCES,
    PATROLLED,
    REASON,
    RISK,
    RISK_COVERED,
    RISK_SHARE,
    SCHOOL_IDS,
    SCHOOL_NAMES,
    SEGMENT_COLUMNS,
    START_TIME,
    STREET_ID,
    STREETS,
    TIME_NOTE,
    UNPATROLLED_COLUMNS,
    Corridors,
    Loop,
    NodeId,
)

__all__ = [
    "BOUND",
    "CORRIDOR_COLUMNS",
    "CORRIDOR_ID",
    "DURATION_MIN",
    "FOOTFALL",
    "GAP",
    "INCIDENTS",
    "INTENSITY",
    "LENGTH_M",
    "LOOP_COLUMNS",
    "LOOP_ID",
    "MEETING_KIND",
    "MEETING_NODE",
    "MEETING_POINT",
    "MONTH_ONLY_NOTE",
    "OFFENCES",
    "PATROLLED",
    "REASON",
    "RISK",
    "RISK_COVERED",
    "RISK_SHARE",
    "SCHOOL_IDS",
    "SCHOOL_NAMES",
    "SEGMENT_COLUMNS",
    "START_TIME",
    "STREETS",
    "STREET_ID",
    "TIME_NOTE",
    "UNPATROLLED_COLUMNS",
    "Corridors",
    "Loop",
    "NodeId",
    "check_schools_in_scope",
    "corridor_streets",
    "lookback_incidents",
    "plan_corridors",
    "plan_patrol_loops",
    "route_footfall",
    "schools_in_scope",
    "street_from_edges",
    "write_corridor_exports",
]
