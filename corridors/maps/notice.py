"""
The shared page's notice: a sheet over the map, and who walks.

One sheet with a section per language (written in that language's direction), and in each
a short list per patrol day: meeting point, time and who walks (organisations; names only
when ``cfg.show_names``). On a phone the sheet sits at the bottom, below at most 42 % of the
screen, and folds away; on a wider screen it is a column beside the map. It opens on today
(or the next patrol day), and the map is fitted to the routes in the space the sheet leaves.
Dates and day names follow each language (:mod:`corridors.maps.dates`).
"""

# ruff: noqa: RUF001  (times are written with an en dash)
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import pandas as pd
from branca.element import Figure, MacroElement
from folium.template import Template

from corridors.config import MapConfig
from corridors.maps.dates import day_heading, day_names, long_date, text_direction
from corridors.maps.escape import _h
from corridors.maps.i18n import NOTICE_TEXT, _people_text, rostered_kinds
from corridors.maps.layers import _centre, _figure
from corridors.maps.values import _as_date

if TYPE_CHECKING:
    from corridors.roster import Roster

#: Widest window (CSS px) laid out as a phone: the sheet at the bottom, no mini-map.
PHONE_MAX_PX = 640

_NOTICE_CSS = (
    "<style>.sc-notice{position:fixed;z-index:1001;background:#fff;color:#1a1a1a;"
    "box-shadow:0 1px 8px rgba(0,0,0,.45);font:16px/1.45 system-ui,sans-serif;"
    "display:flex;flex-direction:column;box-sizing:border-box}"
    ".sc-head{display:flex;align-items:center;gap:8px;padding:6px 12px;"
    "border-bottom:1px solid #ccc}"
    ".sc-head h1{font-size:18px;margin:0;flex:1}"
    ".sc-toggle{font:inherit;min-width:44px;min-height:44px;border:1px solid #767676;"
    "border-radius:6px;background:#fff;color:#1a1a1a;cursor:pointer}"
    ".sc-body{overflow:auto;padding:0 12px 8px}.sc-collapsed .sc-body{display:none}"
    ".sc-notice h2,.sc-notice h3{font-size:17px;margin:0;display:inline}"
    ".sc-notice summary{cursor:pointer;padding:8px 0}.sc-notice p{margin:6px 0}"
    ".sc-notice table{border-collapse:collapse;width:100%}.sc-notice td,.sc-notice th"
    "{border-bottom:1px solid #ccc;padding:4px;text-align:start;vertical-align:top}"
    ".sc-quiet{color:#4a4a4a}"
    ".sc-show{font:inherit;display:block;margin-top:4px;min-height:44px;padding:0 10px;"
    "border:1px solid #2166ac;border-radius:6px;background:#fff;color:#174a7c;cursor:pointer}"
    ".leaflet-container,.leaflet-popup-content{font-size:16px}"
    f"@media (max-width:{PHONE_MAX_PX}px){{.sc-notice{{left:0;right:0;bottom:0;"
    "max-height:42vh;border-radius:12px 12px 0 0}"
    ".leaflet-control-minimap{display:none!important}"
    ".leaflet-bottom{bottom:var(--sc-sheet-h,0px)}}"
    f"@media (min-width:{PHONE_MAX_PX + 1}px){{.sc-notice{{top:10px;left:10px;width:400px;"
    "max-height:calc(100% - 20px);border-radius:8px}"
    ".leaflet-left{left:420px}[dir=rtl] .sc-notice{left:auto;right:10px}"
    "[dir=rtl] .leaflet-left{left:0}[dir=rtl] .leaflet-right{right:420px}}</style>"
)


