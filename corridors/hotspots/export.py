"""Every file the hotspots stage writes: the week's GeoJSON, JSON and CSV, the tune table and chart.

The stage's write edge (through :mod:`corridors.outputs`' atomic writers).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from corridors.hotspots.backtest import BASELINE, BASELINES
from corridors.hotspots.result import MONTH_ONLY_NOTE, Hotspots
from corridors.outputs import atomic_path, write_csv, write_text

logger = logging.getLogger(__name__)


def write_hotspots(spots: Hotspots, folder: str | Path) -> list[Path]:
    """
    Write the hotspots of a week.

    Parameters
    ----------
    spots
        The hotspots.
    folder
        Output folder (created if needed).

    Returns
    -------
    list[Path]
        ``hotspots.geojson`` (EPSG:4326; one feature per hotspot with its id, rank,
        counts, share, area in m2, offences, method and the time note),
        ``hotspots.json`` (method, parameters, notes) and, when a street graph was used,
        ``edge_intensity.csv`` (u, v, key, intensity).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    time_note = "after-school window applied" if spots.time_known else MONTH_ONLY_NOTE
    polys = spots.polygons.copy()
    polys["method"] = spots.method
    polys["time_note"] = time_note
    if polys.crs is not None:
        polys = polys.to_crs("EPSG:4326")
    polys["geometry"] = shapely.set_precision(polys.geometry.to_numpy(), 1e-6)
    geojson = json.loads(polys.to_json(drop_id=True))
    geojson["notes"] = list(spots.notes)
    paths = [write_text(folder / "hotspots.geojson", json.dumps(geojson, indent=None))]
    meta = {
        "method": spots.method,
        "params": spots.params,
        "time_known": spots.time_known,
        "time_note": time_note,
        "notes": list(spots.notes),
        "hotspots": len(spots.polygons),
        "selected_incidents": len(spots.selected),
    }
    paths.append(write_text(folder / "hotspots.json", json.dumps(meta, indent=2, default=str)))
    if len(spots.edge_intensity):
        frame = spots.edge_intensity.rename("intensity").reset_index()
        paths.append(write_csv(frame, folder / "edge_intensity.csv"))
    logger.info("Wrote %d hotspot files to %s", len(paths), folder)
    return paths


# -- backtests ---------------------------------------------------------------------------


def plot_backtest(table: pd.DataFrame, path: str | Path) -> Path:
    """
    Draw hit rate, PAI and PEI across the configurations (PNG, matplotlib Agg).

    Baselines are drawn in grey; the bar (the best baseline, column ``bar``) in dark grey,
    marked "bar", and as a dashed line on each panel; PAI carries its bootstrap interval
    (``pai_lo``/``pai_hi``) as error bars when the table has it.

    Parameters
    ----------
    table
        Output of :func:`backtest`.
    path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    path = Path(path)
    labels = table["label"].astype(str).tolist()
    fig = Figure(figsize=(max(6.0, 0.5 * len(labels) + 3), 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    is_bar = table["bar"].astype(bool) if "bar" in table else table["label"] == BASELINE
    is_base = table["method"].isin(list(BASELINES)) if "method" in table else is_bar
    colours = [
        "#444444" if bar else "#aaaaaa" if base else "#3366cc"
        for bar, base in zip(is_bar, is_base, strict=True)
    ]
    bar_rows = table[is_bar.to_numpy()]
    for ax, col, title in zip(
        axes,
        ("hit_rate", "pai", "pei"),
        ("Hit rate", "PAI (hit rate / area share)", "PEI"),
        strict=True,
    ):
        values = table[col].astype(float).fillna(0.0)
        err = None
        if col == "pai" and {"pai_lo", "pai_hi"} <= set(table):
            err = [
                (values - table["pai_lo"].astype(float)).clip(lower=0).fillna(0.0),
                (table["pai_hi"].astype(float) - values).clip(lower=0).fillna(0.0),
            ]
        ax.bar(range(len(labels)), values, color=colours, yerr=err, capsize=2)
        if len(bar_rows):
            level = float(bar_rows[col].iloc[0])
            ax.axhline(level, color="#444444", linestyle="--", linewidth=1)
            i = int(np.flatnonzero(is_bar.to_numpy())[0])
            ax.annotate("bar", (i, level), ha="center", va="bottom", fontsize=7)
        ax.set_ylabel(title)
    ticks = [f"[bar] {lab}" if bar else lab for lab, bar in zip(labels, is_bar, strict=True)]
    axes[-1].set_xticks(range(len(labels)), ticks, rotation=60, ha="right", fontsize=7)
    share = float(table["area_share"].mean()) if len(table) else float("nan")
    axes[0].set_title(
        f"Backtest at {share:.1%} of the study area\ngrey: baselines; dark grey and dashed: "
        "the bar (best baseline); PAI with 95% bootstrap intervals",
        fontsize=9,
    )
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return path


def write_backtest(table: pd.DataFrame, folder: str | Path) -> list[Path]:
    """
    Write a backtest table as ``tune.csv`` and its chart as ``tune.png``.

    Parameters
    ----------
    table
        Output of :func:`backtest` or :func:`tune`.
    folder
        Output folder (created if needed).

    Returns
    -------
    list[Path]
        The CSV and the PNG.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "tune.csv"
    write_csv(table, csv)
    chart = plot_backtest(table, out / "tune.png")
    logger.info("Wrote backtest table and chart to %s", out)
    return [csv, chart]
