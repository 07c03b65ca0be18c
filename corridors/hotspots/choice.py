"""The method ``tune`` records for an area, and how ``plan`` applies it.

Pure: :func:`choice_from_table` turns a backtest table into the record written to the
area's ``hotspots-choice.json`` (by :mod:`corridors.hotspots.choice_file`);
:func:`apply_choice` checks a record read back and returns the configuration it names;
:func:`describe_choice` is the one line the internal map shows.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from corridors.config import HotspotConfig
from corridors.errors import ConfigError
from corridors.hotspots.backtest import BASELINES
from corridors.hotspots.methods import METHODS
from corridors.hotspots.sweep import _METHOD_PARAMS

#: Settings a choice carries besides its method's own (``_METHOD_PARAMS``).
_SHARED_PARAMS = ("cell_m", "half_life_weeks", "train_all_hours")


def _num(value: Any) -> float | None:
    out = float(value)
    return None if math.isnan(out) else round(out, 4)


def choice_from_table(
    table: pd.DataFrame, *, data_range: tuple[str, str], written_at: str, period: str
) -> dict[str, Any] | None:
    """
    Return the record of the best row of a backtest table, baselines included.

    The best is the highest-PAI row other than the naive baseline (last period's counts,
    which ``plan`` does not draw); on a tie a baseline wins, since a method must beat the bar
    to be claimed. A counts baseline that wins is recorded as the ``counts`` method with its
    grid and training window (``baseline`` is true): an honest answer where plain long-term
    counts per cell found more than every method. The record holds the method and
    parameters (the method's own and ``cell_m``, ``half_life_weeks``, ``train_all_hours``),
    its area and street-length PAI with their intervals, the bar (best baseline) and the
    ratio to it with its paired interval, the best non-baseline method's label and ratio,
    the test design and the data's month range. None: no row to choose.

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["kde x", "naive baseline"], "method": ["kde", "naive"],
    ...     "params": ['{"bandwidth_m": 150.0, "cell_m": 150.0, "eps_m": 1}', "{}"],
    ...     "pai": [12.0, 10.0], "pai_lo": [10.0, 8.0], "pai_hi": [14.0, 12.0],
    ...     "street_pai": [float("nan")] * 2, "street_pai_lo": [float("nan")] * 2,
    ...     "street_pai_hi": [float("nan")] * 2, "bar": [False, True],
    ...     "vs_best_baseline": [1.2, 1.0], "vs_best_baseline_lo": [1.1, 1.0],
    ...     "vs_best_baseline_hi": [1.3, 1.0], "periods": [6, 6], "test_incidents": [300, 300],
    ...     "small_sample": [False, False]})
    >>> c = choice_from_table(t, data_range=("2020-01", "2022-10"), written_at="now",
    ...                       period="month")
    >>> c["method"], c["params"], c["vs_best_baseline"], c["baseline"]
    ('kde', {'bandwidth_m': 150.0, 'cell_m': 150.0}, 1.2, False)
    """
    candidates = table[table["method"] != "naive"]
    if not len(candidates):
        return None
    is_base = candidates["method"].isin(list(BASELINES))
    order = candidates.assign(_base=is_base).sort_values(
        ["pai", "_base"], ascending=[False, False], na_position="last", kind="stable"
    )
    row = order.iloc[0]
    baseline = bool(row["_base"])
    method = "counts" if baseline else str(row["method"])
    bar = table[table["bar"].astype(bool)]
    keep = _METHOD_PARAMS.get(method, set()) | set(_SHARED_PARAMS)
    params = {k: v for k, v in json.loads(row["params"]).items() if k in keep}
    methods = order[~order["_base"]]
    best_method = methods.iloc[0] if len(methods) else None
    return {
        "method": method,
        "params": params,
        "label": str(row["label"]),
        "baseline": baseline,
        "pai": _num(row["pai"]),
        "pai_interval": [_num(row["pai_lo"]), _num(row["pai_hi"])],
        "street_pai": _num(row["street_pai"]),
        "street_pai_interval": [_num(row["street_pai_lo"]), _num(row["street_pai_hi"])],
        "best_baseline": str(bar["label"].iloc[0]) if len(bar) else None,
        "best_baseline_pai": _num(bar["pai"].iloc[0]) if len(bar) else None,
        "vs_best_baseline": _num(row["vs_best_baseline"]),
        "vs_best_baseline_interval": [
            _num(row["vs_best_baseline_lo"]),
            _num(row["vs_best_baseline_hi"]),
        ],
        "best_method": None if best_method is None else str(best_method["label"]),
        "best_method_vs_best_baseline": (
            None if best_method is None else _num(best_method["vs_best_baseline"])
        ),
        "period": period,
        "periods": int(row["periods"]),
        "test_incidents": int(row["test_incidents"]),
        "small_sample": bool(row["small_sample"]),
        "data_range": {"first_month": data_range[0], "last_month": data_range[1]},
        "written_at": written_at,
    }


def choice_warning(choice: Mapping[str, Any]) -> str | None:
    """
    Return a warning when the chosen method is below the bar beyond its paired interval.

    Examples
    --------
    >>> choice_warning({"method": "kde", "vs_best_baseline": 1.1,
    ...                 "vs_best_baseline_interval": [1.0, 1.2]}) is None
    True
    """
    hi = (choice.get("vs_best_baseline_interval") or [None, None])[1]
    if hi is None or hi >= 1:
        return None
    return (
        f"Warning: the best method, {choice.get('label', choice['method'])}, is below the bar "
        f"({choice.get('best_baseline')}) beyond its interval: x{choice['vs_best_baseline']:.2f} "
        f"(up to x{hi:.2f}); plain counts per cell found more"
    )


def apply_choice(cfg: HotspotConfig, choice: Mapping[str, Any], where: str) -> HotspotConfig:
    """
    Return ``cfg`` with the method and parameters of a recorded choice.

    Raises
    ------
    ConfigError
        Naming ``where`` (the choice file) when the method is unknown or a parameter is not
        a ``[hotspots]`` setting or has a bad value.

    Examples
    --------
    >>> apply_choice(HotspotConfig(), {"method": "kde", "params": {"bandwidth_m": 300}},
    ...              "x.json").bandwidth_m
    300.0
    """
    method = choice.get("method")
    if method not in METHODS:
        raise ConfigError(
            f"{where}: unknown hotspot method {method!r} (expected one of {list(METHODS)}); "
            "run `corridors tune` again or delete the file"
        )
    params = choice.get("params", {})
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: 'params' must be an object of [hotspots] settings")
    fields = {f.name: f for f in dataclasses.fields(HotspotConfig)}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: {unknown} are not [hotspots] settings; run tune again")
    typed = {k: _typed(fields[k].default, v, where, k) for k, v in params.items()}
    try:
        return dataclasses.replace(cfg, method=method, **typed)
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _typed(default: Any, value: Any, where: str, key: str) -> Any:
    """``value`` as the type of the setting's default (JSON has no float/int distinction)."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: params.{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: params.{key} must be a number, got {value!r}")
        return type(default)(value)
    return value


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "n/a"


