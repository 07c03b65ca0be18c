"""Effect: whether incidents on patrolled streets fell, against similar streets not patrolled.

Difference in differences on street segments: the change in mean incidents per patrolled
segment from the period before patrols began to the period after, minus the same change on
comparison segments the tool chose (nearest neighbours on footfall proxy and incidents
before, among segments neither patrolled nor within the displacement distance). Its interval
comes from a bootstrap over segments. Displacement: the same estimate for the segments
within ``displacement_m`` of a patrolled one (a rise there would suggest harm moved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from corridors.errors import EmptyResultError

#: the hot-spot research's caution in plain words, shown with every estimate
LIMITS = (
    "Patrolled streets were chosen for their harm, not at random, so part of any change may "
    "be regression to the mean; comparison streets are matched on footfall and earlier "
    "incidents only. Few incidents give wide intervals: an interval that includes 0 means "
    "the data cannot tell a fall from no change. Month-only police data cannot say whether "
    "an incident happened during patrol hours, so its incidents are spread evenly over "
    "their month's days."
)


@dataclass(frozen=True)
class DidResult:
    """A difference-in-differences estimate (incidents per segment over the period).

    ``estimate`` < 0: incidents fell more (or rose less) on the treated segments than on the
    comparison ones. ``low``/``high``: the bootstrap interval at ``level``. The four means are
    incidents per segment: treated and comparison, before and after.
    """

    estimate: float
    low: float
    high: float
    level: float
    treated_before: float
    treated_after: float
    comparison_before: float
    comparison_after: float
    n_treated: int
    n_comparison: int


def did(
    treated_before: np.ndarray,
    treated_after: np.ndarray,
    comparison_before: np.ndarray,
    comparison_after: np.ndarray,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> DidResult:
    """
    Estimate the difference in differences of mean counts, with a bootstrap interval.

    Units (segments) are resampled with replacement, treated and comparison apart, and the
    interval is the percentile interval of the resampled estimates.

    Raises
    ------
    EmptyResultError
        If either group has no unit.

    Examples
    --------
    >>> r = did(np.array([4.0, 6.0]), np.array([1.0, 3.0]), np.array([5.0, 5.0]),
    ...         np.array([5.0, 5.0]), n_boot=200)
    >>> r.estimate
    -3.0
    """
    tb, ta = np.asarray(treated_before, float), np.asarray(treated_after, float)
    cb, ca = np.asarray(comparison_before, float), np.asarray(comparison_after, float)
    if not len(tb) or not len(cb):
        raise EmptyResultError(
            f"difference in differences needs treated and comparison streets; got "
            f"{len(tb)} treated and {len(cb)} comparison: plan more weeks or widen --from/--to"
        )
    rng = np.random.default_rng(seed)
    t_change, c_change = ta - tb, ca - cb
    estimate = float(t_change.mean() - c_change.mean())
    ti = rng.integers(0, len(tb), size=(n_boot, len(tb)))
    ci = rng.integers(0, len(cb), size=(n_boot, len(cb)))
    boots = t_change[ti].mean(axis=1) - c_change[ci].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boots, [tail, 100 - tail])
    return DidResult(
        estimate, float(low), float(high), level,
        float(tb.mean()), float(ta.mean()), float(cb.mean()), float(ca.mean()),
        len(tb), len(cb),
    )  # fmt: skip


def match_comparison(treated: np.ndarray, pool: np.ndarray, *, k: int = 1) -> np.ndarray:
    """
    Return positions in ``pool`` of the ``k`` nearest neighbours of each treated unit.

    Features (columns) are standardised by the pool's spread first; matching is with
    replacement, so a pool unit may serve several treated ones (it is then counted once per
    match).

    Examples
    --------
    >>> match_comparison(np.array([[1.0, 0.0]]), np.array([[5.0, 0.0], [1.0, 1.0], [0.0, 9.0]]))
    array([1])
    """
    if not len(pool):
        return np.zeros(0, dtype=np.int64)
    scale = pool.std(axis=0)
    scale[scale == 0] = 1.0
    k = min(k, len(pool))
    _, nearest = cKDTree(pool / scale).query(treated / scale, k=k)
    return np.asarray(nearest, dtype=np.int64).reshape(len(treated), k).ravel()


@dataclass(frozen=True)
class Effect:
    """The effect on patrolled streets and the displacement to streets near them."""

    patrolled: DidResult
    displacement: DidResult | None
    before: tuple[str, str]  # ISO dates [start, end)
    after: tuple[str, str]
    patrolled_km: float
    nearby_km: float


def matched_did(
    features: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    treated: np.ndarray,
    pool: np.ndarray,
    *,
    seed: int = 0,
    k: int = 3,
) -> DidResult | None:
    """DiD of the ``treated`` units against their matched units from ``pool`` (masks).

    ``features`` are the matching columns per unit (footfall proxy, incidents before); None
    when either group is empty.
    """
    t_idx, p_idx = np.flatnonzero(treated), np.flatnonzero(pool)
    if not len(t_idx) or not len(p_idx):
        return None
    chosen = p_idx[match_comparison(features[t_idx], features[p_idx], k=k)]
    return did(before[t_idx], after[t_idx], before[chosen], after[chosen], seed=seed)
