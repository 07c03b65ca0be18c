"""The ways of finding hotspots: counts, DBSCAN, HDBSCAN, KDE, network, blend, learned.

Pure: each method takes the selected incidents' coordinates and weights (and the street
segments) and returns which polygon each incident falls in, the polygons and the weighted
intensity per street edge (:class:`Found`). DBSCAN and HDBSCAN work on distinct locations
carrying their incident counts (police.uk snap points), thinned to cells when there are many.
``blend`` (:mod:`~corridors.hotspots.blend`) and ``learned``
(:mod:`~corridors.hotspots.learned`) score grid cells from the incidents' history and are
drawn like KDE; ``network`` may smooth along the streets
(:mod:`~corridors.hotspots.network_smooth`). ``counts`` is the backtests' strong baseline as a
method: every selected incident counts 1 in its grid cell (no decay, no offence weight), so
``plan`` can use it where ``tune`` found nothing better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig
from corridors.hotspots.blend import History, blend_scores
from corridors.hotspots.learned import learned_scores
from corridors.hotspots.network_smooth import smooth_along_streets
from corridors.hotspots.polygons import (
    _cluster_polygons,
    _dissolve,
    _points_in,
    _street_polygons,
)
from corridors.hotspots.result import SNAP_NOTE
from corridors.hotspots.units import _dedupe, _Grid, _kde_surface, _Segments, _top_units

METHODS = ("dbscan", "hdbscan", "kde", "network", "blend", "learned", "counts")
#: Methods that score grid cells from the incidents' history (they need ``history=``).
HISTORY_METHODS = ("blend", "learned")
_AUTO_THIN_POINTS = 100_000


@dataclass(frozen=True)
class Found:
    """What a method found in the selected incidents.

    ``labels``: the polygon each incident lies in (-1 = none); ``polygons``: the hotspots;
    ``edge_intensity``: weighted intensity per street edge (empty without streets);
    ``notes``: the method's caveats; ``thin_m``: the thinning cell DBSCAN/HDBSCAN used
    (0 = none; None for the other methods); ``segment_score``: each street segment's
    score per metre by the method (what street-scale hotspots are drawn by; None without
    streets).
    """

    labels: np.ndarray
    polygons: list[BaseGeometry]
    edge_intensity: pd.Series
    notes: tuple[str, ...]
    thin_m: float | None = None
    segment_score: np.ndarray | None = None


def find_with(
    cfg: HotspotConfig,
    xy: np.ndarray,
    weights: np.ndarray,
    seg: _Segments | None,
    *,
    bounds: tuple[float, float, float, float],
    budget_m2: float,
    history: History | None = None,
) -> Found:
    """
    Run ``cfg.method`` on incident coordinates ``xy`` with their ``weights``.

    ``seg`` are the street segments (required by ``network``; gives ``edge_intensity``);
    ``bounds`` is the extent of the KDE grid and ``budget_m2`` the area the KDE and
    network hotspots may cover together; ``history`` (``blend``, ``learned``) the same
    incidents in time.
    """
    if cfg.method in ("dbscan", "hdbscan"):
        return _clusters(cfg, xy, weights, seg)
    if cfg.method in ("kde", "counts", *HISTORY_METHODS):
        grid = _Grid.over(bounds, cfg.cell_m)
        if cfg.method == "kde":
            dens = _kde_surface(xy, weights, grid, cfg.bandwidth_m)
        elif cfg.method == "counts":
            dens = count_scores(xy, grid) / cfg.cell_m**2
        else:
            if history is None:
                raise ValueError(f"the {cfg.method} method needs the incidents' history")
            dens = model_scores(cfg, history, grid) / cfg.cell_m**2
        return _cells(cfg, xy, dens, grid, seg, budget_m2=budget_m2)
    if seg is None:
        raise ValueError("the network method needs street segments")
    return _network(cfg, xy, weights, seg, budget_m2=budget_m2)


def _clusters(
    cfg: HotspotConfig, xy: np.ndarray, weights: np.ndarray, seg: _Segments | None
) -> Found:
    labels, thin = _cluster_labels(xy, cfg, cfg.method)
    polys = _cluster_polygons(xy, labels, _buffer_m(cfg))
    notes = [SNAP_NOTE]
    if thin:
        notes.append(f"points were thinned to {thin:g} m cells before clustering")
    edge = pd.Series(dtype=float)
    score = None
    if seg is not None:
        snapped = seg.snap(xy, cfg.snap_m)
        ok = (snapped >= 0) & (labels >= 0)
        seg_w = np.bincount(snapped[ok], weights[ok], minlength=len(seg.length_m))
        edge = seg.per_edge(seg_w)
        score = seg_w / seg.length_m
    return Found(labels, polys, edge, tuple(notes), thin, score)


def count_scores(xy: np.ndarray, grid: _Grid) -> np.ndarray:
    """Incidents per grid cell, each counting 1: the ``counts`` method and baseline."""
    return grid.sums(xy, np.ones(len(xy)))


def model_scores(cfg: HotspotConfig, history: History, grid: _Grid) -> np.ndarray:
    """Score per grid cell of a history method (``blend``, ``learned``)."""
    if cfg.method == "blend":
        return blend_scores(history, grid, cfg)[0]
    return learned_scores(history, grid, cfg)


def network_scores(
    cfg: HotspotConfig, xy: np.ndarray, weights: np.ndarray, seg: _Segments
) -> tuple[np.ndarray, np.ndarray]:
    """Segment per point (-1: none within ``snap_m``) and each segment's score per metre."""
    snapped = seg.snap(xy, cfg.snap_m)
    ok = snapped >= 0
    seg_w = np.bincount(snapped[ok], weights[ok], minlength=len(seg.length_m))
    return snapped, smooth_along_streets(seg, seg_w, cfg.network_radius_m)


