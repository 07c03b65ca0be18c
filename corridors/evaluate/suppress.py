"""Small-count suppression: no published count below k, and none recoverable from totals.

A table of counts is published with its row and column totals. Primary suppression hides
every count below ``k`` (totals too). Secondary suppression then hides more cells wherever
a row or column (with its total) has exactly one hidden member, since that one could be
worked out by subtraction: the smallest other member of that row or column is hidden as
well, until no row or column has a single hidden member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

TOTAL = "total"


def with_totals(counts: pd.DataFrame) -> pd.DataFrame:
    """Return ``counts`` with a ``total`` column and a ``total`` row."""
    out = counts.astype(float).copy()
    out[TOTAL] = out.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out


def suppress(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    """
    Return the counts with totals, every suppressed cell NaN (primary and secondary).

    Parameters
    ----------
    counts
        Whole counts, rows by columns, without totals.
    k
        The smallest count that may be shown.

    Examples
    --------
    >>> t = pd.DataFrame({"in": [12, 3], "out": [20, 30]}, index=["a", "b"])
    >>> suppress(t, 10).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'in': {'a': nan, 'b': nan, 'total': 15.0}, 'out': {'a': nan, 'b': nan, 'total': 50.0},
     'total': {'a': 32.0, 'b': 33.0, 'total': 65.0}}
    """
    full = with_totals(counts)
    values = full.to_numpy(dtype=float)
    hidden = values < k
    rows, cols = values.shape
    relations = [[(i, j) for j in range(cols)] for i in range(rows)]
    relations += [[(i, j) for i in range(rows)] for j in range(cols)]
    changed = True
    while changed:
        changed = False
        for members in relations:
            shut = [m for m in members if hidden[m]]
            if len(shut) != 1:
                continue
            open_ = [m for m in members if not hidden[m]]
            if not open_:
                continue
            pick = min(open_, key=lambda m: (values[m], m))
            hidden[pick] = True
            changed = True
    out = full.copy()
    out[:] = np.where(hidden, np.nan, values)
    return out


def recoverable(table: pd.DataFrame) -> bool:
    """Return True when some hidden cell of a table with totals is alone in its row or column."""
    hidden = table.isna().to_numpy()
    return bool(((hidden.sum(axis=1) == 1).any()) or ((hidden.sum(axis=0) == 1).any()))


def hide_small(frame: pd.DataFrame, counts: Mapping[str, Sequence[str]], k: int) -> pd.DataFrame:
    """
    Return ``frame`` with every count below ``k`` blank, and the figures derived from it.

    ``counts`` maps each count column to the columns computed from it (shares, rates), which
    are blanked in the same rows. For public tables of incident counts.

    Examples
    --------
    >>> t = pd.DataFrame({"week": ["a", "b"], "n": [3.0, 12.0], "share": [0.1, 0.4],
    ...                   "km": [2.0, 2.0]})
    >>> hide_small(t, {"n": ["share"]}, 10).to_dict("list")
    {'week': ['a', 'b'], 'n': [nan, 12.0], 'share': [nan, 0.4], 'km': [2.0, 2.0]}
    """
    out = frame.copy()
    for col, derived in counts.items():
        small = (pd.to_numeric(out[col], errors="coerce") < k).to_numpy()
        for name in (col, *derived):
            out[name] = out[name].astype(float)
            out.loc[small, name] = np.nan
    return out
