"""Offence weights learned from the data: each type's past share of after-school incidents.

Pure. With ``[hotspots] offence_weighting = "learned"``, each offence type the weights
table counts (weight > 0, or ``other_weight`` > 0) is weighted by its share of in-window
incidents among all its time-known incidents in the look-back, shrunk toward the overall
share by ``offence_prior`` pseudo-incidents (empirical Bayes):
``(n_window + a * p) / (n + a)`` (a counted type with no time-known incident: ``p``).
Types the table leaves out stay out, so what counts as
harm (and what a backtest scores) is still the table's. Every method uses the learned
weights, since they enter through the one selection's rules.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import HotspotConfig
from corridors.hotspots.result import IN_WINDOW, MINUTE
from corridors.hotspots.select import SelectionRules, select_incidents
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.weights import offence_weights
from corridors.load import OFFENCE
from corridors.week import PlanWeek, Window

SHARE_COLUMNS = ("offence", "incidents", "in_window", "share", "weight")


def offence_shares(
    table: pd.DataFrame, *, prior: float, counted: dict[str, float], other_weight: float
) -> pd.DataFrame:
    """
    Return each offence's incidents, in-window incidents, shrunk share and learned weight.

    ``table`` holds time-known incidents with OFFENCE and IN_WINDOW; ``counted`` is the
    weights table (a type weighted 0 there, or missing with ``other_weight`` 0, gets 0).

    Examples
    --------
    >>> t = pd.DataFrame({"offence": ["A"] * 4 + ["B"] * 6,
    ...     "in_window": [True, True, True, False] + [False] * 6})
    >>> offence_shares(t, prior=2.0, counted={"A": 1.0, "B": 1.0}, other_weight=0.0)[
    ...     "share"].round(3).tolist()
    [0.6, 0.075]
    """
    names = table[OFFENCE].astype("string").fillna("")
    win = table[IN_WINDOW].to_numpy(dtype=bool)
    per = pd.DataFrame({"offence": names, "w": win}).groupby("offence", sort=True)["w"]
    n = per.size()
    n_win = per.sum()
    overall = float(win.mean()) if len(win) else 0.0
    share = (n_win + prior * overall) / (n + prior)
    keep = np.array([counted.get(str(o), other_weight) > 0 for o in n.index], dtype=bool)
    out = pd.DataFrame({
        "offence": n.index.astype(str), "incidents": n.to_numpy(), "in_window": n_win.to_numpy(),
        "share": share.to_numpy(dtype=float),
    })  # fmt: skip
    out["weight"] = np.where(keep, out["share"].to_numpy(dtype=float), 0.0)
    return out.reset_index(drop=True)[list(SHARE_COLUMNS)]


def learned_rules(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    week: PlanWeek,
    window: Window,
    term: TermCalendar | None,
) -> tuple[SelectionRules, pd.DataFrame | None]:
    """
    Return the selection rules of ``cfg``, with learned offence weights when it asks.

    The shares are learned from the time-known incidents of ``week``'s look-back (all
    hours: nothing on or after ``week.start``). Returns the table of learned weights too
    (``None`` when ``cfg`` uses the table, or no incident in the look-back has a time, in
    which case the table's weights are used).
    """
    rules = SelectionRules.of(cfg, term=term)
    if cfg.offence_weighting != "learned":
        return rules, None
    every = SelectionRules(half_life_weeks=cfg.half_life_weeks, all_hours=True, term=term)
    seen = select_incidents(incidents, week, window, rules=every).table
    timed = seen[seen[MINUTE].notna()] if len(seen) else seen
    if not len(timed):
        return rules, None
    shares = offence_shares(
        timed, prior=cfg.offence_prior, counted=offence_weights(cfg), other_weight=cfg.other_weight
    )
    learned = dict(zip(shares["offence"], shares["weight"], strict=True))
    # a counted type with no time-known incident (month-only rows) gets the overall share
    overall = float(timed[IN_WINDOW].mean())
    counted = {k: overall for k, v in offence_weights(cfg).items() if v > 0 and k not in learned}
    other = overall if cfg.other_weight > 0 else 0.0
    return (
        dataclasses.replace(rules, offence_weights={**counted, **learned}, other_weight=other),
        shares,
    )