def _cells(
    cfg: HotspotConfig,
    xy: np.ndarray,
    dens: np.ndarray,
    grid: _Grid,
    seg: _Segments | None,
    *,
    budget_m2: float,
) -> Found:
    """Hotspots of the best cells by ``dens`` (weight per m2) within the budget."""
    chosen = _top_units(dens, np.full(len(dens), cfg.cell_m**2), budget_m2)
    polys = _dissolve(grid.boxes(chosen))
    edge = pd.Series(dtype=float)
    val = None
    if seg is not None:
        mids = shapely.line_interpolate_point(seg.geometry, 0.5, normalized=True)
        cell = grid.index(shapely.get_coordinates(mids))
        val = np.where(cell >= 0, dens[np.maximum(cell, 0)], 0.0)
        edge = seg.per_edge(val * seg.length_m * 2 * cfg.snap_m)
    return Found(_points_in(xy, polys), polys, edge, (), segment_score=val)


def _network(
    cfg: HotspotConfig, xy: np.ndarray, weights: np.ndarray, seg: _Segments, *, budget_m2: float
) -> Found:
    snapped, score = network_scores(cfg, xy, weights, seg)
    ok = snapped >= 0
    seg_w = np.bincount(snapped[ok], weights[ok], minlength=len(seg.length_m))
    chosen = _top_units(score, seg.length_m * 2 * cfg.snap_m, budget_m2)
    polys, seg_label = _street_polygons(seg, chosen, cfg.snap_m)
    labels = np.where(snapped >= 0, seg_label[np.maximum(snapped, 0)], -1)
    notes = [
        "incidents were snapped to the nearest street segment within "
        f"{cfg.snap_m:g} m; hotspots are the streets with the most weight per metre"
        + (
            f", smoothed along the streets within {cfg.network_radius_m:g} m"
            if cfg.network_radius_m > 0
            else ""
        )
    ]
    n_far = int((~ok).sum())
    if n_far:
        notes.append(f"{n_far:,} selected incidents lie more than {cfg.snap_m:g} m from any street")
    return Found(labels, polys, seg.per_edge(seg_w), tuple(notes), segment_score=score)


def _buffer_m(cfg: HotspotConfig) -> float:
    """How far a cluster's hull is buffered: half its method's radius."""
    return (cfg.eps_m if cfg.method == "dbscan" else cfg.cell_m) / 2


def _thin_size(n_unique: int, cfg: HotspotConfig, radius_m: float) -> float:
    if cfg.thin_m > 0:
        return cfg.thin_m
    return radius_m / 4 if n_unique > _AUTO_THIN_POINTS else 0.0


def _cluster_labels(xy: np.ndarray, cfg: HotspotConfig, method: str) -> tuple[np.ndarray, float]:
    """Cluster labels per row (-1 = noise) and the thinning cell used (0 = none)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=int), 0.0
    radius = cfg.eps_m if method == "dbscan" else cfg.cell_m
    _, counts0, _ = _dedupe(xy, 0.0)
    thin = _thin_size(len(counts0), cfg, radius)
    centres, counts, inverse = _dedupe(xy, thin)
    if method == "dbscan":
        from sklearn.cluster import DBSCAN

        model = DBSCAN(eps=cfg.eps_m, min_samples=cfg.min_samples, n_jobs=1)
        labels_u = np.asarray(model.fit(centres, sample_weight=counts).labels_)
    else:
        labels_u = _hdbscan_labels(centres, cfg)
    return _relabel(labels_u[inverse], xy), thin


def _hdbscan_labels(centres: np.ndarray, cfg: HotspotConfig) -> np.ndarray:
    # HDBSCAN has no sample weights: it clusters distinct locations (snap points).
    if len(centres) < max(cfg.min_cluster_size, 2):
        return np.full(len(centres), -1)
    try:
        import hdbscan

        model = hdbscan.HDBSCAN(
            min_cluster_size=cfg.min_cluster_size, min_samples=cfg.min_samples,
            core_dist_n_jobs=1,
        )  # fmt: skip
        return np.asarray(model.fit(centres).labels_)
    except ImportError:  # pragma: no cover - hdbscan is installed in the project venv
        from sklearn.cluster import HDBSCAN

        skl = HDBSCAN(min_cluster_size=cfg.min_cluster_size, min_samples=cfg.min_samples, copy=True)
        return np.asarray(skl.fit(centres).labels_)


def _relabel(labels: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Renumber clusters 0.. by size (desc) then position, so labels are deterministic."""
    out = np.full(len(labels), -1)
    member = labels >= 0
    if not member.any():
        return out
    ids, inv = np.unique(labels[member], return_inverse=True)
    size = np.bincount(inv)
    minx = np.full(len(ids), np.inf)
    miny = np.full(len(ids), np.inf)
    np.minimum.at(minx, inv, xy[member, 0])
    np.minimum.at(miny, inv, xy[member, 1])
    order = np.lexsort((miny, minx, -size))
    new_of = np.empty(len(ids), dtype=int)
    new_of[order] = np.arange(len(ids))
    out[member] = new_of[inv]
    return out
