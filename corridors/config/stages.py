"""The stages' sections: hotspots, corridors and the roster (its rules, weights, solver)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from corridors.config.checks import _check_hhmm
from corridors.errors import ConfigError
from corridors.week import hhmm_minutes


@dataclass(frozen=True)
class HotspotConfig:
    """After-school window, offence weights, decay and the clustering method."""

    method: Literal["dbscan", "hdbscan", "kde", "network", "blend", "learned", "counts"] = "counts"
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
    # Better predictors (hotspots/blend.py, network_smooth.py, learned.py, offence_share.py).
    # ``network``: smooth segment intensity along the streets within this walk (0 = none).
    network_radius_m: float = 0.0
    # ``blend`` and ``learned``: the period (weeks) whose counts they learn to predict.
    period_weeks: float = 52 / 12
    # ``learned``: boosting iterations and the smallest leaf (cells) of the Poisson trees.
    learned_max_iter: int = 100
    learned_min_leaf: int = 50
    # "table": offence weights from the table; "learned": each type weighted by its past
    # share of in-window incidents, shrunk toward the overall share by ``offence_prior`` incidents.
    offence_weighting: Literal["table", "learned"] = "table"
    offence_prior: float = 50.0
    # Drawn hotspots: the top street segments up to this many km (-1: what one corridor's
    # loops walk in an afternoon, set from [corridors] by the plan; 0: the area_share as
    # in backtests).
    draw_street_km: float = -1.0

    def __post_init__(self) -> None:
        _check_hotspot_extras(self)
        _check_predictors(self)
        for name in ("window_start", "window_end"):
            _check_hhmm(getattr(self, name), f"hotspots.{name}")
        if hhmm_minutes(self.window_end) <= hhmm_minutes(self.window_start):
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
    ``window_start``/``window_end`` narrow the after-school ``[window]`` for evidence and
    start times (left out: the window's; see :meth:`Config.stage_window`). Loops: at most
    ``max_candidates`` high-risk edges per corridor are offered to the solver (PyVRP), which
    stops after ``solver_iterations`` iterations, or sooner after ``solver_patience``
    iterations in a row that found no better plan (0 = never sooner; both deterministic for
    a fixed ``seed``), or at
    ``solver_seconds`` per corridor (a safety cap; if it binds, runs may differ). The
    corridors share ``loop_budget_s`` seconds of solver time in proportion to their candidate
    edges (each gets at least 1 s, at most ``solver_seconds``); ``workers`` processes solve
    them side by side, and a big week's part pages and printed notices (0 = every core; the
    plan and its files are the same for any number). Schools further
    than ``max_snap_m`` from the street graph get no route. A corridor is patrolled
    only when its risk is above ``min_risk`` and at least ``min_incidents`` look-back
    incidents lie within ``incident_buffer_m`` of its streets (no needless contact).
    A corridor none of whose schools has any loaded incident (any offence, any time) within
    ``coverage_m`` metres lies outside what the incident data covers: it is never called
    quiet ("no patrol needed"), and a plan where that holds for every school stops with an
    error (0 = off).
    A loop starts when most of its corridor's after-school incidents happened; with no
    time-known incident (month-only data) at ``closing_time``, or, with ``waves`` > 1, at
    one of up to ``waves`` starts from ``closing_time``, each the longest such loop plus 15
    minutes apart (rounded up to 15 minutes), as many as end by the window's end; loops go
    to the waves in turn, riskiest corridor first.
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
    solver_patience: int = 500
    max_snap_m: float = 500.0
    min_incidents: int = 1
    coverage_m: float = 1000.0
    workers: int = 0
    loop_budget_s: float = 120.0
    waves: int = 1

    def __post_init__(self) -> None:
        for key in (
            "hub_walk_m", "catchment_m", "incident_buffer_m", "loop_budget_min", "speed_kmh",
            "solver_seconds", "half_life_weeks", "max_snap_m", "loop_budget_s",
        ):  # fmt: skip
            if getattr(self, key) <= 0:
                raise ConfigError(f"corridors.{key} must be > 0, got {getattr(self, key)}")
        if not 0 <= self.hub_share <= 1:
            raise ConfigError(f"corridors.hub_share must be in [0, 1], got {self.hub_share}")
        if self.min_risk < 0:
            raise ConfigError(f"corridors.min_risk must be >= 0, got {self.min_risk}")
        if self.coverage_m < 0:
            raise ConfigError(f"corridors.coverage_m must be >= 0 (0 = off), got {self.coverage_m}")
        if self.min_incidents < 0:
            raise ConfigError(f"corridors.min_incidents must be >= 0, got {self.min_incidents}")
        if self.workers < 0:
            raise ConfigError(
                f"corridors.workers must be >= 0 (0 = every core), got {self.workers}"
            )
        if self.max_candidates < 1 or self.solver_iterations < 1:
            raise ConfigError(
                "corridors.max_candidates and corridors.solver_iterations must be >= 1, got "
                f"{self.max_candidates} and {self.solver_iterations}"
            )
        if self.solver_patience < 0:
            raise ConfigError(
                f"corridors.solver_patience must be >= 0 (0 = off), got {self.solver_patience}"
            )
        for name in ("window_start", "window_end"):
            _check_hhmm(getattr(self, name), f"corridors.{name}")
        if hhmm_minutes(self.window_end) <= hhmm_minutes(self.window_start):
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
        if self.waves < 1:
            raise ConfigError(f"corridors.waves must be >= 1, got {self.waves}")


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
        if hhmm_minutes(self.window_end) <= hhmm_minutes(self.window_start):
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
    from corridors.config.sweep import typed_sweep  # sweeps are typed by this class's fields

    object.__setattr__(cfg, "sweep", typed_sweep(cfg.sweep, "hotspots.sweep"))


def _check_predictors(cfg: HotspotConfig) -> None:
    for key in ("network_radius_m", "offence_prior"):
        if getattr(cfg, key) < 0:
            raise ConfigError(f"hotspots.{key} must be >= 0, got {getattr(cfg, key)}")
    if cfg.period_weeks < 1:
        raise ConfigError(f"hotspots.period_weeks must be >= 1, got {cfg.period_weeks}")
    if cfg.learned_max_iter < 1 or cfg.learned_min_leaf < 1:
        raise ConfigError(
            "hotspots.learned_max_iter and hotspots.learned_min_leaf must be >= 1, got "
            f"{cfg.learned_max_iter} and {cfg.learned_min_leaf}"
        )
    if cfg.draw_street_km < 0 and cfg.draw_street_km != -1:
        raise ConfigError(
            f"hotspots.draw_street_km must be >= 0 km, or -1 for a corridor's loops, "
            f"got {cfg.draw_street_km}"
        )
