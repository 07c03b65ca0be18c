"""An evaluation's figures as named tables: the team's, and the public's (nothing below k).

The public tables hide every incident count below k and the figures of those rows; the
equality tables are suppressed for both (:mod:`corridors.evaluate.suppress`). No table holds
a place: streets appear only as totals and kilometres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridors.evaluate.effect import DidResult
from corridors.evaluate.run import Evaluation
from corridors.evaluate.suppress import hide_small

EFFECT_ROWS = {"patrolled": "patrolled streets", "displacement": "streets within 200 m"}


def effect_frame(ev: Evaluation) -> pd.DataFrame:
    """One row per estimate: DiD, interval, the four means, units, incidents and km."""
    rows = []
    if ev.effect is not None:
        parts: dict[str, tuple[DidResult | None, float]] = {
            "patrolled": (ev.effect.patrolled, ev.effect.patrolled_km),
            "displacement": (ev.effect.displacement, ev.effect.nearby_km),
        }
        for key, (res, km) in parts.items():
            if res is None:
                continue
            rows.append(
                {
                    "streets": EFFECT_ROWS[key],
                    "km": km,
                    "did_per_street": res.estimate,
                    "low": res.low,
                    "high": res.high,
                    "level": res.level,
                    "before_per_street": res.treated_before,
                    "after_per_street": res.treated_after,
                    "comparison_before": res.comparison_before,
                    "comparison_after": res.comparison_after,
                    "streets_n": res.n_treated,
                    "comparison_n": res.n_comparison,
                    "incidents_before": res.treated_before * res.n_treated,
                    "incidents_after": res.treated_after * res.n_treated,
                    "before_from": ev.effect.before[0],
                    "after_from": ev.effect.after[0],
                    "after_to": ev.effect.after[1],
                }
            )
    return pd.DataFrame(rows)


def team_tables(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """Return the team's tables by name (the CSV file stems)."""
    tables = {
        "targeting": ev.targeting,
        "effect": effect_frame(ev),
        "dosage": ev.dosage,
    }
    if ev.equality is not None:
        tables.update(_equality(ev))
    return tables


def public_tables(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """Return the public's tables: incident counts below k (and their rows' figures) hidden."""
    team = team_tables(ev)
    out = dict(team)
    shares = ["patrolled_share", "patrolled_share_per_km", "hotspot_share", "hotspot_share_per_km"]
    out["targeting"] = hide_small(
        team["targeting"],
        {"incidents": shares, "on_patrolled": shares[:2], "on_hotspots": shares[2:]},
        ev.k,
    )
    if len(team["effect"]):
        out["effect"] = hide_small(
            team["effect"],
            {  # matched on incidents before, the comparison means would give them away
                "incidents_before": ["before_per_street", "comparison_before"],
                "incidents_after": ["after_per_street", "comparison_after"],
            },
            ev.k,
        )
    return out


def _equality(ev: Evaluation) -> dict[str, pd.DataFrame]:
    eq = ev.equality
    assert eq is not None
    return {
        "equality-age": eq.by_age.rename_axis("age range").reset_index(),
        "equality-ethnicity": eq.by_ethnicity.rename_axis("group").reset_index(),
        "equality-outcomes": eq.outcomes.rename_axis("group").reset_index(),
        "equality-ratios": eq.rate_ratios.reset_index(),
    }


def smallest_count(tables: dict[str, pd.DataFrame], columns: dict[str, list[str]]) -> float:
    """Return the smallest value shown in the named count columns (inf when none): tests, checks."""
    values = [
        pd.to_numeric(tables[name][col], errors="coerce").dropna().to_numpy()
        for name, cols in columns.items()
        if name in tables
        for col in cols
        if col in tables[name].columns
    ]
    flat = np.concatenate(values) if values else np.zeros(0)
    return float(flat.min()) if len(flat) else float("inf")
