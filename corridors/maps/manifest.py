"""
The manifest document: what produced a plan.

Tool version, config, inputs with SHA-256 and run time, as plain JSON types;
``week.write_manifest`` and ``corridors.publish`` write it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corridors import __version__
from corridors.config import config_to_dict

if TYPE_CHECKING:
    from corridors.config import Config
    from corridors.load import SourceReport


def manifest_doc(
    *,
    cfg: Config,
    reports: Iterable[SourceReport | Mapping[str, Any]],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """
    Return what produced a plan (tool version, config, inputs with SHA-256, run time).

    Parameters
    ----------
    cfg
        The run's ``Config`` (written with ``config_to_dict``).
    reports
        ``corridors.load.SourceReport`` objects: kind, name, path, sha256, read, accepted and
        rejected row counts per input file (or dicts with those keys).
    extra
        More facts (week, stage counts, notes).

    Returns
    -------
    dict
        Plain JSON types only.
    """
    inputs = []
    for rep in reports:
        item = dict(rep) if isinstance(rep, Mapping) else dataclasses.asdict(rep)
        item["rows"] = item.get("accepted")
        inputs.append(item)
    doc = {
        "tool": "safer-corridors",
        "version": __version__,
        "run_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": config_to_dict(cfg),
        "inputs": inputs,
        **dict(extra or {}),
    }
    result: dict[str, Any] = json.loads(json.dumps(doc, default=_json_default))
    return result


def _json_default(value: object) -> str | int | float | list[object]:
    if isinstance(value, (Path, dt.date, dt.datetime, pd.Timestamp)):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
