"""Offence weights: the built-in youth-relevant table, the config's overrides, and the checks.

Pure: takes the incidents' offence names and the config, opens no file.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from corridors.config import HotspotConfig
from corridors.errors import EmptyResultError
from corridors.load import OFFENCE

#: Youth-relevant data.police.uk crime categories and their default weights. Override or
#: extend them with ``[hotspots] offence_weights``; other categories get ``other_weight``.
DEFAULT_OFFENCE_WEIGHTS: Mapping[str, float] = {
    "Violence and sexual offences": 1.0,
    "Robbery": 1.0,
    "Possession of weapons": 1.0,
    "Theft from the person": 0.75,
    "Public order": 0.5,
    "Anti-social behaviour": 0.5,
    "Drugs": 0.5,
    # data.police.uk stop and search (as the loader labels it): police activity, not crime,
    # so weighted like its nearest crime type but only when such records are loaded
    "Stop and search: Offensive weapons": 1.0,
    "Stop and search: Firearms": 1.0,
    "Stop and search: Anything to threaten or harm anyone": 1.0,
    "Stop and search: Controlled drugs": 0.5,
}


def offence_weights(cfg: HotspotConfig) -> dict[str, float]:
    """Return the offence weights in use: the defaults updated with ``cfg.offence_weights``."""
    weights = dict(DEFAULT_OFFENCE_WEIGHTS)
    weights.update(cfg.offence_weights)
    return weights


def unweighted_offences_hint(offences: pd.Series, cfg: HotspotConfig, *, top: int = 10) -> str:
    """
    Return the offence names that get no weight, with counts, and the two ways to weight them.

    ``offences`` is the OFFENCE column of the incidents. The ``top`` most frequent names are
    listed, then ``...`` and how many more. :func:`find_hotspots` and :func:`tune` use it
    when no incident has a weight.

    Examples
    --------
    >>> hint = unweighted_offences_hint(pd.Series(["Robo", "Hurto", "Robo"]), HotspotConfig())
    >>> hint.split(". ")[0]
    'offences found with no weight: Robo (2), Hurto (1)'
    >>> '[hotspots] offence_weights = { "Robo" = 2.0, "Hurto" = 2.0, ... }' in hint
    True
    >>> hint.endswith("[hotspots] other_weight = 1.0")
    True
    """
    weights = offence_weights(cfg)
    counts = offences.astype("string").fillna("").value_counts()
    counts = counts[[weights.get(str(k), cfg.other_weight) <= 0 for k in counts.index]]
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    listed = [f"{k or '(blank)'} ({v:,})" for k, v in counts.head(top).items()]
    if len(counts) > top:
        listed.append(f"... ({len(counts) - top:,} more)")
    examples = [str(k) for k in counts.index if k][:2] or ["Offence name"]
    pairs = ", ".join(
        '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '" = 2.0' for k in examples
    )
    found = f"offences found with no weight: {', '.join(listed)}. " if listed else ""
    return (
        f"{found}Weight them with [hotspots] offence_weights = {{ {pairs}, ... }} or give every "
        "offence not in the table a weight with [hotspots] other_weight = 1.0"
    )


def check_weighted(incidents: pd.DataFrame, cfg: HotspotConfig) -> None:
    """
    Raise if there are incidents but none has an offence weight (see :func:`offence_weights`).

    Raises
    ------
    EmptyResultError
        Listing the offence names found with their counts, and how to weight them.
    """
    if not len(incidents) or OFFENCE not in incidents:
        return
    weights = offence_weights(cfg)
    names = incidents[OFFENCE].astype("string").fillna("")
    if any(weights.get(str(k), cfg.other_weight) > 0 for k in names.unique()):
        return
    raise EmptyResultError(
        f"none of the {len(incidents):,} incidents has an offence weight (the weights table "
        "has the youth-relevant data.police.uk categories and [hotspots] offence_weights; "
        f"other offences get other_weight = {cfg.other_weight:g}); "
        + unweighted_offences_hint(names, cfg)
    )


# -- selection ---------------------------------------------------------------------------
