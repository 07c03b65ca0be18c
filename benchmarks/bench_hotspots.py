"""Benchmark: hotspot methods on 100k and 1M synthetic incidents (time and peak memory).

Run: ``.venv/bin/python benchmarks/bench_hotspots.py`` (``--quick``: 100k only).

The incidents imitate data.police.uk: a 10 km x 10 km area, incidents on anonymous snap
points (one point per ~10 incidents, 60% in 40 clustered blobs, 40% scattered), month-only,
youth-relevant offences. A second scenario ("distinct") gives every incident its own float
coordinates (no shared points: the worst case for DBSCAN, which the stage grid-thins). The
street graph is a 100 m grid (10,201 nodes, 40,400 directed edges).

Every case runs ``find_hotspots`` end to end (selection, clustering, polygons, per-edge
intensity) in a fresh subprocess, so the peak RSS is its own. Figures are printed as ratios
against a baseline measured in the same run: plain scikit-learn DBSCAN on 100k distinct
points (no de-duplication), the way NOTES-stack.md measured it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_incidents(n: int, scenario: str, seed: int = 0):
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    if scenario == "snap":
        n_points = max(1000, n // 10)
        centres = rng.uniform(500, 9500, size=(40, 2))
        blob = centres[rng.integers(0, 40, n_points)] + rng.normal(0, 150, size=(n_points, 2))
        flat = rng.uniform(0, 10_000, size=(n_points, 2))
        pts = np.where(rng.random(n_points)[:, None] < 0.6, blob, flat).round(0)
        xy = pts[rng.integers(0, n_points, n)]
    else:
        xy = rng.uniform(0, 10_000, size=(n, 2))
    offences = np.array(
        [
            "Violence and sexual offences",
            "Anti-social behaviour",
            "Public order",
            "Drugs",
            "Robbery",
            "Burglary",
        ]
    )
    months = pd.period_range("2021-11", "2022-10", freq="M").strftime("%Y-%m").to_numpy()
    return gpd.GeoDataFrame(
        {
            "offence": offences[rng.integers(0, len(offences), n)],
            "month": months[rng.integers(0, len(months), n)],
            "occurred_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, Europe/London]"),
            "time_known": np.zeros(n, dtype=bool),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:27700",
    )


def make_street():
    import geopandas as gpd
    import networkx as nx
    import numpy as np
    import pandas as pd
    import shapely

    from corridors.graph import StreetGraph

    k = 101
    ids = np.arange(k * k).reshape(k, k)
    xs = np.arange(k) * 100.0
    pairs = [(ids[i, j], ids[i, j + 1]) for i in range(k) for j in range(k - 1)]
    pairs += [(ids[i, j], ids[i + 1, j]) for i in range(k - 1) for j in range(k)]
    pairs = np.array(pairs)
    both = np.vstack([pairs, pairs[:, ::-1]])
    node_x = np.tile(xs, k)
    node_y = np.repeat(xs, k)
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([node_x[both[:, 0]], node_y[both[:, 0]]]),
                np.column_stack([node_x[both[:, 1]], node_y[both[:, 1]]]),
            ],
            axis=1,
        )
    )
    index = pd.MultiIndex.from_arrays(
        [both[:, 0], both[:, 1], np.zeros(len(both), int)], names=["u", "v", "key"]
    )
    edges = gpd.GeoDataFrame({"length": 100.0}, geometry=lines, index=index, crs="EPSG:27700")
    nodes = gpd.GeoDataFrame(
        {"x": node_x, "y": node_y},
        geometry=gpd.points_from_xy(node_x, node_y),
        index=pd.Index(np.arange(k * k), name="osmid"),
        crs="EPSG:27700",
    )
    graph = nx.MultiDiGraph(crs="EPSG:27700")
    return StreetGraph(
        graph=graph,
        crs="EPSG:27700",
        nodes=nodes,
        edges=edges,
        source="synthetic grid",
        source_sha256="",
    )


def run_one(method: str, n: int, scenario: str) -> dict[str, float]:

    import hdbscan  # noqa: F401  (imports are not part of the timing)
    import numpy as np
    import scipy.ndimage
    import scipy.sparse.csgraph  # noqa: F401
    import sklearn.cluster  # noqa: F401

    from corridors.config import HotspotConfig
    from corridors.hotspots import find_hotspots
    from corridors.week import PlanWeek, Window

    incidents = make_incidents(n, scenario)
    if method == "baseline":
        from sklearn.cluster import DBSCAN

        xy = np.column_stack([incidents.geometry.x, incidents.geometry.y])
        start = time.perf_counter()
        DBSCAN(eps=150.0, min_samples=5).fit(xy)
        seconds = time.perf_counter() - start
        hotspots = -1
    else:
        street = make_street()
        cfg = HotspotConfig(method=method)  # defaults: eps 150 m, min_samples 5, 5% of the area
        start = time.perf_counter()
        spots = find_hotspots(
            incidents,
            cfg,
            week=PlanWeek.parse("2022-W45", timezone="Europe/London", lookback_weeks=52),
            window=Window(),
            street=street,
        )
        seconds = time.perf_counter() - start
        hotspots = len(spots.polygons)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "hotspots": hotspots}


def child(method: str, n: int, scenario: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--one", method, str(n), scenario],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k incidents only")
    parser.add_argument(
        "--one", nargs=3, metavar=("METHOD", "N", "SCENARIO"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        method, n, scenario = args.one
        print(json.dumps(run_one(method, int(n), scenario)))
        return
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    base = child("baseline", 100_000, "distinct")
    print(
        f"baseline: plain sklearn DBSCAN, 100k distinct points: {base['seconds']:.2f} s, "
        f"peak {base['peak_mb']:.0f} MB"
    )
    print(
        f"{'method':<8} {'scenario':<9} {'incidents':>10} {'seconds':>8} {'x base time':>11} "
        f"{'peak MB':>8} {'x base mem':>10} {'hotspots':>8}"
    )
    cases = [(m, "snap") for m in ("dbscan", "hdbscan", "kde", "network")] + [
        ("dbscan", "distinct")
    ]
    for n in sizes:
        for method, scenario in cases:
            r = child(method, n, scenario)
            t_ratio = r["seconds"] / base["seconds"]
            m_ratio = r["peak_mb"] / base["peak_mb"]
            print(
                f"{method:<8} {scenario:<9} {n:>10,} {r['seconds']:>8.2f} {t_ratio:>11.2f} "
                f"{r['peak_mb']:>8.0f} {m_ratio:>10.2f} {int(r['hotspots']):>8}"
            )


if __name__ == "__main__":
    main()
