"""Backtest scoring: one period's hits at a share of the area, street length, bootstrap intervals.

Pure numpy. :func:`_evaluate` scores one test period; :func:`cell_street_m` gives the walkable
street length inside each grid cell (for PAI over street length); :func:`add_intervals`
adds the bootstrap intervals over test periods, the paired ratios to the best baseline and
the small-sample flag to a backtest table; :func:`ranking_note` and :func:`sample_warning`
say in plain words what the table can and cannot rank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from corridors.hotspots.units import _Grid, _top_units

#: Fewer test incidents than this (all periods together) are too few to rank methods.
MIN_TEST_INCIDENTS = 100
#: Bootstrap resamples of the test periods, and the interval's coverage.
N_BOOT = 1000
COVERAGE = 0.95


@dataclass(frozen=True)
class _Score:
    hits: float  # ranked hits + expected hits of the random fill
    test: int
    ranked_m2: float
    area_m2: float
    best: float
    street_m: float = math.nan  # street length flagged (ranked + expected of the fill)


def _evaluate(
    scores: np.ndarray,
    areas: np.ndarray,
    test_units: np.ndarray,
    total_area: float,
    share: float,
    street_m: np.ndarray | None = None,
) -> _Score:
    """Score one period at ``share`` of ``total_area``.

    The method's units (score > 0) are taken best first while they fit the budget; when they
    run out first, the rest of the budget is filled at random among the other units, which
    adds the expected hits of a random choice (no credit beyond chance). ``best`` is the most
    hits any choice of the same area could catch (fractional greedy by test count per area:
    exact for equal cells, an upper bound otherwise, so PEI <= 1). ``street_m`` (street
    length per unit) gives the street length flagged, the random fill counting its expected
    share of the other units' streets.
    """
    budget = share * total_area
    chosen = _top_units(scores, areas, budget)
    n_test = len(test_units)
    assigned = test_units[test_units >= 0]
    counts = np.bincount(assigned, minlength=len(scores)).astype(float)
    hits = float(counts[chosen].sum())
    used = float(areas[chosen].sum())
    rest_area = float(areas.sum()) - used
    fill = max(0.0, min(budget, float(areas.sum())) - used)
    fill_share = fill / rest_area if fill > 0 and rest_area > 0 else 0.0
    hits += (len(assigned) - hits) * fill_share
    street = math.nan
    if street_m is not None:
        ranked = float(street_m[chosen].sum())
        street = ranked + (float(street_m.sum()) - ranked) * fill_share
    area = used + fill
    order = np.lexsort((np.arange(len(counts)), -counts / areas))
    order = order[counts[order] > 0]
    cum = np.cumsum(areas[order])
    full = cum <= area + 1e-6
    best = float(counts[order[full]].sum())
    if not full.all():
        j = order[int(full.sum())]
        before = float(cum[full][-1]) if full.any() else 0.0
        best += counts[j] * (area - before) / areas[j]
    return _Score(hits, n_test, used, area, best, street)


def cell_street_m(grid: _Grid, lines: np.ndarray) -> np.ndarray:
    """
    Return the length of ``lines`` (shapely lines, metres) inside each cell of ``grid``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> grid = _Grid.over((0, 0, 200, 100), 100)
    >>> cell_street_m(grid, np.array([LineString([(50, 50), (200, 50)])])).tolist()
    [50.0, 100.0]
    """
    n = grid.nx * grid.ny
    if len(lines) == 0:
        return np.zeros(n)
    boxes = grid.boxes(np.arange(n))
    box_i, line_i = shapely.STRtree(lines).query(boxes, predicate="intersects")
    lengths = shapely.length(shapely.intersection(lines[line_i], boxes[box_i]))
    return np.bincount(box_i, lengths, minlength=n)


# -- intervals over test periods ----------------------------------------------------------


@dataclass(frozen=True)
class PeriodScores:
    """One table row's per-period totals: hits, test incidents, area and street shares."""

    hits: np.ndarray
    test: np.ndarray
    area_share: np.ndarray
    street_share: np.ndarray

    @classmethod
    def of(cls, scores: Sequence[_Score], total_area: float, total_street: float) -> PeriodScores:
        """Collect the scores of one row's periods."""
        street = total_street if total_street > 0 else math.nan
        return cls(
            np.array([s.hits for s in scores], dtype=float),
            np.array([s.test for s in scores], dtype=float),
            np.array([s.area_m2 / total_area for s in scores], dtype=float),
            np.array([s.street_m / street for s in scores], dtype=float),
        )

    def pai(self, idx: np.ndarray, street: bool = False) -> np.ndarray:
        """PAI (pooled hit rate / mean share) of each resample ``idx`` (rows of periods)."""
        share = self.street_share if street else self.area_share
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = self.hits[idx].sum(axis=-1) / self.test[idx].sum(axis=-1)
            out: np.ndarray = rate / share[idx].mean(axis=-1)
        return out


