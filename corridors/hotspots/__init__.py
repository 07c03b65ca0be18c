"""After-school hotspots: selection, weighting, clustering and backtests.

CONTRACT:
- ``find_hotspots(incidents, cfg: HotspotConfig, *, week: PlanWeek, window: Window,
  street: StreetGraph | None = None, previous=None, study_area=None, term=None) -> Hotspots``
- ``select_incidents(incidents, week: PlanWeek, window: Window, *, rules: SelectionRules |
  None = None) -> Selection`` (``.table`` adds WEIGHT, IN_WINDOW, AGE_WEEKS, MINUTE): the one
  incident selection of every stage; ``SelectionRules.of(cfg, term=...)`` are the hotspots
  stage's rules, ``window_of(cfg)`` the window of a ``[hotspots]`` configuration
- ``backtest(incidents, cfgs, *, timezone, study_area, street=None, periods=None,
  period="auto", train_periods=None, term=None) -> pd.DataFrame`` (TABLE_COLUMNS, ranked)
- ``tune(incidents, cfg, *, timezone, study_area, street=None, methods=None, grid=None,
  period="auto", periods=None, train_periods=None) -> pd.DataFrame`` (ranked table);
  ``write_backtest(table, folder) -> [tune.csv, tune.png]``; ``format_backtest(table) -> str``
- ``choice_from_table(table, ...)``, ``write_choice(choice, path)``, ``read_choice(path)``,
  ``apply_choice(cfg, choice, where)``, ``describe_choice(choice, method)``: the method
  ``tune`` records in the area's ``hotspots-choice.json`` and ``plan`` uses
- ``write_hotspots(spots, folder) -> list[Path]``; ``plot_backtest(table, path) -> Path``
- ``expand_sweep(cfg, sweep=None)``, ``parse_sweep(["eps_m=100,150"])`` for ``--grid``
  (values typed by their ``HotspotConfig`` field: :func:`corridors.config.parse_grid`)
- ``load_term_dates(path) -> TermDates`` (calendar, report, rejects);
  ``read_term_dates(path) -> TermCalendar`` (strict)

Which file holds what
---------------------
- ``select.py``: :func:`select_incidents`, the one incident selection (the corridor stage
  and the evidence checks use it too): the look-back, the after-school window (local time,
  the window's weekdays, optional school days only), offence weights and recency decay.
  Adds WEIGHT, IN_WINDOW, AGE_WEEKS, MINUTE.
- ``weights.py``: the offence weights table and the checks that some incident has a weight.
- ``terms.py``: the school calendar and the date logic of a term dates table (pure);
  ``term_file.py``: reads the term dates file (the stage's one input file).
- ``find.py``: :func:`find_hotspots`, the stage: select, run the method, make the polygons.
- ``methods.py``: DBSCAN, HDBSCAN, kernel density on a grid, network-constrained intensity
  on street segments (smoothed along the streets: ``network_smooth.py``), and the history
  methods: a fitted blend of long-term and recent counts (``blend.py``) and Poisson
  gradient-boosted trees on lagged counts (``learned.py``); ``units.py``: points, grid
  cells, street segments, the study area. ``offence_share.py``: offence weights learned
  from each type's past share of after-school incidents.
- ``polygons.py``: cluster hulls, dissolved cells, street runs, the polygon table and ids
  kept from the previous week; ``result.py``: :class:`Hotspots` and its column names.
- ``backtest.py``: rolling backtests scored with hit rate, PAI and PEI at a fixed share of
  the study area, always with the baseline rows (naive, counts, counts on all hours; the
  best is the bar); ``scoring.py``: one period's score, street length per cell, bootstrap
  intervals over test periods and the plain-words notes; ``sweep.py``: sweeps and
  :func:`tune`; ``choice.py``: the method ``tune`` records for ``plan``.
- ``export.py``: every file written (:func:`write_hotspots`, :func:`plot_backtest`,
  :func:`write_backtest`).

Notes on the data: data.police.uk locations are snap points (many crimes share one point:
that is the anonymisation, not a super-hotspot). Clustering therefore works on distinct
locations carrying their incident counts as sample weights, and the network method snaps
every incident to the nearest street segment first. Month-only records cannot be put in
the after-school window; they are used without the time filter and every output says so.
"""

