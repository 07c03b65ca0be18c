"""Patrol slots (loop x day) and their aims, from the corridor stage's result.

Slots
-----
Each patrol loop is walked once on each day of ``RosterConfig.days``: a slot is loop x
day, starting at the loop's ``start_time``, lasting ``duration_min`` rounded up to
``slot_round_min`` (15) minutes plus ``briefing_min`` (0). Slots that do not fit the
``window_start``-``window_end`` window (15:00-18:00) are not rostered and are reported.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import pandas as pd

from corridors.config import RosterConfig
from corridors.errors import InputDataError
from corridors.roster.schema import (
    _DAY_NAMES,
    AIM,
    AIM_REASON,
    CORRIDOR_ID,
    CORRIDOR_NAME,
    DATE,
    DAY,
    END,
    FILLED,
    LOOP_ID,
    MEETING_POINT,
    POLICE_CONTACT,
    PROBLEM,
    RISK,
    SLOT_COLUMNS,
    SLOT_ID,
    START,
    TEAM,
    _hhmm_to_min,
    _split,
)
from corridors.week import minutes_hhmm

if TYPE_CHECKING:
    from corridors.routes import Corridors


def choose_aim(offences: Mapping[str, float] | str | None, cfg: RosterConfig) -> tuple[str, str]:
    """
    Choose a patrol aim from a corridor's offence counts; return ``(aim, reason)``.

    Deterrence when violence, robbery and weapons make at least ``deterrence_share`` of at
    least ``deterrence_min_incidents`` incidents; else safeguarding when drugs make
    ``safeguarding_share``; else reassurance
    with at least ``reassurance_min_incidents`` incidents; else engagement.

    Examples
    --------
    >>> choose_aim({"Violence and sexual offences": 16, "Anti-social behaviour": 4},
    ...            RosterConfig())[0]
    'deterrence'
    >>> choose_aim('{"Anti-social behaviour": 2}', RosterConfig())[0]
    'engagement'
    """
    if isinstance(offences, str):
        try:
            offences = json.loads(offences) if offences.strip() else {}
        except json.JSONDecodeError:
            offences = {}
    counts = {str(k).lower(): float(v) for k, v in (offences or {}).items()}
    total = sum(counts.values())
    if total <= 0:
        return "engagement", "no after-school incidents recorded near it"
    viol = sum(v for k, v in counts.items() if any(w in k for w in cfg.deterrence_offences))
    drugs = sum(v for k, v in counts.items() if any(w in k for w in cfg.safeguarding_offences))
    if viol / total >= cfg.deterrence_share and total >= cfg.deterrence_min_incidents:
        return "deterrence", f"{viol:g} of {total:g} incidents are violence, robbery or weapons"
    if drugs / total >= cfg.safeguarding_share:
        return "safeguarding", f"{drugs:g} of {total:g} incidents are drugs offences"
    if total >= cfg.reassurance_min_incidents:
        return "reassurance", f"{total:g} incidents, mostly not violent"
    return "engagement", f"only {total:g} incidents"


def build_slots(
    corridors: Corridors, cfg: RosterConfig, *, week_start: dt.date
) -> tuple[pd.DataFrame, list[str]]:
    """
    Turn a week's patrol loops into patrol slots (loop x day), each with an aim.

    Parameters
    ----------
    corridors
        A :class:`corridors.routes.Corridors` (``loops`` and ``corridors`` frames).
    cfg
        Days, window, rounding and aim rules.
    week_start
        The Monday of the week.

    Returns
    -------
    tuple
        The slots frame (columns ``SLOT_COLUMNS``) and notes about loops left out.
    """
    loops = corridors.loops
    cors = corridors.corridors.set_index(CORRIDOR_ID) if len(corridors.corridors) else None
    win_a, win_b = _hhmm_to_min(cfg.window_start), _hhmm_to_min(cfg.window_end)
    notes, rows = [], []
    for _, loop in loops.iterrows():
        cid = str(loop[CORRIDOR_ID])
        # corridor ids are unique: .loc gives one row
        cor = cast(
            "pd.Series | None", cors.loc[cid] if cors is not None and cid in cors.index else None
        )
        names, ids, (aim, why) = _corridor_facts(cid, loop, cor, cfg)
        risk = float(loop.get("risk_covered", 0.0) or 0.0)
        if math.isnan(risk):
            risk = 0.0
        try:
            start = _hhmm_to_min(str(loop["start_time"]))
        except ValueError as exc:
            raise InputDataError(
                f"loops: loop {loop[LOOP_ID]!r} has start_time {loop['start_time']!r}; "
                f"it must be 'HH:MM'"
            ) from exc
        dur = int(math.ceil(float(loop["duration_min"]) / cfg.slot_round_min) * cfg.slot_round_min)
        dur += cfg.briefing_min
        start -= cfg.briefing_min
        label = (" & ".join(names) if names else cid) + " corridor"
        if start < win_a or start + dur > win_b:
            notes.append(
                f"Loop {loop[LOOP_ID]} ({label}) runs {minutes_hhmm(start)}-"
                f"{minutes_hhmm(start + dur)}, outside the patrol window "
                f"{cfg.window_start}-{cfg.window_end}: not rostered. Move its start time or "
                f"widen [roster].window_start/window_end."
            )
            continue
        for d in sorted(cfg.days):
            date = week_start + dt.timedelta(days=d)
            rows.append({
                SLOT_ID: f"{loop[LOOP_ID]}@{date.isoformat()}", DATE: date, DAY: _DAY_NAMES[d],
                START: minutes_hhmm(start), END: minutes_hhmm(start + dur), "start_min": start,
                "end_min": start + dur, "duration_min": dur, LOOP_ID: str(loop[LOOP_ID]),
                CORRIDOR_ID: cid, CORRIDOR_NAME: label, "school_ids": ";".join(ids),
                "school_names": ";".join(names), MEETING_POINT: str(loop.get(MEETING_POINT, "")),
                AIM: aim, AIM_REASON: why, RISK: risk, FILLED: False, POLICE_CONTACT: "",
                TEAM: "", PROBLEM: "",
            })  # fmt: skip
    slots = pd.DataFrame(rows, columns=list(SLOT_COLUMNS))
    slots = slots.sort_values([DATE, "start_min", SLOT_ID], kind="stable").reset_index(drop=True)
    return slots, notes


def _corridor_facts(
    cid: str, loop: pd.Series, cor: pd.Series | None, cfg: RosterConfig
) -> tuple[list[str], list[str], tuple[str, str]]:
    """Return a loop's school names and ids, and its aim with the reason."""
    names = _split(cor["school_names"]) if cor is not None and "school_names" in cor else []
    ids = _split(loop.get("school_ids")) or (_split(cor["school_ids"]) if cor is not None else [])
    if cid in cfg.aims:
        return names, ids, (cfg.aims[cid], "set in the config ([roster].aims)")
    offences = cor["offences"] if cor is not None and "offences" in cor else None
    return names, ids, choose_aim(offences, cfg)
