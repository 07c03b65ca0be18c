"""Street-segment intensity smoothed along the street graph within a walking distance.

Pure array code. Each segment's weight is split between its two end nodes; every node's
smoothed value is the sum of the weights within ``radius_m`` along the streets, each times
a triangular kernel ``1 - d / radius_m``; a segment's score is the mean of its end nodes'
values divided by ``radius_m`` (weight per metre of street around it). The distances come from
bounded Dijkstra searches (``limit = radius_m``) from the nodes that carry weight, in
batches: never all pairs. Streets that do not meet (a river, a fence with no gate between
them) share nothing, however close they are as the crow flies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridors.hotspots.units import _Segments

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

_BATCH = 256


def smooth_along_streets(seg: _Segments, seg_weight: np.ndarray, radius_m: float) -> np.ndarray:
    """
    Return each segment's weight per metre smoothed along the streets within ``radius_m``.

    ``seg_weight`` is the weight snapped to each segment (``seg.length_m`` order). With
    ``radius_m`` 0 it is the plain weight per metre (the ``network`` method's score as
    before); otherwise the kernel-smoothed weight per metre of street around the segment.

    Examples
    --------
    >>> import shapely
    >>> lines = shapely.linestrings([[(0, 0), (100, 0)], [(100, 0), (200, 0)]])
    >>> seg = _Segments(None, np.zeros(0), lines, np.array([100.0, 100.0]),
    ...     np.array([0, 1]), np.array([1, 2]))  # type: ignore[arg-type]
    >>> smooth_along_streets(seg, np.array([10.0, 0.0]), 300.0).round(4).tolist()
    [0.0278, 0.0222]
    """
    per_metre: np.ndarray = seg_weight / seg.length_m
    if radius_m <= 0 or not np.any(seg_weight > 0):
        return per_metre
    from scipy.sparse.csgraph import dijkstra

    nodes, inv = np.unique(np.concatenate([seg.u, seg.v]), return_inverse=True)
    n_seg = len(seg.length_m)
    a, b = inv[:n_seg], inv[n_seg:]
    graph = _node_graph(a, b, seg.length_m, len(nodes))
    mass = np.bincount(a, seg_weight / 2, minlength=len(nodes))
    mass += np.bincount(b, seg_weight / 2, minlength=len(nodes))
    sources = np.flatnonzero(mass > 0)
    value = np.zeros(len(nodes))
    for start in range(0, len(sources), _BATCH):
        batch = sources[start : start + _BATCH]
        dist = dijkstra(graph, directed=False, indices=batch, limit=radius_m)
        kernel = np.clip(1.0 - dist / radius_m, 0.0, None)  # inf beyond the limit -> 0
        value += mass[batch] @ kernel
    smoothed: np.ndarray = (value[a] + value[b]) / 2 / radius_m
    return smoothed


def _node_graph(a: np.ndarray, b: np.ndarray, length_m: np.ndarray, n: int) -> csr_matrix:
    """Sparse node graph: the shortest of parallel segments, no self-loops."""
    from scipy.sparse import coo_matrix

    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    order = np.lexsort((length_m[keep], hi[keep], lo[keep]))
    lo, hi, length = lo[keep][order], hi[keep][order], length_m[keep][order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return coo_matrix((length[first], (lo[first], hi[first])), shape=(n, n)).tocsr()