from corridors.hotspots.backtest import (
    BASELINE,
    BASELINES,
    COUNTS,
    COUNTS_ALL,
    TABLE_COLUMNS,
    backtest,
    format_backtest,
    format_table,
)
from corridors.hotspots.blend import History
from corridors.hotspots.choice import (
    apply_choice,
    choice_from_table,
    choice_warning,
    describe_choice,
)
from corridors.hotspots.choice_file import CHOICE_JSON, read_choice, write_choice
from corridors.hotspots.export import plot_backtest, write_backtest, write_hotspots
from corridors.hotspots.find import draw_length_km, find_hotspots, no_hotspots_note
from corridors.hotspots.learned import feature_importances
from corridors.hotspots.offence_share import learned_rules, offence_shares
from corridors.hotspots.result import (
    AGE_WEEKS,
    AREA_M2,
    CLUSTER,
    HOTSPOT_ID,
    IN_WINDOW,
    INCIDENTS,
    MINUTE,
    MONTH_ONLY_NOTE,
    OFFENCES,
    RANK,
    SHARE,
    SNAP_NOTE,
    WEIGHT,
    WEIGHTED_COUNT,
    Hotspots,
)
from corridors.hotspots.scoring import MIN_TEST_INCIDENTS, ranking_note, sample_warning
from corridors.hotspots.select import (
    Selection,
    SelectionRules,
    select_incidents,
    window_mask,
    window_of,
)
from corridors.hotspots.sweep import expand_sweep, parse_sweep, tune
from corridors.hotspots.term_file import load_term_dates, read_term_dates, term_calendar
from corridors.hotspots.terms import R_TERM_ENDS_EARLY, R_TERM_KIND, TermCalendar, TermDates
from corridors.hotspots.weights import (
    DEFAULT_OFFENCE_WEIGHTS,
    check_weighted,
    offence_weights,
    unweighted_offences_hint,
)

__all__ = [
    "AGE_WEEKS",
    "AREA_M2",
    "BASELINE",
    "BASELINES",
    "CHOICE_JSON",
    "CLUSTER",
    "COUNTS",
    "COUNTS_ALL",
    "DEFAULT_OFFENCE_WEIGHTS",
    "HOTSPOT_ID",
    "INCIDENTS",
    "IN_WINDOW",
    "MINUTE",
    "MIN_TEST_INCIDENTS",
    "MONTH_ONLY_NOTE",
    "OFFENCES",
    "RANK",
    "R_TERM_ENDS_EARLY",
    "R_TERM_KIND",
    "SHARE",
    "SNAP_NOTE",
    "TABLE_COLUMNS",
    "WEIGHT",
    "WEIGHTED_COUNT",
    "History",
    "Hotspots",
    "Selection",
    "SelectionRules",
    "TermCalendar",
    "TermDates",
    "apply_choice",
    "backtest",
    "check_weighted",
    "choice_from_table",
    "choice_warning",
    "describe_choice",
    "draw_length_km",
    "expand_sweep",
    "feature_importances",
    "find_hotspots",
    "format_backtest",
    "format_table",
    "learned_rules",
    "load_term_dates",
    "no_hotspots_note",
    "offence_shares",
    "offence_weights",
    "parse_sweep",
    "plot_backtest",
    "ranking_note",
    "read_choice",
    "read_term_dates",
    "sample_warning",
    "select_incidents",
    "term_calendar",
    "tune",
    "unweighted_offences_hint",
    "window_mask",
    "window_of",
    "write_backtest",
    "write_choice",
    "write_hotspots",
]
