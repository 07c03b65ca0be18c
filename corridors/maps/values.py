"""
Plain values for the pages: ISO weeks, dates, clock times, missing cells and JSON-safe cells.

Examples
--------
>>> _week_start("2022-W45"), _add_minutes("15:10", 45)
(datetime.date(2022, 11, 7), '15:55')
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from corridors.errors import ConfigError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

#: A table cell as JSON: what :func:`_json_value` returns.
JsonCell = bool | int | float | str | None


def _is_missing(value: object) -> bool:
    """
    Return whether a table cell is missing: None, or a scalar NaN (numpy's notion of a scalar).

    Examples
    --------
    >>> [_is_missing(v) for v in (None, float("nan"), "", 0, [None])]
    [True, True, False, False, False]
    """
    scalar: Any = value  # np.isscalar narrows ``value`` to types pd.isna's stub does not take
    return value is None or (bool(np.isscalar(value)) and bool(pd.isna(scalar)))


def _text(value: object) -> str:
    """Return a cell as text: ``""`` when it is missing (:func:`_is_missing`)."""
    return "" if _is_missing(value) else str(value)


def _week_start(week: str) -> dt.date:
    match = _WEEK_RE.match(str(week))
    if not match:
        raise ConfigError(f"map week must look like '2022-W45', got {week!r}")
    try:
        return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ConfigError(f"map week {week!r} does not exist ({exc})") from exc


def _as_date(value: Any) -> dt.date | None:
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day: dt.date = pd.Timestamp(value).date()
        return day
    except (ValueError, TypeError):
        return None


def _add_minutes(hhmm: str, minutes: Any) -> str:
    if not re.fullmatch(r"\d{1,2}:\d{2}", hhmm or "") or minutes is None or pd.isna(minutes):
        return ""
    h, mm = (int(x) for x in hhmm.split(":"))
    total = h * 60 + mm + round(float(minutes))
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def _sort_key(col: pd.Series) -> pd.Series:
    return col.map(lambda v: "" if v is None else str(v))


def _json_value(value: object) -> JsonCell:
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 3)
    return str(value)


def _first_values(series: pd.Series | None, n: int) -> list[str]:
    if series is None:
        return [""] * n
    out = []
    for v in series:
        if isinstance(v, (list, tuple)):
            v = v[0] if v else ""
        out.append(_text(v))
    return out


def _offences_text(raw: str) -> str:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    if isinstance(data, dict):
        return ", ".join(
            f"{k} {v}" for k, v in sorted(data.items(), key=lambda kv: -float(kv[1] or 0))
        )
    return raw


def _risk_classes(risk: pd.Series) -> list[int]:
    if risk.nunique() <= 1:
        return [2] * len(risk)
    ranks = risk.rank(method="average", pct=True)
    return [min(4, int((r - 1e-9) * 5)) for r in ranks]