def describe_choice(
    choice: Mapping[str, Any] | None, method: str, source: str = "named in the config"
) -> str:
    """
    Return the internal map's line: which method drew the hotspots and how it backtested.

    Examples
    --------
    >>> describe_choice(None, "kde")
    'Hotspots drawn by kde (named in the config)'
    >>> describe_choice({"method": "kde", "pai": 12.0, "best_baseline": "counts baseline",
    ...     "best_baseline_pai": 10.0, "vs_best_baseline": 1.2,
    ...     "vs_best_baseline_interval": [1.05, 1.3], "written_at": "2026-12-01"}, "kde")[:62]
    'Hotspots drawn by kde, chosen by corridors tune (2026-12-01): '
    >>> describe_choice({"method": "counts", "baseline": True, "label": "counts baseline, window",
    ...     "pai": 11.0, "best_method": "kde x", "best_method_vs_best_baseline": 0.38,
    ...     "written_at": "2026-12-01"}, "counts")[65:135]
    'a baseline was chosen: counts baseline, window (plain counts per cell)'
    """
    if choice is None:
        return f"Hotspots drawn by {method} ({source})"
    head = f"Hotspots drawn by {method}, chosen by corridors tune ({choice.get('written_at')}): "
    small = (
        f"; ranked on only {choice.get('test_incidents')} test incidents, too few to rank"
        if choice.get("small_sample")
        else ""
    )
    if choice.get("baseline"):
        best = choice.get("best_method")
        ratio = _ratio(choice.get("best_method_vs_best_baseline"))
        beaten = f"; the best method, {best}, scored {ratio} of it" if best else ""
        return (
            f"{head}a baseline was chosen: {choice.get('label')} (plain counts per cell), "
            f"backtest PAI {_fmt(choice.get('pai'))}, beat every method{beaten}{small}"
        )
    lo, hi = choice.get("vs_best_baseline_interval") or [None, None]
    ratio_text = _ratio(choice.get("vs_best_baseline"))
    if lo is not None and hi is not None:
        ratio_text += f" ({lo:.2f}-{hi:.2f})"
    pai, bar = (_fmt(choice.get(k)) for k in ("pai", "best_baseline_pai"))
    return (
        f"{head}backtest PAI {pai} against {bar} for the "
        f"best baseline ({choice.get('best_baseline')}), {ratio_text}{small}"
    )


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"x{value:.2f}"
