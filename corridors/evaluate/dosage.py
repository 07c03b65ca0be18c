"""Dosage: how many patrol minutes each corridor got each week, against the research.

Hot-spot policing research (the "Koper curve") finds visits of about 10-15 minutes at a hot
spot deter best: shorter ones do little, longer ones add little. The roster gives each
patrol slot (a loop walked at a time on a day); a slot's minutes are its end minus its
start, and each slot is one visit to its corridor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridors.week import hhmm_minutes

VISIT_MIN = (10.0, 15.0)
DOSAGE_COLUMNS = (
    "week",
    "corridor_id",
    "visits",
    "patrol_minutes",
    "minutes_per_visit",
    "against_research",
)


def dosage_table(roster: pd.DataFrame) -> pd.DataFrame:
    """
    One row per week and corridor: visits, patrol minutes, minutes per visit, and a verdict.

    ``roster`` is the history's roster layer (one row per person and slot: ``week``,
    ``slot_id``, ``corridor_id``, ``start``, ``end`` as HH:MM). The verdict reads "shorter
    than 10-15 min", "10-15 min, as recommended" or "longer than 10-15 min".

    Examples
    --------
    >>> r = pd.DataFrame({"week": ["2022-W45"] * 3, "slot_id": ["a", "a", "b"],
    ...                   "corridor_id": ["C01"] * 3, "start": ["15:15", "15:15", "15:15"],
    ...                   "end": ["15:30", "15:30", "15:45"]})
    >>> dosage_table(r)[["visits", "patrol_minutes", "minutes_per_visit"]].iloc[0].tolist()
    [2.0, 45.0, 22.5]
    """
    if roster.empty or "slot_id" not in roster.columns:
        return pd.DataFrame(columns=list(DOSAGE_COLUMNS))
    slots = roster.drop_duplicates(["week", "slot_id"]).copy()
    slots["minutes"] = [
        float(hhmm_minutes(str(e)) - hhmm_minutes(str(s)))
        for s, e in zip(slots["start"], slots["end"], strict=True)
    ]
    return _table(slots)


def _table(slots: pd.DataFrame) -> pd.DataFrame:
    """Sum one row per slot (``week``, ``corridor_id``, ``slot_id``, ``minutes``)."""
    table = (
        slots.groupby(["week", "corridor_id"], sort=True)
        .agg(visits=("slot_id", "size"), patrol_minutes=("minutes", "sum"))
        .reset_index()
    )
    table["minutes_per_visit"] = table["patrol_minutes"] / table["visits"]
    lo, hi = VISIT_MIN
    table["against_research"] = np.select(
        [table["minutes_per_visit"] < lo, table["minutes_per_visit"] > hi],
        [f"shorter than {lo:g}-{hi:g} min", f"longer than {lo:g}-{hi:g} min"],
        default=f"{lo:g}-{hi:g} min, as recommended",
    )
    return table[list(DOSAGE_COLUMNS)]


def dosage_from_loops(loops: pd.DataFrame, days: int) -> pd.DataFrame:
    """
    Dosage without a roster: each week's loop walked once on each of ``days`` school days.

    ``loops`` is the history's loops layer (``week``, ``corridor_id``, ``duration_min``).

    Examples
    --------
    >>> loops = pd.DataFrame({"week": ["2022-W45"], "corridor_id": ["C01"],
    ...                       "duration_min": [12.0]})
    >>> dosage_from_loops(loops, 5)[["visits", "patrol_minutes"]].iloc[0].tolist()
    [5.0, 60.0]
    """
    if loops.empty:
        return pd.DataFrame(columns=list(DOSAGE_COLUMNS))
    rows = []
    for (week, corridor), group in loops.groupby(["week", "corridor_id"], sort=True):
        for k, minutes in enumerate(group["duration_min"].astype(float)):
            for day in range(days):
                rows.append((week, corridor, f"{corridor}-{k}@{day}", "00:00", minutes))
    slots = pd.DataFrame(rows, columns=["week", "corridor_id", "slot_id", "start", "minutes"])
    return _table(slots)
