"""Every roster file: CSV, calendars (ICS) and printable day sheets (HTML, inline SVG).

CONTRACT:
- ``write_roster_exports(rota, corridors, folder) -> list[Path]``
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from corridors.outputs import atomic_open, write_csv, write_text
from corridors.roster.schema import (
    AIM,
    ASSIGNMENT_COLUMNS,
    CORRIDOR_NAME,
    DATE,
    END,
    FILLED,
    LOOP_ID,
    MEETING_POINT,
    PERSON_ID,
    PERSON_NAME,
    POLICE_CONTACT,
    POLICE_CONTACT_ID,
    PROBLEM,
    SLOT_ID,
    START,
    TEAM,
    Roster,
)

if TYPE_CHECKING:
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)


def write_roster_exports(
    rota: Roster, corridors: Corridors | None, folder: str | Path
) -> list[Path]:
    """
    Write the roster CSV, calendar files and one printable HTML page per day.

    Files (all written atomically): ``roster.csv`` (one row per person per patrol),
    ``roster-slots.csv`` (every slot, filled or not, with problems), ``problems.txt`` (when
    some slots are unfilled), ``calendar/team.ics`` (one event per patrol) and
    ``calendar/<person_id>.ics`` (one per person; UID ``<slot_id>/<person_id>``, stable;
    an id that is not a safe file name gets a short hash instead, see :func:`_ics_stem`),
    all in the roster's time zone; ``days/<date>-<day>.html`` with each loop drawn as an
    inline SVG from its EPSG:27700 coordinates (no network, no JavaScript).

    Parameters
    ----------
    rota
        The roster.
    corridors
        The :class:`corridors.routes.Corridors` it was made from (loop geometry), or
        ``None`` to draw no thumbnails.
    folder
        Output folder (created if needed).

    Returns
    -------
    list of Path
        Every file written.
    """
    folder = Path(folder)
    out = []
    out.append(write_csv(rota.assignments, folder / "roster.csv", columns=list(ASSIGNMENT_COLUMNS)))
    out.append(write_csv(rota.slots, folder / "roster-slots.csv"))
    if rota.problems:
        out.append(write_text(folder / "problems.txt", "\n".join(rota.problems) + "\n"))
    out.extend(_write_calendars(rota, folder / "calendar"))
    geoms = {}
    if corridors is not None and len(corridors.loops):
        geoms = dict(
            zip(corridors.loops[LOOP_ID].astype(str), corridors.loops.geometry, strict=True)
        )
    for key, day in rota.slots.groupby(DATE, sort=True):
        date = pd.Timestamp(key).date()  # type: ignore[arg-type]
        page = _day_page(date, day, geoms)
        out.append(write_text(folder / "days" / f"{date.isoformat()}-{date:%A}.html".lower(), page))
    logger.info("Wrote %d roster files to %s", len(out), folder)
    return out


def _local(date: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    h, m = (int(v) for v in hhmm.split(":"))
    return dt.datetime(date.year, date.month, date.day, h, m, tzinfo=tz)


#: Control characters iCalendar TEXT may not hold (RFC 5545 3.3.11: all but tab; CR and LF
#: are turned into the escaped line break ``\n`` instead).
_ICAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _ical_text(value: Any) -> Any:
    r"""
    Return ``value`` as an iCalendar TEXT value that cannot break out of its property line.

    Line breaks (CRLF, CR or LF) become one escaped ``\n``, other control characters a
    space; ``icalendar.vText`` then escapes ``\``, ``;`` and ``,`` and folds long lines.

    Examples
    --------
    >>> _ical_text("Bob\r\nATTENDEE:mailto:evil@x").to_ical()
    b'Bob\\nATTENDEE:mailto:evil@x'
    """
    import icalendar

    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return icalendar.vText(_ICAL_CONTROL.sub(" ", text))


def _calendar(name: str) -> Any:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Safer Corridors//roster//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _ical_text(name))
    return cal


def _event(uid: str, s: Mapping[Any, Any], tz: ZoneInfo, stamp: dt.datetime, desc: str) -> Any:
    import icalendar

    ev = icalendar.Event()
    ev.add("uid", _ical_text(uid))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _local(s[DATE], s[START], tz))
    ev.add("dtend", _local(s[DATE], s[END], tz))
    ev.add("summary", _ical_text(f"Patrol: {s[CORRIDOR_NAME]} ({s[AIM]})"))
    ev.add("location", _ical_text(s[MEETING_POINT] or s[CORRIDOR_NAME]))
    ev.add("description", _ical_text(desc))
    return ev


#: Calendar file names a person's file must not take (compared case-insensitively).
_RESERVED_ICS = frozenset({"team"})


def _ics_stem(person_id: str, taken: set[str]) -> str:
    """
    Return a safe, unique file stem for a person's calendar and add it to ``taken``.

    A person id made of letters, digits, ``_``, ``-`` and single inner dots (at most 64
    characters, not starting with a dot) is used as it is; any other id, or one that
    clashes case-insensitively with ``team`` or an earlier file, becomes its safe characters
    plus a short hash of the id. So no stem holds a path separator or ``..``, none is empty
    or hidden, and two people never share a file (also on case-insensitive file systems).

    Examples
    --------
    >>> taken = set()
    >>> _ics_stem("P01", taken), _ics_stem("../x", taken), _ics_stem("p01", taken)
    ('P01', 'x-d6b96a97', 'p01-6617ecaa')
    """
    stem = person_id
    plain = re.fullmatch(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*", person_id) is not None
    if not plain or len(person_id) > 64 or person_id.casefold() in taken | _RESERVED_ICS:
        digest = hashlib.sha256(person_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", person_id).strip("_-")[:40]
        stem = f"{safe}-{digest}" if safe else f"person-{digest}"
    taken.add(stem.casefold())
    return stem


def _add_timezones(cal: Any, made: dict[tuple[str, ...], list[Any]]) -> None:
    """
    Do ``cal.add_missing_timezones()``, each set of zones' VTIMEZONE made once (``made``).

    icalendar draws a zone's VTIMEZONE over fixed default dates, so it is the same for every
    calendar of the week; making it took about 9 ms per calendar (5 s for a city's people).
    """
    missing = tuple(sorted(cal.get_missing_tzids()))
    if not missing:
        return
    if missing not in made:
        cal.add_missing_timezones()
        made[missing] = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
        return
    cal.subcomponents[0:0] = made[missing]


def _write_calendars(rota: Roster, folder: Path) -> list[Path]:
    tz = ZoneInfo(rota.timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    team = _calendar("Safer Corridors patrols")
    slots: dict[Any, Mapping[Any, Any]] = {s[SLOT_ID]: s for s in rota.slots.to_dict("records")}
    s: Mapping[Any, Any]
    for s in slots.values():
        if not s[FILLED]:
            continue
        desc = f"Loop {s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}."
        if s[POLICE_CONTACT]:
            desc += f" Police contact: {s[POLICE_CONTACT]}."
        team.add_component(_event(f"{s[SLOT_ID]}@safer-corridors", s, tz, stamp, desc))
    zones: dict[tuple[str, ...], list[Any]] = {}
    _add_timezones(team, zones)
    out = [folder / "team.ics"]
    with atomic_open(out[0], "wb") as fh:
        fh.write(team.to_ical())
    # a police contact is on call for a police-free patrol: it goes in their calendar too
    on_call: dict[str, list[Mapping[Any, Any]]] = {}
    for s in slots.values():
        if s[FILLED] and s.get(POLICE_CONTACT_ID):
            on_call.setdefault(str(s[POLICE_CONTACT_ID]), []).append(s)
    names = dict(zip(rota.assignments[PERSON_ID], rota.assignments[PERSON_NAME], strict=False))
    taken: set[str] = {"team"}
    for pid in sorted(set(rota.assignments[PERSON_ID].astype(str)) | set(on_call)):
        rows = rota.assignments[rota.assignments[PERSON_ID].astype(str) == pid]
        who = names.get(pid) or str(on_call[pid][0][POLICE_CONTACT]).split(" (")[0]
        cal = _calendar(f"Patrols: {who}")
        for sid in rows[SLOT_ID]:
            s = slots.get(sid) or rows[rows[SLOT_ID] == sid].iloc[0].to_dict()
            desc = f"Loop {s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}."
            if s.get(POLICE_CONTACT):
                desc += f" Police contact: {s[POLICE_CONTACT]}."
            cal.add_component(_event(f"{sid}/{pid}@safer-corridors", s, tz, stamp, desc))
        for s in on_call.get(pid, []):
            ev = _event(
                f"{s[SLOT_ID]}/{pid}/contact@safer-corridors", s, tz, stamp,
                f"On call as the police contact for a patrol without police. Loop "
                f"{s[LOOP_ID]}. Meet: {s[MEETING_POINT]}. Team: {s[TEAM]}.",
            )  # fmt: skip
            ev["summary"] = _ical_text(f"Police contact (on call): {s[CORRIDOR_NAME]}")
            cal.add_component(ev)
        _add_timezones(cal, zones)
        path = folder / f"{_ics_stem(pid, taken)}.ics"
        with atomic_open(path, "wb") as fh:
            fh.write(cal.to_ical())
        out.append(path)
    return out


def loop_svg(geometry: Any, *, size_px: int = 160) -> str:
    """
    Draw a loop's geometry (projected metres) as a small inline SVG, north up.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> loop_svg(LineString([(0, 0), (100, 0), (100, 100), (0, 0)]))[:4]
    '<svg'
    """
    if geometry is None or geometry.is_empty:
        return ""
    lines = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    minx, miny, maxx, maxy = geometry.bounds
    span = max(maxx - minx, maxy - miny, 1.0)
    pad = 8
    k = (size_px - 2 * pad) / span
    paths = []
    for line in lines:
        coords = getattr(line, "exterior", line).coords
        pts = " ".join(
            f"{pad + (x - minx) * k:.1f},{size_px - pad - (y - miny) * k:.1f}"
            for x, y, *_ in coords
        )
        paths.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="3" '
                     f'stroke-linejoin="round"/>')  # fmt: skip
    bar = 100 * k if span > 150 else 10 * k
    label = "100 m" if span > 150 else "10 m"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {size_px} {size_px}" role="img" aria-label="loop map">'
            f'<rect width="100%" height="100%" fill="#f4f4f0"/>{"".join(paths)}'
            f'<line x1="{pad}" y1="{size_px - 3}" x2="{pad + bar:.1f}" y2="{size_px - 3}" '
            f'stroke="#333" stroke-width="2"/><text x="{pad + bar + 3:.1f}" y="{size_px - 1}" '
            f'font-size="9">{label}</text></svg>')  # fmt: skip


def _day_page(date: dt.date, day: pd.DataFrame, geoms: Mapping[Any, Any]) -> str:
    esc = html.escape
    cards = []
    for s in day.sort_values(["start_min", SLOT_ID]).to_dict("records"):
        svg = loop_svg(geoms.get(str(s[LOOP_ID])))
        if s[FILLED]:
            team = "".join(f"<li>{esc(t)}</li>" for t in str(s[TEAM]).split("; "))
            body = f"<p><b>Team</b></p><ul>{team}</ul>"
            if s[POLICE_CONTACT]:
                body += f"<p><b>Police contact:</b> {esc(str(s[POLICE_CONTACT]))}</p>"
        else:
            body = f'<p class="unfilled"><b>NOT FILLED.</b> {esc(str(s[PROBLEM]))}</p>'
        cards.append(
            f'<section class="slot"><div class="map">{svg}</div><div><h2>{esc(s[START])}-'
            f"{esc(s[END])} {esc(str(s[CORRIDOR_NAME]))}</h2><p><b>Loop:</b> {esc(str(s[LOOP_ID]))}"
            f" &middot; <b>Aim:</b> {esc(str(s[AIM]))} &middot; <b>Meet at:</b> "
            f"{esc(str(s[MEETING_POINT]))}</p>{body}</div></section>"
        )
    title = f"Patrols {date:%A} {date.day} {date:%B %Y}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
.slot {{ display: flex; gap: 1em; border-bottom: 1px solid #999; padding: .6em 0;
        page-break-inside: avoid; }}
.map svg {{ border: 1px solid #ccc; }}
h2 {{ font-size: 1.1em; margin: 0 0 .3em; }}
.unfilled {{ color: #a00; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Internal: for the patrol teams. Meet at the meeting point five minutes before the start.</p>
{"".join(cards) or "<p>No patrols.</p>"}
</body></html>
"""