def who_walks(rota: Roster | None, code: str) -> str:
    """
    Return who walks this week, in language ``code``: only the kinds of people rostered.

    "police officers and youth workers" when only they are on the week's patrols; the
    general words ("local officers and partners") without a roster. For any page or print
    that names the walkers (:func:`corridors.maps.i18n.rostered_kinds` gives the kinds).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rota = SimpleNamespace(assignments=pd.DataFrame({"agency": ["youth_worker", "pcso"]}))
    >>> who_walks(rota, "en")
    'police community support officers (PCSOs) and youth workers'
    >>> who_walks(None, "cy")
    'swyddogion lleol a phartneriaid'
    """
    return _people_text(rostered_kinds(rota), NOTICE_TEXT[code])


def _add_notice(
    m: folium.Map,
    patrols: pd.DataFrame,
    *,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    rota: Roster | None = None,
    timezone: str | None = None,
) -> None:
    """
    Add the notice sheet before the map: one section per language of ``cfg.languages``.

    The first language's section is open; in each, the first patrol day is open (the page's
    script then opens today's, or the next patrol day).
    """
    first = NOTICE_TEXT[cfg.languages[0]]
    sections = "".join(
        _notice_section(
            code,
            patrols,
            cfg=cfg,
            area_name=area_name,
            week_start=week_start,
            who=who_walks(rota, code),
            timezone=timezone,
            first=i == 0,
        )
        for i, code in enumerate(cfg.languages)
    )
    panel = (
        f'{_NOTICE_CSS}<main class="sc-notice" id="sc-notice" aria-labelledby="sc-h1" '
        f'data-map-label="{_h(first["map_label"])}">'
        f'<div class="sc-head"><h1 id="sc-h1">{_h(area_name)}: {_h(first["title"])}</h1>'
        f'<button type="button" class="sc-toggle" aria-expanded="true" aria-controls="sc-body" '
        f'aria-label="{_h(first["toggle"])}">▾</button></div>'
        f'<div class="sc-body" id="sc-body">{sections}</div></main>'
    )
    _figure(m).html.add_child(folium.Element(panel), index=0)


def _notice_section(
    code: str,
    patrols: pd.DataFrame,
    *,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    who: str,
    timezone: str | None,
    first: bool,
) -> str:
    """Return the notice in one language, as a ``<details>`` element (open when ``first``)."""
    t = NOTICE_TEXT[code]
    intro = f"<p>{_h(t['intro'].format(who=who))}</p>"
    if len(patrols):
        days = _day_sections(patrols, t, cfg, code=code, timezone=timezone)
    else:
        days, intro = f"<p>{_h(t['none'])}</p>", ""  # nobody walks: no one to name
    contact = f"<p><b>{_h(t['contact'].format(contact=cfg.contact))}</b></p>" if cfg.contact else ""
    week = t["week"].format(week_start=long_date(week_start, code, timezone=timezone))
    return (
        f'<details class="sc-lang" lang="{_h(code)}" dir="{text_direction(code)}"'
        f"{' open' if first else ''}>"
        f"<summary><h2>{_h(t['language'])}: {_h(t['title'])}</h2></summary>"
        f"<p><b>{_h(area_name)}</b> · {_h(week)}</p>"
        f"{intro}{days}{contact}"
        f"<p>{_h(t['emergency'])}</p>"
        f"<p class='sc-quiet'>{_h(t['privacy'])}</p>"
        "</details>"
    )


def _day_sections(
    patrols: pd.DataFrame,
    t: Mapping[str, str],
    cfg: MapConfig,
    *,
    code: str,
    timezone: str | None,
) -> str:
    """Return one ``<details>`` per patrol day (the first open): where, time and who."""
    by_day: dict[dt.date | None, set[tuple[str, str, str]]] = {}
    for _, p in patrols.iterrows():
        row = (_times(p), str(p["meeting_point"]), _who(p, cfg))
        by_day.setdefault(_as_date(p["date"]), set()).add(row)
    head = (
        f"<thead><tr><th scope='col'>{_h(t['where'])}</th><th scope='col'>{_h(t['time'])}</th>"
        f"<th scope='col'>{_h(t['who'])}</th></tr></thead>"
    )
    out = []
    for i, day in enumerate(sorted(by_day, key=lambda d: (d is not None, d or dt.date.min))):
        title = t["every_school_day"] if day is None else day_heading(day, code, timezone=timezone)
        body = "".join(
            # data in an isolate: an English name or a time reads the same in Arabic
            f"<tr><td><bdi>{_h(where)}</bdi>{_show_button(where, t)}</td>"
            f"<td><bdi dir='ltr'>{_h(times)}</bdi></td><td><bdi>{_h(who)}</bdi></td></tr>"
            for times, where, who in sorted(by_day[day])
        )
        out.append(
            f'<details class="sc-day" data-date="{day.isoformat() if day else ""}"'
            f"{' open' if i == 0 else ''}><summary><h3>{_h(title)}</h3></summary>"
            f"<table>{head}<tbody>{body}</tbody></table></details>"
        )
    return "".join(out)


