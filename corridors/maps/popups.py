"""
The internal map's popups.

A school's fields, a hotspot's and a corridor's evidence, a loop's patrol and team, as HTML
with every piece of data text escaped by ``escape._h``.
"""

# ruff: noqa: RUF001  (times are written with an en dash)
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from corridors.maps.escape import _h
from corridors.maps.i18n import _agency_label
from corridors.maps.values import _as_date, _json_value, _offences_text

if TYPE_CHECKING:
    from corridors.roster import Roster


#: A table row: a pandas Series, or a record (``DataFrame.to_dict("records")``).
Row: TypeAlias = "pd.Series | Mapping[Any, Any]"


def _point_popup(row: pd.Series, fields: Sequence[str]) -> str:
    """Return a school's or hub's fields as a two-column table (empty values as blanks)."""
    cells = []
    for field in fields:
        value = _json_value(row.get(field))
        cells.append(f"<tr><th>{_h(field)}</th><td>{_h('' if value is None else value)}</td></tr>")
    return f"<table>{''.join(cells)}</table>"


def _hotspot_popup(row: pd.Series) -> str:
    parts = [f"<b>Hotspot {_h(row.get('hotspot_id', ''))}</b>"]
    if "rank" in row and pd.notna(row["rank"]):
        parts.append(f"rank: {int(row['rank'])}")
    for key, label in (("weighted_count", "weighted incidents"), ("share", "share of area total")):
        if key in row and pd.notna(row[key]):
            parts.append(f"{label}: {float(row[key]):.2f}")
    if "offences" in row and isinstance(row["offences"], str):
        parts.append(f"offences: {_h(_offences_text(row['offences']))}")
    return "<br>".join(parts)


_CORRIDOR_NUMBERS = (
    ("risk", "risk", "{:.2f}"),
    ("footfall", "footfall (routes)", "{:.0f}"),
    ("incidents", "incidents nearby (look-back; see the time note)", "{:.0f}"),
)
_LOOP_NUMBERS = (
    ("duration_min", "minutes", "{:.0f}"),
    ("length_m", "metres", "{:,.0f}"),
    ("risk_share", "share of corridor risk", "{:.0%}"),
)


def _numbers(row: Row, fields: tuple[tuple[str, str, str], ...]) -> list[str]:
    """Return ``label: value`` lines for the ``fields`` of ``row`` that hold a number."""
    out: list[str] = []
    for key, label, fmt in fields:
        value = row.get(key)
        if value is not None and pd.notna(value):
            out.append(f"{label}: {fmt.format(float(value))}")
    return out


def _corridor_popup(row: pd.Series, team: str) -> str:
    parts = [f"<b>Corridor {_h(row.get('corridor_id', ''))}</b>"]
    if row.get("school_names"):
        parts.append(f"schools: {_h(row['school_names'])}")
    parts += _numbers(row, _CORRIDOR_NUMBERS)
    if isinstance(row.get("offences"), str):
        parts.append(f"offences: {_h(_offences_text(row['offences']))}")
    for key in ("reason", "time_note"):
        if isinstance(row.get(key), str) and row[key]:
            parts.append(f"<i>{_h(row[key])}</i>")
    if "patrolled" in row and not bool(row["patrolled"]):
        parts.append("<b>not patrolled this week</b>")
    if team:
        parts.append(f"team: {_h(team)}")
    return "<br>".join(parts)


def _loop_popup(loop: Row, slot: Row | None, team: str) -> str:
    parts = [_loop_head(loop)]
    if loop.get("meeting_point"):
        parts.append(f"meet at: {_h(loop['meeting_point'])}")
    if slot is not None:
        parts += _slot_lines(slot)
        if isinstance(slot.get("problem"), str) and slot["problem"]:
            parts.append(f"<i>{_h(slot['problem'])}</i>")
        if isinstance(slot.get("police_contact"), str) and slot["police_contact"]:
            parts.append(f"police contact: {_h(slot['police_contact'])}")
    elif loop.get("start_time"):
        parts.append(f"starts {_h(loop['start_time'])}")
    parts += _numbers(loop, _LOOP_NUMBERS)
    if team:
        parts.append(f"team: {_h(team)}")
    return "<br>".join(parts)


