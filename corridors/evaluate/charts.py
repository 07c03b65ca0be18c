"""The report's charts as inline PNG data (matplotlib, Agg), drawn from its tables.

Each function takes a table and returns a ``data:image/png;base64,...`` URI, or ``""`` when
there is nothing to draw. The PNG is written into memory (``savefig`` to a buffer), never to
a file.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corridors.evaluate.dosage import VISIT_MIN


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def targeting_chart(table: pd.DataFrame) -> str:
    """Share of incidents per km: patrolled streets against top hotspot streets, by week."""
    if table.empty or table["patrolled_share_per_km"].isna().all():
        return ""
    fig, ax = plt.subplots(figsize=(7, 3))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["patrolled_share_per_km"].fillna(0), 0.4, label="patrolled corridors")
    ax.bar(x + 0.2, table["hotspot_share_per_km"].fillna(0), 0.4, label="top hotspots, same km")
    ax.set_xticks(x, [str(w) for w in table["week"]], rotation=45)
    ax.set_ylabel("share of incidents per km")
    ax.legend(fontsize=8)
    return _png(fig)


def effect_chart(table: pd.DataFrame) -> str:
    """Incidents per street before and after: patrolled (and nearby) against comparison."""
    rows = table.dropna(subset=["before_per_street", "after_per_street"]) if len(table) else table
    if rows.empty:
        return ""
    fig, ax = plt.subplots(figsize=(7, 3))
    for _, row in rows.iterrows():
        label = str(row["streets"])
        ax.plot(
            [0, 1], [row["before_per_street"], row["after_per_street"]], marker="o", label=label
        )
        ax.plot(
            [0, 1],
            [row["comparison_before"], row["comparison_after"]],
            marker="o",
            linestyle="--",
            label=f"comparison for {label}",
        )
    ax.set_xticks([0, 1], ["before patrols", "with patrols"])
    ax.set_ylabel("incidents per street segment")
    ax.legend(fontsize=7)
    return _png(fig)


def dosage_chart(table: pd.DataFrame) -> str:
    """Minutes per visit per corridor and week, with the 10-15 minute band."""
    if table.empty:
        return ""
    fig, ax = plt.subplots(figsize=(7, 3))
    labels = [f"{w} {c}" for w, c in zip(table["week"], table["corridor_id"], strict=True)]
    ax.bar(np.arange(len(table)), table["minutes_per_visit"], color="#4a7")
    ax.axhspan(*VISIT_MIN, color="#fc6", alpha=0.4, label="10-15 min (research)")
    ax.set_xticks(np.arange(len(table)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("minutes per visit")
    ax.legend(fontsize=8)
    return _png(fig)