def _show_button(where: str, t: Mapping[str, str]) -> str:
    """
    Return a meeting point's "Show on map" button (the page's script fits its routes).

    The map's routes and meeting points carry the name as ``meet`` (``shared._add_walked``).
    """
    if not where:
        return ""
    return (
        f'<button type="button" class="sc-show" data-meet="{_h(where)}" '
        f'aria-label="{_h(t["show_on_map"])}: {_h(where)}">{_h(t["show_on_map"])}</button>'
    )


def _times(p: pd.Series) -> str:
    return f"{p['start']}–{p['end']}" if p["end"] else str(p["start"])


def _notice_rows(
    patrols: pd.DataFrame, text: Mapping[str, str], cfg: MapConfig, *, code: str = "en"
) -> list[tuple[str, str, str, str]]:
    """One row per meeting point, time and team: (where, days, time, who)."""
    groups: dict[tuple[str, str, str], list[dt.date | None]] = {}
    for _, p in patrols.iterrows():
        # _as_date: a missing date (no roster: every school day) may come back as NaN
        groups.setdefault((str(p["meeting_point"]), _times(p), _who(p, cfg)), []).append(
            _as_date(p["date"])
        )
    names = day_names(code)
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


class _PhoneView(MacroElement):
    """
    The page's script for the sheet: fit the routes beside it, open today, fold it away.

    Runs after layout (at the end of the page): the map is fitted to ``bounds`` with the
    sheet's box as padding (below the map on a phone, beside it on a wider screen), each
    language opens today's patrol day (or the next one, or the first), the map gets its
    label (``data-map-label``), the fold button hides the sheet's body, and a row's "Show
    on map" button fits the map to that meeting point's routes (features whose ``meet`` is
    its ``data-meet``) in the same space and opens the meeting point's popup above them
    (pointing at their top: a popup at the point would hide the routes on a phone). The
    first call
    ``<map>.fitBounds([[s, w], [n, e]], ...)`` keeps the form ``maps.take_screenshot`` zooms.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var box = map.getContainer(), sheet = document.getElementById("sc-notice");
            var root = document.documentElement;
            box.setAttribute("role", "region");
            box.setAttribute("aria-label", sheet.dataset.mapLabel);
            var now = new Date(), pad = function (n) { return String(n).padStart(2, "0"); };
            var today = [now.getFullYear(), pad(now.getMonth() + 1), pad(now.getDate())].join("-");
            sheet.querySelectorAll(".sc-lang").forEach(function (lang) {
                var days = Array.prototype.slice.call(lang.querySelectorAll(".sc-day"));
                var pick = days.find(function (d) { return d.dataset.date >= today; }) || days[0];
                days.forEach(function (d) { d.open = d === pick; });
            });
            function padding() {
                var s = sheet.getBoundingClientRect(), m = box.getBoundingClientRect();
                var phone = window.matchMedia("(max-width: {{ this.phone_px }}px)").matches;
                var tl = [20, 60], br = [20, 20];
                var under = phone ? Math.ceil(m.bottom - s.top) : 0;
                root.style.setProperty("--sc-sheet-h", under + "px");
                if (phone) { br[1] = m.bottom - s.top + 20; }
                else if (s.left < (m.left + m.right) / 2) { tl[0] = s.right - m.left + 20; }
                else { br[0] = m.right - s.left + 20; }
                return {paddingTopLeft: tl, paddingBottomRight: br, animate: false};
            }
            {%- if this.bounds %}
            map.fitBounds({{ this.bounds|tojson }}, padding());
            {%- else %}
            padding();
            {%- endif %}
            sheet.addEventListener("click", function (e) {
                var button = e.target.closest(".sc-show");
                if (!button) { return; }
                var bounds = L.latLngBounds([]), point = null;
                map.eachLayer(function (layer) {
                    var p = layer.feature && layer.feature.properties;
                    if (!p || p.meet !== button.dataset.meet) { return; }
                    if (layer.getBounds) { bounds.extend(layer.getBounds()); }
                    else if (layer.getLatLng) {
                        bounds.extend(layer.getLatLng());
                        point = point || layer;
                    }
                });
                if (!bounds.isValid()) { return; }
                var fit = padding(), popup = point && point.getPopup();
                fit.maxZoom = 18;
                // the popup opens above the routes, pointing at their top, so it hides none
                var top = L.latLng(bounds.getNorth(), bounds.getCenter().lng);
                if (popup) {  // room for it above the routes
                    popup.options.autoPan = false;
                    popup.options.maxWidth = Math.min(popup.options.maxWidth, map.getSize().x - 50);
                    point.openPopup(top);
                    fit.paddingTopLeft[1] += popup.getElement().offsetHeight + 10;
                }
                map.fitBounds(bounds, fit);
                if (popup) {
                    point.openPopup(top);
                    showBeside(popup, bounds, fit);
                }
            });
            function showBeside(popup, bounds, fit) {
                // slide the map sideways to show the whole popup, never the routes out of view
                var width = map.getSize().x, origin = box.getBoundingClientRect().left;
                var el = popup.getElement().getBoundingClientRect();
                var west = map.latLngToContainerPoint(bounds.getNorthWest()).x;
                var east = map.latLngToContainerPoint(bounds.getSouthEast()).x;
                var left = el.left - origin, right = el.right - origin;
                var s = Math.min(Math.max(0, 10 - left), width - 10 - right);
                var pads = [fit.paddingTopLeft[0], fit.paddingBottomRight[0]];
                s = Math.min(Math.max(s, pads[0] - west), width - pads[1] - east);
                map.panBy([-s, 0], {animate: false});
                popup.options.autoPan = true;
            }
            sheet.querySelector(".sc-toggle").addEventListener("click", function (e) {
                var open = sheet.classList.toggle("sc-collapsed") === false;
                e.currentTarget.setAttribute("aria-expanded", String(open));
                e.currentTarget.textContent = open ? "\\u25be" : "\\u25b4";
                padding();
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: untyped
        self._name = "PhoneView"
        self.bounds = bounds
        self.phone_px = PHONE_MAX_PX


class _PageFigure(Figure):
    """branca's page with a language, a direction, a title and a viewport that may zoom."""

    def __init__(self, *, title: str, code: str) -> None:
        super().__init__(title=_h(title))
        self.code = code

    def render(self, **kwargs: Any) -> str:
        """Render the page, then set ``<html lang dir>`` and let people zoom it."""
        page = str(super().render(**kwargs))
        page = page.replace(
            "<html>", f'<html lang="{_h(self.code)}" dir="{text_direction(self.code)}">', 1
        )
        # folium's viewport forbids zooming (maximum-scale=1, user-scalable=no)
        return re.sub(
            r'<meta name="viewport"[^>]*>',
            '<meta name="viewport" content="width=device-width, initial-scale=1" />',
            page,
            count=1,
        )


def _add_phone_view(m: folium.Map, bounds: list[list[float]] | None) -> None:
    """Add the :class:`_PhoneView` (fitted to ``bounds`` when there are any)."""
    m.add_child(_PhoneView(bounds or []))
    if bounds:
        m.location = _centre(bounds)