def _loop_head(loop: Row) -> str:
    return f"<b>Loop {_h(loop.get('loop_id', ''))}</b> (corridor {_h(loop.get('corridor_id', ''))})"


def _slot_lines(slot: Row) -> list[str]:
    """Return a patrol's day, date and times, its aim and whether it is unfilled."""
    lines = [
        f"{_h(slot.get('day', ''))} {_h(slot.get('date', ''))}, "
        f"{_h(slot.get('start', ''))}–{_h(slot.get('end', ''))}"
    ]
    if slot.get("aim"):
        lines.append(f"aim: {_h(slot['aim'])}")
    if "filled" in slot and not bool(slot["filled"]):
        lines.append("<b>NOT FILLED</b>")
    return lines


def _brief_corridor_popup(row: pd.Series, part: str) -> str:
    """Return an overview's corridor popup: its schools, risk and the page with the rest."""
    parts = [f"<b>Corridor {_h(row.get('corridor_id', ''))}</b>"]
    if row.get("school_names"):
        parts.append(f"schools: {_h(row['school_names'])}")
    parts += _numbers(row, _CORRIDOR_NUMBERS[:1])
    return "<br>".join([*parts, *_part_line(part)])


def _brief_week_popup(loop: Row, slots: Sequence[Row], part: str) -> str:
    """Return an overview's loop popup: its patrols this week and the page with the teams.

    One line per patrol: short day, times, aim, and whether it is unfilled.
    """
    lines = [_loop_head(loop)]
    for slot in slots:
        line = f"{_h(str(slot.get('day', ''))[:3])} {_h(slot.get('start', ''))}–"
        line += _h(slot.get("end", ""))
        if slot.get("aim"):
            line += f", {_h(slot['aim'])}"
        if "filled" in slot and not bool(slot["filled"]):
            line += " <b>NOT FILLED</b>"
        lines.append(line)
    return "<br>".join([*lines, *_part_line(part.split(":", 1)[0])])


def _part_line(part: str) -> list[str]:
    return [f"evidence, team and streets: <i>{_h(part)}</i>"] if part else []


class _PatrolPeople:
    """The assignment records of each loop, and of each loop on each day: one pass over them."""

    def __init__(self, assignments: pd.DataFrame) -> None:
        self.dated = "date" in assignments.columns
        self.by_loop: dict[str, list[dict[Any, Any]]] = {}
        self.by_day: dict[tuple[str, Any], list[dict[Any, Any]]] = {}
        if "loop_id" not in assignments.columns:
            return
        for r in assignments.to_dict("records"):
            loop_id = str(r["loop_id"])
            self.by_loop.setdefault(loop_id, []).append(r)
            if self.dated:
                self.by_day.setdefault((loop_id, _as_date(r["date"])), []).append(r)

    def of(self, loop_id: str, day: Any, *, on_day: bool) -> list[dict[Any, Any]]:
        """Return the people on ``loop_id``: on ``day`` when ``on_day`` (and dated), else all."""
        if self.dated and on_day:
            return self.by_day.get((loop_id, day), [])
        return self.by_loop.get(loop_id, [])


def _team_text(people: _PatrolPeople, slot: Row) -> str:
    """Return who walks ``slot``: "name (agency); ..." (its loop's people on its day, if known)."""
    walkers = people.of(str(slot["loop_id"]), _as_date(slot.get("date")), on_day="date" in slot)
    return "; ".join(
        f"{r.get('name', r.get('person_id', ''))} ({_agency_label(r.get('agency', ''))})"
        for r in walkers
    )


def _teams_by_corridor(rota: Roster | None) -> dict[str, str]:
    if rota is None or not len(rota.assignments) or "corridor_id" not in rota.assignments.columns:
        return {}
    out = {}
    for cid, grp in rota.assignments.groupby(rota.assignments["corridor_id"].astype(str)):
        people = sorted(
            {
                f"{r.get('name', '')} ({_agency_label(r.get('agency', ''))})"
                for _, r in grp.iterrows()
            }
        )
        out[str(cid)] = "; ".join(people)
    return out
