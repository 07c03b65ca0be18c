"""Configuration: one TOML file per area, frozen dataclasses per stage.

The TOML file has one table per stage (``[area]``, ``[graph]``, ``[hotspots]``,
``[corridors]``, ``[roster]``, ``[maps]``) and arrays of tables for the sources
(``[[schools]]``, ``[[hubs]]``, ``[[incidents]]``). Relative paths are resolved against
the folder of the config file. Unknown keys are errors (a typo must not be silently
ignored). Command-line flags override values through :func:`override`.

Examples
--------
>>> cfg = load_config("data/rutland.toml")
>>> cfg.area.name
'rutland'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import time
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from corridors.errors import ConfigError
from corridors.week import PlanWeek, check_slug

SourceFormat = Literal[
    "auto",
    "gias",
    "edubase",
    "osm",
    "csv",
    "geojson",
    "gpkg",
    "police-street",
    "police-stop-search",
]

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class SourceConfig:
    """One input file (or folder) and how to read it.

    ``columns`` maps the tool's field names to the file's column names for generic CSVs:
    ``id``, ``name``, ``phase``, ``status``, ``kind``, ``offence``, ``datetime``, ``date``,
    ``time``, ``year``, ``month``, ``day``, ``hour``, ``minute``, ``lat``, ``lon``, ``x``,
    ``y``. Dates come from ``datetime``, or ``date`` (+ ``time``, or ``hour`` and
    ``minute``), or separate ``year``, ``month`` (number or name) and ``day`` columns (+
    ``hour``/``minute``; no day: month only), or ``month`` alone. ``lat``/``lon``/``x``/``y``
    also re-map the coordinate columns of the fixed formats (police, GIAS, EduBase), e.g. to
    undo swapped columns. ``date_format`` (strptime codes, e.g. ``"%d/%m/%Y %H:%M"`` or
    ``"%b-%y"``) is used for every date, datetime and month column of the source.
    ``geocode`` is a second CSV, row-aligned with ``path``, that holds the coordinates
    (``X``/``Y`` or the ``x``/``y`` columns of ``columns``, in ``crs``, British National Grid by
    default): the layout of the EduBase "Schools in England" subset with its geocodes.
    ``path`` may be a folder (a data.police.uk download: every ``*-street.csv`` below it) or a
    glob pattern such as ``police/*-street.csv.gz``.
    ``optional``: a source whose rows are all rejected is an error unless it is optional (then
    the run goes on without it, and says so).
    """

    path: Path
    format: SourceFormat = "auto"
    crs: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    layer: str | None = None
    timezone: str | None = None
    date_format: str | None = None
    label: str | None = None
    geocode: Path | None = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.date_format is not None:
            _check_date_format(self.date_format, f"{self.path}: date_format")
        known = {
            "id", "name", "phase", "status", "kind", "offence", "datetime", "date", "time",
            "year", "month", "day", "hour", "minute", "lat", "lon", "x", "y",
        }  # fmt: skip
        unknown = set(self.columns) - known
        if unknown:
            raise ConfigError(
                f"source {self.path}: unknown column mapping key(s) {sorted(unknown)}; "
                f"expected some of {sorted(known)}"
            )
        if self.timezone is not None:
            _check_timezone(self.timezone, f"source {self.path}: timezone")

    @property
    def name(self) -> str:
        """Short name used in reports and rejects files."""
        return self.label or self.path.name


@dataclass(frozen=True)
class AreaConfig:
    """The area a plan covers.

    ``crs`` is ``"auto"`` (British National Grid in Great Britain, else the local UTM
    zone) or an explicit projected CRS such as ``"EPSG:27700"``. ``timezone`` is ``"auto"``
    (Europe/London in Great Britain, else the zone at the study area's centre, looked up
    offline; an error asks for it when that is at sea or the area spans zones) or an IANA
    name such as ``"America/New_York"``, which always wins. ``boundary`` is an
    optional polygon file; without it the study area is the bounds of the OSM file
    (or of the schools, buffered by ``buffer_m``). ``week`` is the ISO week planned
    (``"2022-W45"``) or ``"current"``.
    """

    name: str = "area"
    crs: str = "auto"
    timezone: str = "auto"
    boundary: Path | None = None
    buffer_m: float = 2000.0
    week: str = "current"
    lookback_weeks: int = 52

    def __post_init__(self) -> None:
        check_slug(self.name, "area.name")  # it names a folder under [maps] out_dir
        if self.timezone != "auto":
            _check_timezone(self.timezone, "area.timezone")
        m = _ISO_WEEK.match(self.week)
        if self.week != "current" and not m:
            raise ConfigError(
                f"area.week must look like '2022-W45' or be 'current', got {self.week!r}"
            )
        if m:
            year, week = int(m.group(1)), int(m.group(2))
            if not 1990 <= year <= 2100:
                raise ConfigError(
                    f"area.week {self.week!r}: the year must be between 1990 and 2100"
                )
            last = dt.date(year, 12, 28).isocalendar()[1]
            if not 1 <= week <= last:
                raise ConfigError(
                    f"area.week {self.week!r} does not exist: {year} has weeks 01 to {last:02d}"
                )
        if self.lookback_weeks <= 0:
            raise ConfigError(f"area.lookback_weeks must be > 0, got {self.lookback_weeks}")
        if self.buffer_m < 0:
            raise ConfigError(f"area.buffer_m must be >= 0 metres, got {self.buffer_m}")

    def plan_week(self, timezone: str = "UTC", today: dt.date | None = None) -> PlanWeek:
        """Return the planned week, with ``week = "current"`` read as of ``today``."""
        return PlanWeek.parse(
            self.week, timezone=timezone, lookback_weeks=self.lookback_weeks, today=today
        )

    def week_start(self, today: dt.date | None = None) -> dt.date:
        """Return the Monday of the planned ISO week."""
        return self.plan_week(today=today).start

    def iso_week(self, today: dt.date | None = None) -> str:
        """Return the planned week as ``YYYY-Www``."""
        return self.plan_week(today=today).iso


@dataclass(frozen=True)
class GraphConfig:
    """Where the walking street graph comes from and how it is cached.

    Exactly one of ``osm_file`` (offline: ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``),
    ``place`` (online, a geocodable name) or ``point`` + ``dist_m`` (online) is used;
    ``osm_file`` wins when several are set.
    """

    osm_file: Path | None = None
    place: str | None = None
    point: tuple[float, float] | None = None  # (lat, lon)
    dist_m: float = 2000.0
    network_type: Literal["walk", "all"] = "walk"
    cache_dir: Path = Path(".cache/corridors")
    timeout_s: float = 30.0
    use_cache: bool = True
    retain_all: bool = False  # keep every connected piece, not just the largest
    clip_to_study_area: bool = True  # keep only segments with both ends in the study area
    clip_buffer_m: float = 500.0  # ... buffered by this much, so routes can leave it a little
    sidewalk_match_m: float = 20.0  # a pavement joins the nearest parallel street this close
    sidewalk_bearing_deg: float = 30.0  # ... whose bearing differs by at most this

    def __post_init__(self) -> None:
        if self.dist_m <= 0:
            raise ConfigError(f"graph.dist_m must be > 0 metres, got {self.dist_m}")
        if self.timeout_s <= 0:
            raise ConfigError(f"graph.timeout_s must be > 0 seconds, got {self.timeout_s}")
        if self.clip_buffer_m < 0:
            raise ConfigError(f"graph.clip_buffer_m must be >= 0 metres, got {self.clip_buffer_m}")
        if self.sidewalk_match_m < 0:
            raise ConfigError(
                f"graph.sidewalk_match_m must be >= 0 metres, got {self.sidewalk_match_m}"
            )
        if not 0 <= self.sidewalk_bearing_deg <= 90:
            raise ConfigError(
                f"graph.sidewalk_bearing_deg must be in [0, 90] degrees, got "
                f"{self.sidewalk_bearing_deg}"
            )
        if self.point is not None and not (
            -90 <= self.point[0] <= 90 and -180 <= self.point[1] <= 180
        ):
            raise ConfigError(f"graph.point must be (lat, lon) in degrees, got {self.point}")


@dataclass(frozen=True)
class HotspotConfig:
    """After-school window, offence weights, decay and the clustering method."""

    method: Literal["dbscan", "hdbscan", "kde", "network"] = "network"
    window_start: str = "15:00"
    window_end: str = "18:00"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    term_dates: Path | None = None
    exclude_holidays: bool = False
    offence_weights: Mapping[str, float] = field(default_factory=dict)
    half_life_weeks: float = 26.0
    eps_m: float = 150.0
    min_samples: int = 5
    min_cluster_size: int = 5
    cell_m: float = 150.0
    bandwidth_m: float = 200.0
    snap_m: float = 50.0
    area_share: float = 0.05
    train_all_hours: bool = True
    seed: int = 0
    # Added by the hotspots stage ------------------------------------------------------
    # School holidays as "YYYY-MM-DD" or "YYYY-MM-DD/YYYY-MM-DD" (inclusive), used with
    # ``term_dates`` when ``exclude_holidays`` is true.
    holidays: tuple[str, ...] = ()
    # Weight of offence categories not in the weights table (0 = leave them out; they are
    # reported either way).
    other_weight: float = 0.0
    # Grid-thinning cell for clustering (metres); 0 = only merge identical coordinates
    # (police.uk snap points) and thin automatically above 100,000 distinct points.
    thin_m: float = 0.0
    # Backtests (``corridors tune``): parameter grid {field: [values]}, the number of test
    # periods and of training periods before each (weeks or months; 0 = 52 weeks/12 months).
    sweep: Mapping[str, Any] = field(default_factory=dict)
    backtest_periods: int = 6
    train_periods: int = 0

    def __post_init__(self) -> None:
        _check_hotspot_extras(self)
        for name in ("window_start", "window_end"):
            _check_hhmm(getattr(self, name), f"hotspots.{name}")
        if _minutes(self.window_end) <= _minutes(self.window_start):
            raise ConfigError(
                f"hotspots.window_end ({self.window_end}) must be after window_start "
                f"({self.window_start})"
            )
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise ConfigError(f"hotspots.weekdays must be 0 (Mon) .. 6 (Sun), got {self.weekdays}")
        for key in ("half_life_weeks", "eps_m", "cell_m", "bandwidth_m", "snap_m"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"hotspots.{key} must be > 0, got {getattr(self, key)}")
        if not 0 < self.area_share < 1:
            raise ConfigError(f"hotspots.area_share must be in (0, 1), got {self.area_share}")
        if self.min_samples < 1 or self.min_cluster_size < 2:
            raise ConfigError("hotspots.min_samples must be >= 1 and min_cluster_size >= 2")
        for offence, weight in self.offence_weights.items():
            if weight < 0:
                raise ConfigError(
                    f"hotspots.offence_weights[{offence!r}] must be >= 0, got {weight}"
                )


@dataclass(frozen=True)
class RouteConfig:
    """Routes from schools, corridor building and patrol loops (section ``[corridors]``).

    Distances in metres, times in minutes (``loop_budget_min``) or "HH:MM" local time.
    ``hub_share`` is the share of a school's after-school walkers sent to transport hubs
    within ``hub_walk_m`` (the rest go to home areas within ``catchment_m``).
    ``corridor_share``: a school's corridor is the smallest set of street edges, taken in
    decreasing footfall order, that carries this share of its walking (person-metres).
    ``half_life_weeks`` decays incidents by age when no hotspot intensity is given;
    ``window_start``/``window_end`` bound the after-school window used for evidence and
    start times (keep them equal to ``[hotspots]``). Loops: at most ``max_candidates``
    high-risk edges per corridor are offered to the solver (PyVRP), which stops after
    ``solver_iterations`` iterations (deterministic for a fixed ``seed``), or at
    ``solver_seconds`` per corridor (a safety cap; if it binds, runs may differ). Schools
    further than ``max_snap_m`` from the street graph get no route. A corridor is patrolled
    only when its risk is above ``min_risk`` and at least ``min_incidents`` look-back
    incidents lie within ``incident_buffer_m`` of its streets (no needless contact).
    """

    phases: tuple[str, ...] = ("secondary", "all-through", "16 plus", "middle deemed secondary")
    hub_walk_m: float = 1200.0
    catchment_m: float = 1500.0
    corridor_share: float = 0.5
    incident_buffer_m: float = 50.0
    min_risk: float = 0.0
    loop_budget_min: float = 45.0
    speed_kmh: float = 4.5
    max_loops_per_corridor: int = 2
    solver_seconds: float = 10.0
    closing_time: str = "15:15"
    seed: int = 0
    hub_share: float = 0.3
    half_life_weeks: float = 26.0
    window_start: str = "15:00"
    window_end: str = "18:00"
    max_candidates: int = 60
    solver_iterations: int = 1500
    max_snap_m: float = 500.0
    min_incidents: int = 1

    def __post_init__(self) -> None:
        for key in (
            "hub_walk_m", "catchment_m", "incident_buffer_m", "loop_budget_min", "speed_kmh",
            "solver_seconds", "half_life_weeks", "max_snap_m",
        ):  # fmt: skip
            if getattr(self, key) <= 0:
                raise ConfigError(f"corridors.{key} must be > 0, got {getattr(self, key)}")
        if not 0 <= self.hub_share <= 1:
            raise ConfigError(f"corridors.hub_share must be in [0, 1], got {self.hub_share}")
        if self.min_risk < 0:
            raise ConfigError(f"corridors.min_risk must be >= 0, got {self.min_risk}")
        if self.min_incidents < 0:
            raise ConfigError(f"corridors.min_incidents must be >= 0, got {self.min_incidents}")
        if self.max_candidates < 1 or self.solver_iterations < 1:
            raise ConfigError(
                "corridors.max_candidates and corridors.solver_iterations must be >= 1, got "
                f"{self.max_candidates} and {self.solver_iterations}"
            )
        for name in ("window_start", "window_end"):
            _check_hhmm(getattr(self, name), f"corridors.{name}")
        if _minutes(self.window_end) <= _minutes(self.window_start):
            raise ConfigError(
                f"corridors.window_end ({self.window_end}) must be after window_start "
                f"({self.window_start})"
            )
        if not 0 < self.corridor_share <= 1:
            raise ConfigError(
                f"corridors.corridor_share must be in (0, 1], got {self.corridor_share}"
            )
        if self.max_loops_per_corridor < 1:
            raise ConfigError("corridors.max_loops_per_corridor must be >= 1")
        _check_hhmm(self.closing_time, "corridors.closing_time")


#: Patrol aims (``[roster].aims`` values and the keys of the aim rules).
AIMS = ("deterrence", "reassurance", "engagement", "safeguarding")
#: Staff agencies: canonical key -> label (the staff file also takes aliases, see
#: :func:`corridors.roster.normalise_agency`).
AGENCIES: Mapping[str, str] = {
    "police_officer": "police officer",
    "school_officer": "school-linked officer",
    "pcso": "PCSO",
    "youth_worker": "youth worker",
    "school_staff": "school staff",
    "health": "health worker",
    "volunteer": "volunteer",
    "other": "other",
}


@dataclass(frozen=True)
class RosterWeights:
    """The roster solver's integer objective weights (``[roster.weights]``).

    Per filled slot ``fill`` plus ``risk`` x risk / highest risk; per assignment
    ``-person``, ``+familiar`` (linked to one of the loop's schools; doubled for officers),
    ``+previous`` (walked the loop or corridor last week); ``-continuity`` per distinct
    person x loop; ``-fairness`` per quarter hour of load above each further hour. A
    re-plan charges ``replan_change_cost`` per change on the days of the absence and
    ``replan_other_day_cost`` on other days. See :func:`corridors.roster.make_roster`.
    """

    fill: int = 1000
    risk: int = 1000
    person: int = 60
    familiar: int = 50
    previous: int = 20
    continuity: int = 20
    fairness: int = 5
    replan_change_cost: int = 100
    replan_other_day_cost: int = 5000

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if getattr(self, f.name) < 0:
                raise ConfigError(
                    f"roster.weights.{f.name} must be >= 0, got {getattr(self, f.name)}"
                )


@dataclass(frozen=True)
class SolverParams:
    """The roster solver's settings (``[roster.solver]``): limits, workers, seed, phases.

    ``seconds`` is the solver's deterministic time; ``gap_limit`` stops the search once the
    roster is proven within that share of the best possible (0.005 = 0.5 %; 0 searches
    until optimal or out of time); ``num_workers`` CP-SAT workers in phase 2 (more run
    interleaved search, still deterministic); ``workers`` processes that solve the week's
    independent parts side by side (0, the default: every core; the roster is the same for
    any number); ``seed`` CP-SAT's random seed. The switches
    turn steps of each phase off (for benchmarks and diagnosis; all on by default):
    ``lp_relaxation`` (the LP bound and guide), ``neighbourhood`` (the RENS/RINS search
    around the LP solution; needs the LP) and ``polish`` (phase 2's start improved by swaps).
    """

    seconds: float = 5.0
    gap_limit: float = 0.005
    num_workers: int = 1
    workers: int = 0
    seed: int = 0
    lp_relaxation: bool = True
    neighbourhood: bool = True
    polish: bool = True

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ConfigError(f"roster.solver.seconds must be > 0, got {self.seconds}")
        if not 0 <= self.gap_limit < 1:
            raise ConfigError(f"roster.solver.gap_limit must be in [0, 1), got {self.gap_limit}")
        if self.num_workers < 1:
            raise ConfigError(f"roster.solver.num_workers must be >= 1, got {self.num_workers}")
        if self.workers < 0:
            raise ConfigError(
                f"roster.solver.workers must be >= 0 (0: every core), got {self.workers}"
            )


#: The flat ``[roster]`` keys of earlier configs -> (group, key): still read, into their group.
ROSTER_FLAT_KEYS: Mapping[str, tuple[str, str]] = {
    **{f"weight_{k}": ("weights", k) for k in
       ("fill", "risk", "person", "familiar", "previous", "continuity", "fairness")},
    "replan_change_cost": ("weights", "replan_change_cost"),
    "replan_other_day_cost": ("weights", "replan_other_day_cost"),
    "solver_seconds": ("solver", "seconds"),
    "gap_limit": ("solver", "gap_limit"),
    "num_workers": ("solver", "num_workers"),
    "seed": ("solver", "seed"),
}  # fmt: skip


@dataclass(frozen=True)
class RosterConfig:
    """Staff, patrol aims and make-up rules, the patrol window; objective weights; solver.

    Three groups: the rules are the fields here; ``weights`` (:class:`RosterWeights`,
    ``[roster.weights]``) the objective's weights; ``solver`` (:class:`SolverParams`,
    ``[roster.solver]``) the solver's limits. The flat keys of earlier configs
    (``weight_fill``, ``solver_seconds``, ``gap_limit``...; :data:`ROSTER_FLAT_KEYS`) are
    still read into their group.

    Agencies are the keys of :data:`AGENCIES` (``police_officer``, ``school_officer``,
    ``pcso``, ``youth_worker``, ``school_staff``, ``health``, ``volunteer``, ``other``).
    Aims are :data:`AIMS` (``deterrence``, ``reassurance``, ``engagement`` and
    ``safeguarding``). ``people`` holds staff rows inline (same keys as the staff CSV
    columns), added to those of ``staff``. Times are local ``"HH:MM"``; minutes are minutes.
    """

    staff: Path | None = None
    previous: Path | None = None
    people: tuple[Mapping[str, Any], ...] = ()
    min_team: int = 2
    max_team: int = 3
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    window_start: str = "15:00"
    window_end: str = "18:00"
    slot_round_min: int = 15
    briefing_min: int = 0
    aims: Mapping[str, str] = field(default_factory=dict)  # corridor id -> aim override
    officer_agencies: tuple[str, ...] = ("police_officer", "school_officer")
    police_agencies: tuple[str, ...] = ("police_officer", "school_officer", "pcso")
    aim_min_officers: Mapping[str, int] = field(default_factory=lambda: {"deterrence": 1})
    aim_min_police: Mapping[str, int] = field(default_factory=lambda: {"reassurance": 1})
    aim_needs_one_of: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"safeguarding": ("youth_worker", "school_staff", "health")}
    )
    no_police_needs: tuple[str, ...] = ("youth_worker",)
    deterrence_offences: tuple[str, ...] = ("violence", "robbery", "weapon")
    deterrence_share: float = 0.4
    deterrence_min_incidents: int = 10
    safeguarding_offences: tuple[str, ...] = ("drugs",)
    safeguarding_share: float = 0.2
    reassurance_min_incidents: int = 10
    weights: RosterWeights = field(default_factory=RosterWeights)
    solver: SolverParams = field(default_factory=SolverParams)

    def __post_init__(self) -> None:
        if self.min_team < 1:
            raise ConfigError(f"roster.min_team must be >= 1, got {self.min_team}")
        if self.max_team < self.min_team:
            raise ConfigError(
                f"roster.max_team ({self.max_team}) must be >= roster.min_team ({self.min_team})"
            )
        if not self.days or any(d not in range(7) for d in self.days):
            raise ConfigError(f"roster.days must be 0 (Mon) .. 6 (Sun), got {self.days}")
        for name in ("window_start", "window_end"):
            _check_hhmm(getattr(self, name), f"roster.{name}")
        if _minutes(self.window_end) <= _minutes(self.window_start):
            raise ConfigError(
                f"roster.window_end ({self.window_end}) must be after window_start "
                f"({self.window_start})"
            )
        if self.slot_round_min < 1 or self.briefing_min < 0:
            raise ConfigError("roster.slot_round_min must be >= 1 and briefing_min >= 0 minutes")
        self._check_aims_and_agencies()
        for name in ("deterrence_share", "safeguarding_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"roster.{name} must be in [0, 1], got {getattr(self, name)}")

    def _check_aims_and_agencies(self) -> None:
        for corridor, aim in self.aims.items():
            if aim not in AIMS:
                raise ConfigError(
                    f"roster.aims[{corridor!r}] must be one of {list(AIMS)}, got {aim!r}"
                )
        for name in ("aim_min_officers", "aim_min_police", "aim_needs_one_of"):
            for aim in getattr(self, name):
                if aim not in AIMS:
                    raise ConfigError(
                        f"roster.{name}: unknown aim {aim!r}; use one of {list(AIMS)}"
                    )
        groups = [self.officer_agencies, self.police_agencies, self.no_police_needs]
        groups += list(self.aim_needs_one_of.values())
        for group in groups:
            for agency in group:
                if agency not in AGENCIES:
                    raise ConfigError(
                        f"roster: unknown agency {agency!r}; use one of {list(AGENCIES)}"
                    )


def _group_roster_keys(roster: Any) -> Any:
    """Move the flat ``[roster]`` keys of earlier configs into ``weights`` and ``solver``."""
    if not isinstance(roster, Mapping) or not any(k in ROSTER_FLAT_KEYS for k in roster):
        return roster
    out = {k: v for k, v in roster.items() if k not in ROSTER_FLAT_KEYS}
    for key, (group, name) in ROSTER_FLAT_KEYS.items():
        if key not in roster:
            continue
        table = out.get(group, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"[roster.{group}] must be a table, got {table!r}")
        if name in table:
            raise ConfigError(
                f"[roster]: {key} and [roster.{group}] {name} are the same setting; keep one "
                f"(the [roster.{group}] form)"
            )
        out[group] = {**table, name: roster[key]}
    return out


@dataclass(frozen=True)
class MapConfig:
    """Map rendering and what the shared map may show.

    ``languages`` are codes of the shared notice's translation table
    (``corridors.maps.NOTICE_TEXT``: "en", "cy", "tr"); English is always included.
    ``simplify_m`` is the tolerance (metres, in the area's CRS) used to simplify lines before
    they are written into a page; ``heat_layer`` adds an (initially hidden) incident heat
    layer to the internal map.
    """

    out_dir: Path = Path("maps")
    min_shared_count: int = 10
    show_names: bool = False
    languages: tuple[str, ...] = ("en",)
    contact: str = ""
    online_tiles: bool = True
    heat_layer: bool = True
    simplify_m: float = 2.0
    minimap: bool = True

    def __post_init__(self) -> None:
        if self.min_shared_count < 1:
            raise ConfigError(f"maps.min_shared_count must be >= 1, got {self.min_shared_count}")
        if "en" not in self.languages:
            raise ConfigError(
                f"maps.languages must include 'en' (English is required), got "
                f'{list(self.languages)}; add "en"'
            )
        bad = [code for code in self.languages if not re.fullmatch(r"[a-z]{2,3}", code)]
        if bad:
            raise ConfigError(
                f"maps.languages holds {bad}: use lower-case language codes such as 'cy' or 'tr'"
            )
        if self.simplify_m < 0:
            raise ConfigError(f"maps.simplify_m must be >= 0 metres, got {self.simplify_m}")


@dataclass(frozen=True)
class Config:
    """Everything a run needs, as read from one TOML file."""

    area: AreaConfig = field(default_factory=AreaConfig)
    schools: tuple[SourceConfig, ...] = ()
    hubs: tuple[SourceConfig, ...] = ()
    incidents: tuple[SourceConfig, ...] = ()
    graph: GraphConfig = field(default_factory=GraphConfig)
    hotspots: HotspotConfig = field(default_factory=HotspotConfig)
    corridors: RouteConfig = field(default_factory=RouteConfig)
    roster: RosterConfig = field(default_factory=RosterConfig)
    maps: MapConfig = field(default_factory=MapConfig)
    source_file: Path | None = None


def load_config(path: str | Path) -> Config:
    """
    Read a TOML config file.

    Parameters
    ----------
    path
        The TOML file. Relative paths inside it are resolved against its folder.

    Returns
    -------
    Config
        The validated configuration.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or holds unknown keys or bad values.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM from an editor is fine
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a folder; expected a TOML config file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return config_from_dict(raw, base_dir=path.resolve().parent, source_file=path.resolve())


def config_from_dict(
    raw: Mapping[str, Any], *, base_dir: Path | None = None, source_file: Path | None = None
) -> Config:
    """Build a :class:`Config` from a plain mapping (as parsed from TOML)."""
    base = base_dir or Path.cwd()
    data = dict(raw)
    data["source_file"] = source_file
    # one after-school window: [corridors] takes [hotspots]' window unless it sets its own
    hot, cor = data.get("hotspots"), data.get("corridors", {})
    if isinstance(hot, Mapping) and isinstance(cor, Mapping):
        inherited = {k: hot[k] for k in ("window_start", "window_end") if k in hot and k not in cor}
        if inherited:
            data["corridors"] = {**cor, **inherited}
    # the flat [roster] keys of earlier configs go into their group ([roster.weights]...)
    if "roster" in data:
        data["roster"] = _group_roster_keys(data["roster"])
    cfg: Config = _build(Config, data, "", base)
    return cfg


def override(cfg: Config, section: str, **values: Any) -> Config:
    """Return ``cfg`` with some values of one section replaced (``None`` values are ignored)."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return cfg
    current = getattr(cfg, section)
    try:
        new = dataclasses.replace(current, **values)
    except TypeError as exc:
        raise ConfigError(f"[{section}]: {exc}") from exc
    return dataclasses.replace(cfg, **{section: new})


def config_to_dict(cfg: Any) -> Any:
    """Return a JSON-serialisable view of a config (for manifests)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: config_to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, Path):
        return str(cfg)
    if isinstance(cfg, Mapping):
        return {str(k): config_to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, (tuple, list)):
        return [config_to_dict(v) for v in cfg]
    return cfg


# -- helpers ----------------------------------------------------------------------------


def _build(cls: type[Any], data: Mapping[str, Any], where: str, base: Path) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"[{where or 'top level'}] must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - fields
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [{where or 'top level'}]; "
            f"expected some of {sorted(fields - {'source_file'})}"
        )
    kwargs = {
        key: _convert(hints[key], value, f"{where}.{key}" if where else key, base)
        for key, value in data.items()
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"[{where or 'top level'}]: {exc}") from exc


def _convert(tp: Any, value: Any, where: str, base: Path) -> Any:
    """Convert a TOML ``value`` to the field type ``tp``; ``where`` names it in errors."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        return None if value is None else _convert(members[0], value, where, base)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where, base)  # type: ignore[arg-type]
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{where} must be one of {list(get_args(tp))}, got {value!r}")
        return value
    if origin is tuple:
        return _convert_tuple(get_args(tp), value, where, base)
    if origin in (Mapping, dict) or tp is Mapping:
        return _convert_table(get_args(tp), value, where, base)
    if tp is Path:
        return _convert_path(value, where, base)
    scalar = _SCALARS.get(tp)
    return value if scalar is None else scalar(value, where)


def _convert_tuple(items: tuple[Any, ...], value: Any, where: str, base: Path) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where} must be a list, got {value!r}")
    if len(items) == 2 and items[1] is Ellipsis:
        return tuple(_convert(items[0], v, f"{where}[{i}]", base) for i, v in enumerate(value))
    if len(items) != len(value):
        raise ConfigError(f"{where} must have {len(items)} items, got {value!r}")
    return tuple(
        _convert(a, v, f"{where}[{i}]", base)
        for i, (a, v) in enumerate(zip(items, value, strict=True))
    )


def _convert_table(args: tuple[Any, ...], value: Any, where: str, base: Path) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    vtype = args[1] if args else Any
    return {str(k): _convert(vtype, v, f"{where}.{k}", base) for k, v in value.items()}


def _convert_path(value: Any, where: str, base: Path) -> Path:
    """Return a path, relative ones read from the config file's folder."""
    if not isinstance(value, (str, Path)):
        raise ConfigError(f"{where} must be a path string, got {value!r}")
    p = Path(value).expanduser()
    return Path(os.path.normpath(p if p.is_absolute() else base / p))


def _convert_float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _convert_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    return value


def _convert_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _convert_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value


_SCALARS: dict[Any, Callable[[Any, str], Any]] = {
    float: _convert_float,
    int: _convert_int,
    bool: _convert_bool,
    str: _convert_str,
}


def _check_hotspot_extras(cfg: HotspotConfig) -> None:
    for i, text in enumerate(cfg.holidays):
        parts = text.split("/")
        try:
            days = [dt.date.fromisoformat(p.strip()) for p in parts]
        except ValueError as exc:
            raise ConfigError(
                f"hotspots.holidays[{i}] must be 'YYYY-MM-DD' or 'YYYY-MM-DD/YYYY-MM-DD', "
                f"got {text!r}"
            ) from exc
        if len(days) > 2 or days[-1] < days[0]:
            raise ConfigError(
                f"hotspots.holidays[{i}] must be one date or 'start/end' with end >= start, "
                f"got {text!r}"
            )
    if cfg.other_weight < 0 or cfg.thin_m < 0:
        raise ConfigError(
            f"hotspots.other_weight and hotspots.thin_m must be >= 0, "
            f"got {cfg.other_weight} and {cfg.thin_m}"
        )
    if cfg.backtest_periods < 1 or cfg.train_periods < 0:
        raise ConfigError(
            f"hotspots.backtest_periods must be >= 1 and train_periods >= 0, "
            f"got {cfg.backtest_periods} and {cfg.train_periods}"
        )
    # one typed sweep, whatever wrote it (TOML or the command line)
    object.__setattr__(cfg, "sweep", typed_sweep(cfg.sweep, "hotspots.sweep"))


# -- parameter sweeps ([hotspots] sweep, ``corridors tune --grid``) ------------------------------

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_TIME_FIELDS = frozenset({"window_start", "window_end"})


def _sweep_kind(key: str) -> Any:
    """Return the type of HotspotConfig field ``key`` that a sweep may vary, or None."""
    tp = typing.get_type_hints(HotspotConfig)[key]
    if get_origin(tp) is Literal or tp in (bool, int, float, str):
        return tp
    return None


def _expected(key: str, tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    if key in _TIME_FIELDS:
        return "a time of day, HH:MM"
    return {
        bool: "a boolean: true/false, yes/no or 1/0",
        int: "a whole number",
        float: "a number",
        str: "text",
    }[tp]


def sweep_value(key: str, value: Any, where: str) -> Any:
    """
    Return one sweep value as the type of the ``[hotspots]`` field ``key``.

    Text (from the command line) is parsed: booleans as true/false, yes/no or 1/0, whole
    numbers, numbers, times as ``HH:MM``, methods by name. Values that already have the
    field's type (from TOML) are kept (whole numbers for number fields become floats).

    Raises
    ------
    ConfigError
        Naming ``where`` (the key), the value and the type expected.

    Examples
    --------
    >>> sweep_value("train_all_hours", "no", "--grid train_all_hours")
    False
    >>> sweep_value("eps_m", "100", "--grid eps_m"), sweep_value("min_samples", 5, "x")
    (100.0, 5)
    """
    tp = _sweep_kind(key)
    if tp is None:
        raise ConfigError(f"{where}: {key!r} cannot be swept (only single values); set it instead")
    text = value.strip() if isinstance(value, str) else None
    bad = ConfigError(f"{where}: expected {_expected(key, tp)}, got {value!r}")
    if get_origin(tp) is Literal:
        if text not in get_args(tp):
            raise bad
        return text
    if tp is bool:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise bad
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif text:
            try:
                number = float(text)
            except ValueError:
                raise bad from None
        else:
            raise bad
        if not math.isfinite(number):
            raise bad
        return number
    if text is None:  # str fields
        raise bad
    if key in _TIME_FIELDS and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        raise bad
    return text


def typed_sweep(sweep: Mapping[str, Any], where: str = "hotspots.sweep") -> dict[str, list[Any]]:
    """
    Return ``{field: [values]}`` with every value typed by its ``[hotspots]`` field.

    Raises
    ------
    ConfigError
        For an unknown field, an empty or non-list value, or a value of the wrong type.
    """
    allowed = {f.name for f in dataclasses.fields(HotspotConfig)} - {"sweep"}
    out: dict[str, list[Any]] = {}
    for key, values in sweep.items():
        if key not in allowed:
            raise ConfigError(f"{where}: unknown parameter {key!r}; use one of {sorted(allowed)}")
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"{where}.{key} must be a non-empty list of values, got {values!r}")
        out[key] = [sweep_value(key, v, f"{where}.{key}") for v in values]
    return out


def parse_grid(items: Sequence[str], flag: str = "--grid") -> dict[str, list[Any]]:
    """
    Parse command-line sweep items ``KEY=V1,V2`` into a typed sweep (see :func:`typed_sweep`).

    Examples
    --------
    >>> parse_grid(["eps_m=100,150", "train_all_hours=true,false", "window_start=15:00"])
    {'eps_m': [100.0, 150.0], 'train_all_hours': [True, False], 'window_start': ['15:00']}
    """
    allowed = {f.name for f in dataclasses.fields(HotspotConfig)} - {"sweep"}
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not values.strip() or not key:
            raise ConfigError(f"{flag} {item!r}: expected KEY=V1,V2 (e.g. eps_m=100,150)")
        if key not in allowed:
            raise ConfigError(
                f"{flag} {item!r}: {key!r} is not a [hotspots] setting; "
                f"use one of {sorted(allowed)}"
            )
        out[key] = [sweep_value(key, v, f"{flag} {key}") for v in values.split(",")]
    return out


def _check_timezone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where}: unknown time zone {name!r} (an IANA name such as 'Europe/London'"
            + (", or 'auto'" if where == "area.timezone" else "")
            + ")"
        ) from exc


def _check_date_format(fmt: str, where: str) -> None:
    """Raise if ``fmt`` is not a strptime format (an unknown directive such as ``%Q``)."""
    try:
        time.strptime("", fmt)
    except ValueError as exc:
        if "directive" in str(exc) or "stray" in str(exc):
            raise ConfigError(
                f"{where} {fmt!r} is not a date format ({exc}); use strptime codes such as "
                "'%d/%m/%Y' or '%b-%y'"
            ) from exc


def _check_hhmm(value: str, where: str) -> None:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ConfigError(f"{where} must be a time 'HH:MM', got {value!r}")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)
