"""
The shared page's notice.

One panel with a section per language, listing each meeting point, the days, the times and
who walks (organisations; names only when ``cfg.show_names``).
"""

# ruff: noqa: RUF001  (times are written with an en dash)
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import folium
import pandas as pd

from corridors.config import MapConfig
from corridors.maps.escape import _h
from corridors.maps.i18n import NOTICE_TEXT, _people_text
from corridors.maps.layers import _figure
from corridors.maps.values import _as_date

_NOTICE_CSS = (
    "<style>.sc-notice{position:fixed;top:10px;left:60px;z-index:1000;background:#fff;"
    "max-width:440px;max-height:55vh;overflow:auto;padding:6px 12px;border-radius:6px;"
    "box-shadow:0 1px 6px rgba(0,0,0,.4);font:13px/1.4 sans-serif}"
    ".sc-notice table{border-collapse:collapse;width:100%}.sc-notice td,.sc-notice th"
    "{border-bottom:1px solid #ddd;padding:2px 4px;text-align:left;vertical-align:top}"
    ".sc-notice summary{font-weight:bold;font-size:15px;cursor:pointer}"
    ".sc-small{font-size:11px;color:#555}</style>"
)


def _add_notice(
    m: folium.Map,
    patrols: pd.DataFrame,
    *,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    kinds: Sequence[str] = (),
) -> None:
    """Add the notice panel: one section per language of ``cfg.languages``, the first open."""
    sections = "".join(
        _notice_section(
            code,
            patrols,
            cfg=cfg,
            area_name=area_name,
            week_start=week_start,
            kinds=kinds,
            first=i == 0,
        )
        for i, code in enumerate(cfg.languages)
    )
    panel = f'{_NOTICE_CSS}<div class="sc-notice" id="sc-notice">{sections}</div>'
    _figure(m).html.add_child(folium.Element(panel))


def _notice_section(
    code: str,
    patrols: pd.DataFrame,
    *,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    kinds: Sequence[str],
    first: bool,
) -> str:
    """Return the notice in one language, as a ``<details>`` element (open when ``first``)."""
    t = NOTICE_TEXT[code]
    intro = f"<p>{_h(t['intro'].format(who=_people_text(kinds, t)))}</p>"
    if len(patrols):
        table = _patrol_table(patrols, t, cfg)
    else:
        table, intro = f"<p>{_h(t['none'])}</p>", ""  # nobody walks: no one to name
    contact = f"<p><b>{_h(t['contact'].format(contact=cfg.contact))}</b></p>" if cfg.contact else ""
    return (
        f'<details lang="{_h(code)}"{" open" if first else ""}>'
        f"<summary>{_h(t['language'])}: "
        f"{_h(t['title'])}</summary>"
        f"<p><b>{_h(area_name)}</b> · "
        f"{_h(t['week'].format(week_start=week_start.strftime('%d/%m/%Y')))}</p>"
        f"{intro}{table}{contact}"
        f"<p>{_h(t['emergency'])}</p>"
        f"<p class='sc-small'>{_h(t['privacy'])}</p>"
        "</details>"
    )


def _patrol_table(patrols: pd.DataFrame, t: Mapping[str, str], cfg: MapConfig) -> str:
    """Return the patrols as an HTML table: meeting point, days, time, who."""
    body = "".join(
        "<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in row) + "</tr>"
        for row in _notice_rows(patrols, t, cfg)
    )
    return (
        f"<table><thead><tr><th>{_h(t['where'])}</th><th>{_h(t['day'])}</th>"
        f"<th>{_h(t['time'])}</th><th>{_h(t['who'])}</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _notice_rows(
    patrols: pd.DataFrame, text: Mapping[str, str], cfg: MapConfig
) -> list[tuple[str, str, str, str]]:
    """One row per meeting point, time and team: (where, days, time, who)."""
    groups: dict[tuple[str, str, str], list[dt.date | None]] = {}
    for _, p in patrols.iterrows():
        times = f"{p['start']}–{p['end']}" if p["end"] else str(p["start"])
        # _as_date: a missing date (no roster: every school day) may come back as NaN
        groups.setdefault((str(p["meeting_point"]), times, _who(p, cfg)), []).append(
            _as_date(p["date"])
        )
    names = text["days"].split("|")
    rows = []
    for (where, times, who), dates in sorted(groups.items()):
        known = sorted({d for d in dates if d is not None})
        days = ", ".join(names[d.weekday()] for d in known) if known else text["every_school_day"]
        rows.append((where, days, times, who))
    return rows


def _who(p: pd.Series, cfg: MapConfig) -> str:
    who = str(p["organisations"] or "")
    if cfg.show_names and p.get("names"):
        who = f"{who}: {p['names']}" if who else str(p["names"])
    return who


def _patrol_lines(loop: pd.Series, patrols: pd.DataFrame, cfg: MapConfig) -> list[str]:
    """Return a loop's patrols as plain text lines: "days, time · who"."""
    mine = patrols[patrols["loop_id"] == str(loop["loop_id"])]
    return [
        f"{days}, {times}" + (f" · {who}" if who else "")
        for _where, days, times, who in _notice_rows(mine, NOTICE_TEXT["en"], cfg)
    ]