def resamples(n_periods: int, *, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """
    Return ``n_boot`` bootstrap resamples of the test periods (rows of period numbers).

    Row 0 is the periods themselves, so the point estimate is one of the samples.

    Examples
    --------
    >>> resamples(3, n_boot=4, seed=1).shape
    (4, 3)
    """
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_periods, size=(n_boot, n_periods))
    idx[0] = np.arange(n_periods)
    return idx


def interval(samples: np.ndarray, coverage: float = COVERAGE) -> tuple[float, float]:
    """Return the percentile interval of bootstrap ``samples`` (NaN samples dropped)."""
    ok = samples[np.isfinite(samples)]
    if not len(ok):
        return math.nan, math.nan
    tail = 50 * (1 - coverage)
    lo, hi = np.percentile(ok, [tail, 100 - tail])
    return float(lo), float(hi)


def add_intervals(
    table: pd.DataFrame,
    periods: Sequence[PeriodScores],
    *,
    baselines: Sequence[str],
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> pd.DataFrame:
    """
    Add intervals, ratios to the best baseline and the small-sample flag to a table.

    ``periods`` are the rows' per-period scores, in the table's order; ``baselines`` are the
    ``method`` values of the baseline rows. Adds ``pai_lo``/``pai_hi`` and
    ``street_pai_lo``/``street_pai_hi`` (bootstrap over test periods), ``bar`` (True on the
    best baseline by PAI: the bar every method must clear), ``vs_best_baseline`` and
    ``street_vs_best`` (each row's PAI / the bar's PAI) with paired intervals (the same
    resampled periods for the row and the bar; of tied baselines the first in ``table`` is the
    bar) and ``small_sample`` (fewer than
    :data:`MIN_TEST_INCIDENTS` test incidents).
    """
    out = table.reset_index(drop=True)
    n = int(out["periods"].max()) if len(out) else 0
    idx = resamples(max(n, 1), n_boot=n_boot, seed=seed)
    is_base = out["method"].isin(list(baselines))
    ranked = out[is_base].sort_values("pai", ascending=False, na_position="last", kind="stable")
    bar = int(ranked.index[0]) if len(ranked) else None
    out["bar"] = out.index == bar
    for street in (False, True):
        pre = "street_" if street else ""
        ratio = f"{pre}vs_best" if street else "vs_best_baseline"
        lo_hi: dict[str, list[float]] = {c: [] for c in ("lo", "hi", "rlo", "rhi", "r")}
        base = periods[bar].pai(idx, street) if bar is not None else None
        for row_scores in periods:
            samples = row_scores.pai(idx, street)
            lo, hi = interval(samples)
            lo_hi["lo"].append(lo)
            lo_hi["hi"].append(hi)
            with np.errstate(invalid="ignore", divide="ignore"):
                r = samples / base if base is not None else np.full(len(idx), math.nan)
            rlo, rhi = interval(r)
            lo_hi["r"].append(float(r[0]))
            lo_hi["rlo"].append(rlo)
            lo_hi["rhi"].append(rhi)
        out[f"{pre}pai_lo"], out[f"{pre}pai_hi"] = lo_hi["lo"], lo_hi["hi"]
        out[ratio], out[f"{ratio}_lo"], out[f"{ratio}_hi"] = lo_hi["r"], lo_hi["rlo"], lo_hi["rhi"]
    out["small_sample"] = pd.to_numeric(out["test_incidents"]) < MIN_TEST_INCIDENTS
    return out


# -- plain words -----------------------------------------------------------------------


def sample_warning(table: pd.DataFrame) -> str | None:
    """
    Return the warning a table with too few test incidents must carry (None: enough).

    Examples
    --------
    >>> sample_warning(pd.DataFrame({"test_incidents": [23, 23]}))[:46]
    'Warning: only 23 test incidents (fewer than 10'
    """
    if not len(table):
        return None
    n = int(pd.to_numeric(table["test_incidents"]).max())
    if n >= MIN_TEST_INCIDENTS:
        return None
    return (
        f"Warning: only {n} test incidents (fewer than {MIN_TEST_INCIDENTS}): the sample is "
        "too small to rank the methods; test more periods (--periods) or a longer period "
        "(--period month)"
    )


def ranking_note(table: pd.DataFrame) -> str:
    """
    Say whether the top two rows (by PAI) are told apart by their bootstrap intervals.

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["a", "b"], "pai": [10.0, 9.0], "pai_lo": [8.0, 7.0],
    ...                   "pai_hi": [12.0, 11.0]})
    >>> ranking_note(t)[:60]
    'The top two, a (PAI 10.00, 8.00-12.00) and b (PAI 9.00, 7.00'
    """
    top = table.sort_values("pai", ascending=False, na_position="last").head(2)
    if len(top) < 2:
        return "Only one row: nothing to rank."
    a, b = top.iloc[0], top.iloc[1]
    words = [
        f"{r['label']} (PAI {r['pai']:.2f}, {r['pai_lo']:.2f}-{r['pai_hi']:.2f})" for r in (a, b)
    ]
    overlap = a["pai_lo"] <= b["pai"] <= a["pai_hi"] or b["pai_lo"] <= a["pai"] <= b["pai_hi"]
    if not overlap:
        return f"The top two, {words[0]} and {words[1]}, are told apart by their intervals."
    paired = _paired_with_bar(a, b)
    if paired:
        return f"The top two, {words[0]} and {words[1]}, are within each other's interval, {paired}"
    return (
        f"The top two, {words[0]} and {words[1]}, are within each other's interval: "
        "the backtest cannot tell them apart."
    )


def _paired_with_bar(a: pd.Series, b: pd.Series) -> str | None:
    """
    Return words for the paired ratio when one of the top two is the bar, else None.

    The paired ratio (the same test periods resampled for both) is the sharper test; words
    only when its interval leaves out 1.
    """
    if "bar" not in a or "vs_best_baseline_lo" not in a:
        return None
    if not (bool(a["bar"]) or bool(b["bar"])):
        return None
    other = b if bool(a["bar"]) else a
    cols = ("vs_best_baseline", "vs_best_baseline_lo", "vs_best_baseline_hi")
    r, lo, hi = (float(other[c]) for c in cols)
    if not (lo > 1 or hi < 1):
        return None
    side = "above" if lo > 1 else "below"
    return (
        f"but paired over the same test periods {other['label']} scores x{r:.2f} "
        f"({lo:.2f}-{hi:.2f}) of the bar: {side} it, told apart."
    )


def format_table(table: pd.DataFrame) -> str:
    """Return the backtest table as fixed-width text (for the CLI and reports)."""
    cols = ["rank", "label", "test_incidents", "hits", "hit_rate", "area_share", "ranked_share"]
    show = table[cols].copy()
    show["hits"] = show["hits"].map(lambda v: f"{v:.1f}")
    for col in ("hit_rate", "area_share", "ranked_share"):
        show[col] = show[col].map(lambda v: f"{v:.3f}")
    show["pai (95% interval)"] = _with_interval(table, "pai")
    if "street_pai" in table and table["street_pai"].notna().any():
        show["street_pai"] = _with_interval(table, "street_pai")
    show["pei"] = table["pei"].map(lambda v: f"{v:.2f}")
    if "vs_best_baseline" in table:
        show["vs_best_baseline"] = _with_interval(table, "vs_best_baseline", fmt="x{:.2f}")
        if table["street_vs_best"].notna().any():
            show["street_vs_best"] = _with_interval(table, "street_vs_best", fmt="x{:.2f}")
        show["bar"] = table["bar"].map(lambda b: "<- bar" if b else "")
    text = show.to_string(index=False)
    notes = [n for n in (_note_if(table), sample_warning(table)) if n]
    return "\n".join([text, *notes])


def _note_if(table: pd.DataFrame) -> str | None:
    return ranking_note(table) if "pai_lo" in table else None


def _with_interval(table: pd.DataFrame, col: str, fmt: str = "{:.2f}") -> pd.Series:
    """``value (lo-hi)`` text of a column with its interval columns (when present)."""
    lo, hi = f"{col}_lo", f"{col}_hi"
    if lo not in table:
        return table[col].map(lambda v: fmt.format(v))
    return pd.Series(
        [
            f"{fmt.format(v)} ({fmt.format(a).lstrip('x')}-{fmt.format(b).lstrip('x')})"
            for v, a, b in zip(table[col], table[lo], table[hi], strict=True)
        ],
        index=table.index,
    )
