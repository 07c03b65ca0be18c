"""Weekly maps: the internal Folium map, the shared map and notice, history and the index.

A plan for one area and ISO week is written to ``<out_dir>/<area>/<week>/``:

- ``internal.html``: the team's map (schools, hubs, hotspots, corridors coloured by risk,
  patrol loops with one layer per day, popups with the evidence and the team);
- ``shared.html``: the map and notice for youth organisations, schools, parents and young
  people, built from corridors and patrols only (never from the incident table);
- ``manifest.json`` (:func:`write_manifest`); ``<out_dir>/index.html`` lists every planned week
  (:func:`write_index`); ``<out_dir>/<area>/plans.gpkg`` keeps the history
  (:func:`append_history`).

Pages are self-contained: Leaflet and the plugins' JavaScript, CSS, images and fonts are
vendored under ``corridors/assets/vendor/`` (npm packages with their licences, re-fetched by
``scripts/vendor_assets.sh``) and inlined by :func:`save_offline`, so a page works with no
network. Online tiles are an optional base layer; the street graph is always drawn as lines.
Coordinates are WGS84 (EPSG:4326) rounded to 6 decimal places (about 0.1 m); lines are
simplified by ``MapConfig.simplify_m`` metres in the area's CRS first.

Examples
--------
>>> from types import SimpleNamespace
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> from corridors.config import MapConfig
>>> edges = gpd.GeoDataFrame(
...     {"highway": ["residential"]},
...     geometry=[LineString([(486000, 308700), (486300, 308700)])], crs="EPSG:27700")
>>> street = SimpleNamespace(edges=edges)  # stands in for a StreetGraph
>>> m = render_shared_map(street=street, corridors=None, rota=None,
...                       cfg=MapConfig(online_tiles=False), week="2022-W45", area_name="Oakham")
>>> [[round(v, 4) for v in corner] for corner in m.get_bounds()]
[[52.6692, -0.7297], [52.6692, -0.7252]]
"""

# ruff: noqa: RUF001  (translations hold non-ASCII letters and en dashes)
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import hashlib
import html
import json
import logging
import mimetypes
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from folium.utilities import get_bounds

from corridors import __version__
from corridors.config import MapConfig, config_to_dict
from corridors.errors import ConfigError, CorridorsError, InputDataError
from corridors.outputs import atomic_path, write_text
from corridors.publish import HISTORY_GPKG, MANIFEST_JSON

logger = logging.getLogger(__name__)

# -- file names and columns -------------------------------------------------------------

INTERNAL_HTML = "internal.html"
SHARED_HTML = "shared.html"
INDEX_HTML = "index.html"
WEEK = "week"  # column added to every history layer
HISTORY_LAYERS = ("corridors", "loops", "roster", "hotspots")

ASSET_DIR = Path(__file__).parent / "assets" / "vendor"

#: Corridor columns the shared map may show as they are (it names a loop's schools with them).
SHARED_CORRIDOR_COLUMNS = ("corridor_id", "school_names")
#: Corridor columns that are counts: never on the shared page; :func:`shared_corridor_table`
#: keeps them only where >= min_shared_count, for a corridor table shared by other means.
SHARED_COUNT_COLUMNS = ("incidents",)

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_RISK_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd
_AIM_COLOURS = {
    "deterrence": "#542788",
    "reassurance": "#2166ac",
    "engagement": "#1b7837",
    "safeguarding": "#c51b7d",
}
_LOOP_COLOUR = "#2166ac"
_MAJOR_HIGHWAYS = {
    "motorway", "trunk", "primary", "secondary", "tertiary",
    "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
}  # fmt: skip

# -- translation table --------------------------------------------------------------------
# TRANSLATION TABLE for the shared notice. To add a language, add its code with EVERY key of
# "en" (tests check that) and list the code in the config: [maps] languages = ["en", "xx"].
# "{...}" placeholders must be kept as they are. English is the reference text.
# "cy" (Welsh) and "tr" (Turkish) are drafts by the developers: have a native speaker check
# them before a notice is published in those languages.
NOTICE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language": "English",
        "title": "Safer walks home from school",
        "week": "Week beginning {week_start}",
        "intro": (
            "This week, {who} will walk these routes after school. If you are walking home, "
            "you are welcome to say hello or to walk with them."
        ),
        # {who} in "intro": the kinds of people rostered this week (people_<kind>, joined with
        # "and"), or people_general when the week has no roster (no staff file)
        "people_general": "local officers and partners",
        "people_police_officer": "police officers",
        "people_pcso": "police community support officers (PCSOs)",
        "people_youth_worker": "youth workers",
        "people_school_staff": "school staff",
        "people_health": "health workers",
        "people_volunteer": "volunteers",
        "people_other": "staff of other local services",
        "and": "and",
        "day": "Day",
        "time": "Time",
        "where": "Meeting point",
        "who": "Who walks",
        "every_school_day": "Every school day",
        "none": "No patrols are planned this week.",
        "contact": "Questions or worries? Contact: {contact}",
        "emergency": "In an emergency always call 999.",
        "privacy": (
            "This map shows routes and times only. It does not show where any incident happened."
        ),
        "routes": "Patrol routes",
        "meeting_points": "Meeting points",
        "streets": "Streets",
        "days": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    },
    "cy": {  # draft: needs checking by a Welsh speaker
        "language": "Cymraeg",
        "title": "Teithiau cerdded mwy diogel adref o'r ysgol",
        "week": "Wythnos yn dechrau {week_start}",
        "intro": (
            "Bydd {who} yn cerdded y llwybrau hyn ar ôl ysgol yr wythnos hon. Os ydych chi'n "
            "cerdded adref, mae croeso i chi ddweud helo neu gerdded gyda nhw."
        ),
        # police officers, youth workers and school staff as in the old, fixed sentence; the
        # other kinds are new drafts. Every word below starts with a consonant that "a" (and)
        # leaves unchanged; check the mutations if a word is changed.
        "people_general": "swyddogion lleol a phartneriaid",
        "people_police_officer": "swyddogion yr heddlu",
        "people_pcso": "swyddogion cymorth cymunedol yr heddlu (PCSO)",
        "people_youth_worker": "gweithwyr ieuenctid",
        "people_school_staff": "staff ysgolion",
        "people_health": "gweithwyr iechyd",
        "people_volunteer": "gwirfoddolwyr",
        "people_other": "staff gwasanaethau lleol eraill",
        "and": "a",
        "day": "Diwrnod",
        "time": "Amser",
        "where": "Man cyfarfod",
        "who": "Pwy sy'n cerdded",
        "every_school_day": "Bob diwrnod ysgol",
        "none": "Does dim patrolau wedi'u cynllunio yr wythnos hon.",
        "contact": "Cwestiynau neu bryderon? Cysylltwch â: {contact}",
        "emergency": "Mewn argyfwng, ffoniwch 999 bob amser.",
        "privacy": (
            "Mae'r map hwn yn dangos llwybrau ac amseroedd yn unig. Nid yw'n dangos ble "
            "digwyddodd unrhyw ddigwyddiad."
        ),
        "routes": "Llwybrau patrolio",
        "meeting_points": "Mannau cyfarfod",
        "streets": "Strydoedd",
        "days": "Dydd Llun|Dydd Mawrth|Dydd Mercher|Dydd Iau|Dydd Gwener|Dydd Sadwrn|Dydd Sul",
    },
    "tr": {  # draft: needs checking by a Turkish speaker
        "language": "Türkçe",
        "title": "Okuldan eve daha güvenli yürüyüş",
        "week": "{week_start} tarihinde başlayan hafta",
        "intro": (
            "Bu hafta okul çıkışında {who} bu güzergâhlarda yürüyecek. Eve yürüyorsanız onlara "
            "merhaba diyebilir ya da onlarla birlikte yürüyebilirsiniz."
        ),
        # police officers, youth workers and school staff as in the old, fixed sentence; the
        # other kinds are new drafts (the PCSO term especially)
        "people_general": "yerel görevliler ve ortak kurumların çalışanları",
        "people_police_officer": "polis memurları",
        "people_pcso": "toplum destek görevlileri (PCSO)",
        "people_youth_worker": "gençlik çalışanları",
        "people_school_staff": "okul personeli",
        "people_health": "sağlık çalışanları",
        "people_volunteer": "gönüllüler",
        "people_other": "diğer yerel kurumların çalışanları",
        "and": "ve",
        "day": "Gün",
        "time": "Saat",
        "where": "Buluşma noktası",
        "who": "Kimler yürüyor",
        "every_school_day": "Her okul günü",
        "none": "Bu hafta planlanmış devriye yok.",
        "contact": "Sorularınız ya da endişeleriniz mi var? İletişim: {contact}",
        "emergency": "Acil bir durumda her zaman 999'u arayın.",
        "privacy": (
            "Bu harita yalnızca güzergâhları ve saatleri gösterir. Herhangi bir olayın nerede "
            "yaşandığını göstermez."
        ),
        "routes": "Devriye güzergâhları",
        "meeting_points": "Buluşma noktaları",
        "streets": "Sokaklar",
        "days": "Pazartesi|Salı|Çarşamba|Perşembe|Cuma|Cumartesi|Pazar",
    },
}


class BrowserNotFoundError(CorridorsError):
    """No Chromium executable was found for screenshots."""


# -- escaping: the one way data text becomes HTML ---------------------------------------
# Every page is built so that a name from the data (OSM schools and hubs are crowd-edited;
# staff, agencies, meeting points and notes are typed by people) can never become markup:
#
# - HTML is only ever built in Python, and every piece of text in it goes through _h();
#   that covers popups (the ``popup`` property), the notice, title, legend and index.
# - Anything else the JavaScript gets is plain text and is shown with ``textContent``:
#   tooltips (the ``tip`` property) and the "Find a school" result list (``name``).
# - Layer names stay plain text in Python; Leaflet's layer switcher inserts names as HTML,
#   so _LayerControl passes them through _h() at the one place they reach the page.
# - Data embedded in a <script> goes through _compact_json(), which cannot close the script.
# - No link is ever built from data; the index links only its own relative paths (_href).


def _h(value: Any) -> str:
    """
    Return ``str(value)`` escaped for HTML text and quoted attribute values.

    The only escape function of the pages this module writes: ``&``, ``<``, ``>``, ``"``
    and ``'`` become character references, so the browser shows the text as it was
    (``"St Mary's"`` and ``"A & B"`` read correctly) and never as markup. Use it once, on
    the plain text, where the text is put into HTML.

    Examples
    --------
    >>> _h('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    >>> _h("St Mary's & All Saints")
    'St Mary&#x27;s &amp; All Saints'
    """
    return html.escape(str(value), quote=True)


def _href(relative: str) -> str:
    """
    Return a relative path as a safe ``href`` value (percent-encoded, then escaped).

    Every character outside letters, digits, ``/`` and ``_.-~`` is percent-encoded, so the
    path can hold no scheme (a folder called ``javascript:...`` becomes ``javascript%3A...``,
    a relative link), no query, fragment or quote.

    Examples
    --------
    >>> _href("rutland/2022-W45/shared.html")
    'rutland/2022-W45/shared.html'
    >>> _href("javascript:alert(1)/2022-W45/shared.html")
    'javascript%3Aalert%281%29/2022-W45/shared.html'
    """
    return _h(urllib.parse.quote(relative, safe="/"))


class _LayerControl(folium.LayerControl):
    """
    Leaflet's layer switcher, with each layer name escaped by :func:`_h`.

    ``L.control.layers`` writes layer names into the page as HTML, so this is the one place
    names are escaped; layers keep plain-text names (``Layer.layer_name``).
    """

    def render(self, **kwargs: Any) -> None:
        """Collect the map's layers under escaped names, then render the control."""
        self.reset()
        for item in self._parent._children.values():
            if isinstance(item, Layer) and item.control:
                table = self.overlays if item.overlay else self.base_layers
                table[_h(item.layer_name)] = item.get_name()
        MacroElement.render(self, **kwargs)


# -- small Leaflet layer with JS styling (one GeoJSON layer per kind of feature) ----------


class _GeoJsonLayer(Layer):
    """
    A ``L.geoJSON`` layer whose style, popups and tooltips come from feature properties.

    Lighter than ``folium.GeoJson`` (no per-feature style map): ``style_js`` is a JavaScript
    function body with ``f`` the feature. Two properties are shown:

    - ``popup``: HTML built in Python, with every piece of data text escaped by :func:`_h`;
    - ``tip``: plain text, shown as text (``textContent``), never parsed as HTML.

    Points are circle markers, or Font Awesome markers when ``icon`` gives
    ``L.AwesomeMarkers.icon`` options.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
            interactive: {{ this.interactive|tojson }},
            style: function(f) { {{ this.style_js }} },
            pointToLayer: function(f, latlng) {
                {%- if this.icon %}
                return L.marker(latlng, {icon: L.AwesomeMarkers.icon(
                    {{ this.icon|tojavascript }})});
                {%- else %}
                return L.circleMarker(latlng, {radius: 7, weight: 2, fillOpacity: 0.9});
                {%- endif %}
            },
            onEachFeature: function(f, layer) {
                var p = f.properties || {};
                if (p.popup) {  // HTML made in Python; data text escaped there
                    layer.bindPopup(p.popup, {{ this.popup_options|tojavascript }});
                }
                if (p.tip) {  // plain text: shown as text, never as HTML
                    var tip = document.createElement("span");
                    tip.textContent = String(p.tip);
                    layer.bindTooltip(tip, {{ this.tooltip_options|tojavascript }});
                }
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        name: str,
        style_js: str,
        interactive: bool = True,
        show: bool = True,
        control: bool = True,
        icon: Mapping[str, str] | None = None,
        popup_options: Mapping[str, Any] | None = None,
        tooltip_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "GeoJsonLayer"
        self.data = data
        self.data_json = _compact_json(data)
        self.style_js = style_js
        self.interactive = interactive
        self.icon = dict(icon or {})
        self.popup_options = dict(popup_options or {"max_width": 360})
        self.tooltip_options = dict(tooltip_options or {})

    def _get_self_bounds(self) -> list[list[float | None]]:
        """Bounds ``[[south, west], [north, east]]`` of the features (for ``Map.get_bounds``)."""
        return get_bounds(self.data, lonlat=True)


class _TextSearch(JSCSSMixin, MacroElement):
    """
    leaflet-search over a :class:`_GeoJsonLayer`'s plain-text property ``key``.

    Results are listed as text (``textContent``; the plugin's default would parse them as
    HTML) and picking one zooms to the feature and opens its popup.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: {{ this.key|tojson }},
            collapsed: {{ this.collapsed|tojson }},
            textPlaceholder: {{ this.placeholder|tojson }},
            position: "topleft",
            initial: false,
            zoom: {{ this.zoom|tojson }},
            hideMarkerOnCollapse: true,
            buildTip: function(text) {  // a result is plain text, never HTML
                var tip = L.DomUtil.create("li", "");
                tip.textContent = String(text);
                return tip;
            }
        });
        {{ this.get_name() }}.on("search:locationfound", function(e) {
            if (e.layer && e.layer.getPopup()) { e.layer.openPopup(); }
        });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )
    default_js = folium.plugins.Search.default_js
    default_css = folium.plugins.Search.default_css

    def __init__(
        self, layer: _GeoJsonLayer, *, key: str, placeholder: str, zoom: int = 16
    ) -> None:
        super().__init__()
        self._name = "TextSearch"
        self.layer = layer
        self.key = key
        self.placeholder = placeholder
        self.zoom = zoom
        self.collapsed = False


class _OfflineMiniMap(folium.plugins.MiniMap):
    """leaflet-minimap drawing the major streets (and online tiles when allowed)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_layers = [];
        {% if this.tiles %}
        {{ this.get_name() }}_layers.push(L.tileLayer({{ this.tiles|tojson }},
            {attribution: "&copy; OpenStreetMap contributors", maxZoom: 19}));
        {% endif %}
        {{ this.get_name() }}_layers.push(L.geoJSON({{ this.data_json }}, {
            interactive: false, style: function(f) { return {color: "#555", weight: 1}; }}));
        var {{ this.get_name() }} = new L.Control.MiniMap(
            L.layerGroup({{ this.get_name() }}_layers), {{ this.options|tojavascript }});
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], *, tiles: str | None) -> None:
        super().__init__(toggle_display=True, zoom_level_offset=-3)  # type: ignore[no-untyped-call]
        self.data = data
        self.data_json = _compact_json(data)
        self.tiles = tiles


# -- public API ---------------------------------------------------------------------------


def render_internal_map(
    *,
    inputs: Any,
    street: Any,
    spots: Any | None,
    corridors: Any | None,
    rota: Any | None,
    cfg: MapConfig,
    week: str,
    title: str,
) -> folium.Map:
    """
    Draw the team's internal map for one week.

    Parameters
    ----------
    inputs
        ``corridors.load.Inputs``: schools and hubs (points) and the study area, in the area's
        projected CRS (metres).
    street
        ``corridors.graph.StreetGraph``: its ``edges`` are drawn as the always-present
        street layer.
    spots
        ``corridors.hotspots.Hotspots`` or None (stage not run): hotspot polygons, and a
        heat layer of the selected incidents when ``cfg.heat_layer``.
    corridors
        ``corridors.routes.Corridors`` or None: corridors coloured by risk (quintiles) with
        their evidence, and patrol loops.
    rota
        ``corridors.roster.Roster`` or None: loops get one layer per patrol day, with the team
        in the popup; without it the loops are drawn in one layer.
    cfg
        Map settings (``online_tiles``, ``simplify_m``, ``heat_layer``, ``minimap``).
    week
        ISO week, ``"YYYY-Www"``.
    title
        Heading shown on the map.

    Returns
    -------
    folium.Map
        The map, fitted to the study area (or to what it draws). Save it with
        :func:`save_offline`.

    Raises
    ------
    ConfigError
        If ``week`` is not an ISO week.
    InputDataError
        If a layer has no CRS.
    """
    week_start = _week_start(week)
    m = _base_map(cfg)
    _add_streets(m, street, cfg, name="Streets")
    counts: dict[str, int] = {}

    if spots is not None and len(spots.polygons):
        polys = spots.polygons.copy()
        polys["popup"] = [_hotspot_popup(row) for _, row in polys.iterrows()]
        data = _geojson(polys, ["popup"], simplify_m=cfg.simplify_m)
        _GeoJsonLayer(
            data,
            name="Hotspots (after school)",
            style_js='return {color: "#b2182b", weight: 1, fillColor: "#ef8a62", '
            "fillOpacity: 0.35};",
        ).add_to(m)
        counts["hotspots"] = len(polys)
    if spots is not None and cfg.heat_layer and len(spots.selected):
        pts = spots.selected.to_crs(4326)
        weights = pts["weight"] if "weight" in pts.columns else pd.Series(1.0, index=pts.index)
        heat = [
            [round(p.y, 6), round(p.x, 6), round(float(w), 3)]
            for p, w in zip(pts.geometry, weights, strict=True)
            if p is not None and not p.is_empty
        ]
        heat_layer = folium.plugins.HeatMap(  # type: ignore[no-untyped-call]
            heat, name="Incident heat (after school)", show=False
        )
        heat_layer.add_to(m)

    if corridors is not None and len(corridors.corridors):
        cor = corridors.corridors.copy()
        risk = pd.to_numeric(cor.get("risk", pd.Series(0.0, index=cor.index)), errors="coerce")
        cor["c"] = _risk_classes(risk.fillna(0.0))
        teams = _teams_by_corridor(rota)
        cor["popup"] = [
            _corridor_popup(row, teams.get(str(row.get("corridor_id")), ""))
            for _, row in cor.iterrows()
        ]
        cor["tip"] = [f"Corridor {row.get('corridor_id')}" for _, row in cor.iterrows()]
        data = _geojson(cor, ["c", "popup", "tip"], simplify_m=cfg.simplify_m)
        colours = json.dumps(list(_RISK_COLOURS))
        _GeoJsonLayer(
            data,
            name="Corridors (by risk)",
            style_js=f"return {{color: {colours}[f.properties.c], weight: 6, opacity: 0.9}};",
        ).add_to(m)
        counts["corridors"] = len(cor)

    if corridors is not None and len(corridors.loops):
        counts["loops"] = _add_internal_loops(m, corridors.loops, rota, cfg)

    for frame, kind in ((inputs.hubs, "hubs"), (inputs.schools, "schools")):
        if frame is not None and len(frame):
            _add_points(m, frame, kind=kind)
            counts[kind] = len(frame)

    _add_legend(m, _internal_legend(spots is not None, rota))
    _add_title(m, f"{title}: week {week} (from {week_start:%d %b %Y})")
    if cfg.minimap:
        _add_minimap(m, street, cfg)
    _LayerControl(collapsed=False).add_to(m)
    study_area = getattr(inputs, "study_area", None)
    bounds = _bounds_of(
        [study_area] if study_area is not None else [], crs=getattr(inputs, "crs", None)
    )
    _fit(m, bounds or _bounds_of_frames([street.edges]))
    logger.info(
        "Rendered internal map for %s: %s",
        week,
        ", ".join(f"{v:,} {k}" for k, v in counts.items()) or "streets only",
    )
    return m


def render_shared_map(
    *,
    street: Any,
    corridors: Any | None,
    rota: Any | None,
    cfg: MapConfig,
    week: str,
    area_name: str,
) -> folium.Map:
    """
    Draw the shared map and notice (the routes walked, times and meeting points only).

    Built from corridors and patrols, never from the incident table: it takes no inputs and
    no hotspots. The routes drawn are the week's patrol loops (``corridors.loops``), not the
    corridors they lie on: with a roster, only loops with a filled patrol; without one, every
    loop at its planned time. A loop is named by its corridor's ``school_names``; nothing
    else of the corridor reaches the page, and the page shows no counts at all
    (``SHARED_COUNT_COLUMNS`` and ``cfg.min_shared_count`` do not apply to it). The notice
    names the kinds of people rostered this week (police officers, PCSOs, youth workers,
    school staff, ...), or says "local officers and partners" when there is no roster.
    People's names appear only when ``cfg.show_names``.

    Parameters
    ----------
    street
        ``corridors.graph.StreetGraph`` (projected CRS, metres): drawn as lines.
    corridors
        ``corridors.routes.Corridors`` or None (no routes yet).
    rota
        ``corridors.roster.Roster`` or None (no staff): days and organisations of each patrol.
    cfg
        ``languages``, ``contact``, ``show_names``, ``online_tiles``.
    week
        ISO week, ``"YYYY-Www"``.
    area_name
        Name of the area shown in the notice.

    Returns
    -------
    folium.Map
        The map with the notice panel, fitted to the routes (or the streets).

    Raises
    ------
    ConfigError
        If a language in ``cfg.languages`` has no translation in :data:`NOTICE_TEXT`, or
        ``week`` is not an ISO week.
    """
    check_languages(cfg)
    week_start = _week_start(week)
    text = NOTICE_TEXT["en"]
    m = _base_map(cfg)
    _add_streets(m, street, cfg, name=text["streets"])
    patrols = shared_patrols(corridors, rota, cfg=cfg)
    frames = [street.edges]
    walked = shared_loops(corridors, patrols)
    if len(walked):
        routes = walked[["geometry"]].copy()
        routes["popup"] = [_shared_loop_popup(lp, patrols, cfg) for _, lp in walked.iterrows()]
        routes["tip"] = [str(name or text["routes"]) for name in walked["school_names"]]
        data = _geojson(routes, ["popup", "tip"], simplify_m=cfg.simplify_m)
        _GeoJsonLayer(
            data,
            name=text["routes"],
            style_js='return {color: "#2166ac", weight: 5, opacity: 0.85};',
        ).add_to(m)
        frames = [routes]
        points = _meeting_points(walked, patrols, cfg)
        if len(points):
            data = _geojson(points, ["popup", "tip"], simplify_m=0)
            _GeoJsonLayer(
                data,
                name=text["meeting_points"],
                style_js='return {color: "#ffffff", fillColor: "#1b7837", weight: 2};',
            ).add_to(m)
    _add_notice(
        m,
        patrols,
        cfg=cfg,
        area_name=area_name,
        week_start=week_start,
        kinds=rostered_kinds(rota),
    )
    if cfg.minimap:
        _add_minimap(m, street, cfg)
    _LayerControl(collapsed=True).add_to(m)
    _fit(m, _bounds_of_frames(frames), padding_top_left=(460, 20))
    logger.info("Rendered shared map for %s: %d patrols in the notice", week, len(patrols))
    return m


def write_week(
    folder: str | Path,
    *,
    inputs: Any,
    street: Any,
    spots: Any | None,
    corridors: Any | None,
    rota: Any | None,
    config: Any,
    week: str,
) -> dict[str, Path]:
    """
    Write one week's two pages, ``internal.html`` and ``shared.html``, into ``folder``.

    ``folder`` is the week's staging folder (``corridors.publish``); the manifest, the
    history and the index are the publisher's job.

    Parameters
    ----------
    folder
        Where to write the pages.
    inputs, street, spots, corridors, rota
        The stage outputs (``spots``, ``corridors`` and ``rota`` may be None).
    config
        The run's ``Config``: ``config.maps`` (:class:`MapConfig`) and ``config.area.name``.
    week
        ISO week, ``"YYYY-Www"``.

    Returns
    -------
    dict of str to pathlib.Path
        ``internal`` and ``shared``.
    """
    cfg: MapConfig = config.maps
    folder = Path(folder)
    title = config.area.name.replace("_", " ").replace("-", " ").title()
    internal = save_offline(
        render_internal_map(
            inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota, cfg=cfg,
            week=week, title=title,
        ),
        folder / INTERNAL_HTML,
    )  # fmt: skip
    shared = save_offline(
        render_shared_map(
            street=street, corridors=corridors, rota=rota, cfg=cfg, week=week, area_name=title
        ),
        folder / SHARED_HTML,
    )
    return {"internal": internal, "shared": shared}


def check_languages(cfg: MapConfig) -> None:
    """
    Raise if a language of the shared notice has no translation.

    Raises
    ------
    ConfigError
        Naming the languages without a translation in :data:`NOTICE_TEXT`.
    """
    missing = [code for code in cfg.languages if code not in NOTICE_TEXT]
    if missing:
        raise ConfigError(
            f"maps.languages: no notice translation for {missing}; known: {sorted(NOTICE_TEXT)}. "
            "Add the language to corridors.maps.NOTICE_TEXT or remove it from the config."
        )


def shared_corridor_table(corridors: gpd.GeoDataFrame, *, cfg: MapConfig) -> gpd.GeoDataFrame:
    """
    Return the corridor columns that may be shared outside the team (a table, not the page).

    Keeps ``SHARED_CORRIDOR_COLUMNS`` and geometry; a count column of
    ``SHARED_COUNT_COLUMNS`` is kept as a whole number where it is at least
    ``cfg.min_shared_count`` and set to missing (dropped for that corridor) below it.
    The shared page does not use it: it draws the walked loops (:func:`shared_loops`) and
    shows no counts at all.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> cor = gpd.GeoDataFrame({"corridor_id": ["c1", "c2"], "incidents": [3, 12],
    ...     "offences": ['{"Robbery": 3}', '{}'], "risk": [0.2, 0.9]},
    ...     geometry=[LineString([(0, 0), (1, 1)])] * 2, crs="EPSG:27700")
    >>> shared_corridor_table(cor, cfg=MapConfig()).drop(columns="geometry").to_dict("records")
    [{'corridor_id': 'c1', 'incidents': None}, {'corridor_id': 'c2', 'incidents': 12}]
    """
    keep = [c for c in SHARED_CORRIDOR_COLUMNS if c in corridors.columns]
    out = gpd.GeoDataFrame(
        corridors[keep].copy(), geometry=corridors.geometry.values, crs=corridors.crs
    )
    for col in SHARED_COUNT_COLUMNS:
        if col in corridors.columns:
            values = pd.to_numeric(corridors[col], errors="coerce")
            out[col] = pd.Series(
                [int(v) if pd.notna(v) and v >= cfg.min_shared_count else None for v in values],
                index=out.index,
                dtype=object,
            )
    for col in keep:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out[[*keep, *[c for c in SHARED_COUNT_COLUMNS if c in out.columns], "geometry"]]


def shared_patrols(corridors: Any | None, rota: Any | None, *, cfg: MapConfig) -> pd.DataFrame:
    """
    Return the week's patrols as the shared notice lists them.

    Parameters
    ----------
    corridors
        ``Corridors`` or None; its ``loops`` give the meeting points and start times.
    rota
        ``Roster`` or None; its filled ``slots`` give the days and times and its
        ``assignments`` the organisations (and names when ``cfg.show_names``).
    cfg
        ``show_names``.

    Returns
    -------
    pandas.DataFrame
        Columns loop_id, date (``datetime.date`` or None: every school day), start, end,
        meeting_point, organisations (";"-joined agencies), names ("" unless allowed).
    """
    cols = ["loop_id", "date", "start", "end", "meeting_point", "organisations", "names"]
    if corridors is None or not len(corridors.loops):
        return pd.DataFrame(columns=cols)
    loops = corridors.loops.set_index(corridors.loops["loop_id"].astype(str))
    rows: list[dict[str, Any]] = []
    if rota is None or not len(rota.slots):
        for loop_id, loop in loops.iterrows():
            start = str(loop.get("start_time", "") or "")
            rows.append(
                {
                    "loop_id": loop_id,
                    "date": None,
                    "start": start,
                    "end": _add_minutes(start, loop.get("duration_min")),
                    "meeting_point": str(loop.get("meeting_point", "") or ""),
                    "organisations": "",
                    "names": "",
                }
            )
        return pd.DataFrame(rows, columns=cols)
    slots = rota.slots
    if "filled" in slots.columns:
        slots = slots[slots["filled"].astype(bool)]
    people = rota.assignments
    for _, slot in slots.iterrows():
        loop_id = str(slot["loop_id"])
        date = _as_date(slot.get("date"))
        mine = people[(people["loop_id"].astype(str) == loop_id)]
        if "date" in people.columns and date is not None:
            mine = mine[[_as_date(d) == date for d in mine["date"]]]
        agencies = sorted(
            {_agency_label(a) for a in mine.get("agency", pd.Series(dtype=object)).dropna()}
        )
        names = sorted({str(a) for a in mine.get("name", pd.Series(dtype=object)).dropna()})
        rows.append(
            {
                "loop_id": loop_id,
                "date": date,
                "start": str(slot.get("start", "") or ""),
                "end": str(slot.get("end", "") or ""),
                "meeting_point": str(loops["meeting_point"].get(loop_id, ""))
                if "meeting_point" in loops.columns
                else "",
                "organisations": "; ".join(agencies),
                "names": "; ".join(names) if cfg.show_names else "",
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["date", "start", "meeting_point"], key=_sort_key).reset_index(drop=True)


def shared_loops(corridors: Any | None, patrols: pd.DataFrame) -> gpd.GeoDataFrame:
    """
    Return the loops the shared page draws: the week's patrol loops that are walked.

    A loop is walked when :func:`shared_patrols` lists it (with a roster: a filled patrol;
    without: every loop) and its corridor, if the table says so, is patrolled.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns loop_id, corridor_id, meeting_point, school_names (of the corridor, ``""``
        when unknown) and the loop's geometry, in the loops' CRS; nothing else.
    """
    cols = ["loop_id", "corridor_id", "meeting_point", "school_names"]
    if corridors is None or not len(corridors.loops) or not len(patrols):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry")
    loops = corridors.loops
    ids = loops["loop_id"].astype(str)
    keep = ids.isin(set(patrols["loop_id"].astype(str)))
    cor = corridors.corridors
    names: dict[str, str] = {}
    if cor is not None and len(cor) and "corridor_id" in cor.columns:
        cids = cor["corridor_id"].astype(str)
        if "patrolled" in cor.columns:
            off = set(cids[~cor["patrolled"].astype(bool)])
            keep &= ~loops["corridor_id"].astype(str).isin(off)
        if "school_names" in cor.columns:  # SHARED_CORRIDOR_COLUMNS: nothing else is read
            names = {
                c: ("" if v is None or (np.isscalar(v) and pd.isna(v)) else str(v))
                for c, v in zip(cids, cor["school_names"], strict=True)
            }
    mine = loops[keep.to_numpy()]
    return gpd.GeoDataFrame(
        {
            "loop_id": mine["loop_id"].astype(str).to_numpy(),
            "corridor_id": mine["corridor_id"].astype(str).to_numpy(),
            "meeting_point": [
                "" if v is None or (np.isscalar(v) and pd.isna(v)) else str(v)
                for v in mine.get("meeting_point", pd.Series([None] * len(mine)))
            ],
            "school_names": [names.get(str(c), "") for c in mine["corridor_id"]],
        },
        geometry=mine.geometry.to_numpy(),
        crs=loops.crs,
    )


#: Kinds of people the shared notice names, in this order (``people_<kind>`` in NOTICE_TEXT).
PEOPLE_KINDS = (
    "police_officer", "pcso", "youth_worker", "school_staff", "health", "volunteer", "other",
)  # fmt: skip
#: Roster agencies (``corridors.roster.AGENCIES``) -> kinds: school-linked officers are police.
_KIND_OF_AGENCY = {
    "police_officer": "police_officer",
    "police": "police_officer",
    "school_officer": "police_officer",
    "pcso": "pcso",
    "youth_worker": "youth_worker",
    "school_staff": "school_staff",
    "health": "health",
    "volunteer": "volunteer",
    "other": "other",
}


def rostered_kinds(rota: Any | None) -> tuple[str, ...]:
    """
    Return the kinds of people (:data:`PEOPLE_KINDS`) on the roster's patrols this week.

    Agencies outside the roster's codes count as ``"other"``; no roster (or nobody on it)
    gives ``()``, and the notice then uses its general wording.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rota = SimpleNamespace(assignments=pd.DataFrame(
    ...     {"agency": ["youth_worker", "school_officer", "pcso", "youth_worker"]}))
    >>> rostered_kinds(rota), rostered_kinds(None)
    (('police_officer', 'pcso', 'youth_worker'), ())
    """
    people = getattr(rota, "assignments", None)
    if people is None or not len(people) or "agency" not in people.columns:
        return ()
    found = {
        _KIND_OF_AGENCY.get(re.sub(r"[\s-]+", "_", str(a).strip().lower()), "other")
        for a in people["agency"].dropna()
    }
    return tuple(k for k in PEOPLE_KINDS if k in found)


def _people_text(kinds: Sequence[str], text: Mapping[str, str]) -> str:
    """The kinds of people as words of the notice's language: "a, b and c"."""
    words = [text[f"people_{k}"] for k in kinds] or [text["people_general"]]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {text['and']} {words[-1]}"


def save_offline(m: folium.Map, path: str | Path) -> Path:
    """
    Write a map as one self-contained HTML file that works with no network.

    Every ``<script src>`` and stylesheet ``<link>`` that Folium and its plugins point at a
    CDN is replaced by the vendored file's contents (``corridors/assets/vendor``); images and
    fonts inside the CSS become ``data:`` URIs. jQuery, Bootstrap and glyphicons are dropped
    (nothing on these maps uses them), and the marker libraries only go in when the page uses
    them. The file is written atomically.

    Parameters
    ----------
    m
        A rendered map (from :func:`render_internal_map` or :func:`render_shared_map`).
    path
        The HTML file to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    CorridorsError
        If the page links an asset that is not vendored (run ``scripts/vendor_assets.sh``
        after adding it).
    """
    page = inline_assets(m.get_root().render())
    out = write_text(path, page)
    logger.info("Wrote %s (%.2f MB, self-contained)", out, len(page.encode()) / 1e6)
    return Path(out)


def inline_assets(page: str) -> str:
    """Replace CDN ``<script>``/``<link>`` tags of a Folium page by the vendored files."""
    uses_icons = "L.AwesomeMarkers" in page

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        files = _asset_for(url, _JS_FILES)
        if not files or (not uses_icons and url in _ICON_URLS):
            return ""
        body = "\n".join((ASSET_DIR / f).read_text(encoding="utf-8") for f in files)
        extra = _icon_default_js() if files == _JS_FILES["leaflet"] else ""
        return "<script>" + _safe_script(body) + extra + "</script>"

    def link(match: re.Match[str]) -> str:
        url = match.group(1)
        if not uses_icons and url in _ICON_URLS:
            return ""
        if _URL_NAMES.get(url) == "awesome_rotate_css":
            angles = sorted({int(a) for a in re.findall(r"fa-rotate-(\d+)", page)})
            css = "".join(f".fa-rotate-{a}{{transform:rotate({a}deg)}}" for a in angles)
            return f"<style>{css}</style>" if css else ""
        files = _asset_for(url, _CSS_FILES)
        if not files:
            return ""
        return "<style>" + "\n".join(_inline_css(ASSET_DIR / f) for f in files) + "</style>"

    page = _SCRIPT_TAG.sub(script, page)
    page = _LINK_TAG.sub(link, page)
    left = _SCRIPT_TAG.findall(page) + _LINK_TAG.findall(page)
    if left:
        raise CorridorsError(
            f"map page links assets that are not vendored: {left}. Add them to "
            "scripts/vendor_assets.sh and corridors.maps._JS_FILES/_CSS_FILES."
        )
    return page


def manifest_doc(
    *, cfg: Any, reports: Iterable[Any], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """
    Return what produced a plan (tool version, config, inputs with SHA-256, run time).

    Parameters
    ----------
    cfg
        The run's ``Config`` (any dataclass; written with ``config_to_dict``).
    reports
        ``corridors.load.SourceReport`` objects: kind, name, path, sha256, read, accepted and
        rejected row counts per input file.
    extra
        More facts (week, stage counts, notes).

    Returns
    -------
    dict
        Plain JSON types only.
    """
    inputs = []
    for rep in reports:
        is_record = dataclasses.is_dataclass(rep) and not isinstance(rep, type)
        item = dataclasses.asdict(rep) if is_record else dict(rep)
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


def write_manifest(
    path: str | Path, *, cfg: Any, reports: Iterable[Any], extra: Mapping[str, Any] | None = None
) -> Path:
    """
    Write :func:`manifest_doc` as JSON to ``path`` (atomically).

    A published week's manifest also lists its files (``corridors.publish.write_manifest``).
    """
    doc = manifest_doc(cfg=cfg, reports=reports, extra=extra)
    return Path(write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n"))


def write_index(out_root: str | Path) -> Path:
    """
    Write ``<out_root>/index.html`` listing every area and week planned under ``out_root``.

    A week is a folder ``<out_root>/<area>/<YYYY-Www>/``; the page links its internal map,
    shared map and manifest (whichever exist) and shows the run time from the manifest.
    Newest weeks come first.

    Parameters
    ----------
    out_root
        The maps folder (``MapConfig.out_dir``).

    Returns
    -------
    pathlib.Path
        The index file.
    """
    root = Path(out_root)
    rows = []
    for week_dir in sorted(root.glob("*/*"), key=lambda p: (p.parent.name, p.name)):
        if not (week_dir.is_dir() and _WEEK_RE.match(week_dir.name)):
            continue
        run_at = ""
        manifest = week_dir / MANIFEST_JSON
        if manifest.exists():
            try:
                run_at = str(json.loads(manifest.read_text(encoding="utf-8")).get("run_at", ""))
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                run_at = "(unreadable manifest)"
        links = " · ".join(
            f'<a href="{_href((week_dir / f).relative_to(root).as_posix())}">{_h(label)}</a>'
            for f, label in (
                (INTERNAL_HTML, "internal map"),
                (SHARED_HTML, "shared map"),
                (MANIFEST_JSON, "manifest"),
            )
            if (week_dir / f).exists()
        )
        rows.append((week_dir.parent.name, week_dir.name, run_at, links))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    rows.sort(key=lambda r: r[0])
    body = (
        "\n".join(
            f"<tr><td>{_h(a)}</td><td>{_h(w)}</td><td>{_h(t)}</td><td>{ln}</td></tr>"
            for a, w, t, ln in rows
        )
        or '<tr><td colspan="4">No plans yet.</td></tr>'
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Safer Corridors: plans</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:left}}</style></head>
<body><h1>Safer Corridors: weekly plans</h1>
<table><thead><tr><th>Area</th><th>Week</th><th>Run at (UTC)</th><th>Files</th></tr></thead>
<tbody>
{body}
</tbody></table><p>Made by safer-corridors {_h(__version__)}.</p></body></html>
"""
    return Path(write_text(root / INDEX_HTML, page))


def append_history(
    gpkg_path: str | Path,
    *,
    week: str,
    corridors: Any | None,
    rota: Any | None,
    spots: Any | None,
    into: str | Path | None = None,
) -> Path:
    """
    Add one week's plan to the area's GeoPackage history, replacing that week if present.

    Layers ``corridors``, ``loops`` (lines, area CRS), ``roster`` (attribute table: the
    roster's assignments) and ``hotspots`` (polygons) each carry a ``week`` column. Rows of
    other weeks are kept; rows of ``week`` are replaced, never duplicated. The new file is
    built next to the old one and renamed onto it.

    Parameters
    ----------
    gpkg_path
        ``<out_dir>/<area>/plans.gpkg``.
    week
        ISO week, ``"YYYY-Www"``.
    corridors, rota, spots
        The week's ``Corridors``, ``Roster`` and ``Hotspots``; any may be None.
    into
        Write the new history here instead of onto ``gpkg_path`` (a publisher stages it
        until the week is published: ``corridors.publish.pending_history``).

    Returns
    -------
    pathlib.Path
        The file written: ``into`` or ``gpkg_path``.

    Raises
    ------
    ConfigError
        If ``week`` is not an ISO week.
    InputDataError
        If the existing file cannot be read as a GeoPackage.
    """
    _week_start(week)
    path = Path(gpkg_path)
    new: dict[str, pd.DataFrame | None] = {
        "corridors": corridors.corridors if corridors is not None else None,
        "loops": corridors.loops if corridors is not None else None,
        "roster": rota.assignments if rota is not None else None,
        "hotspots": spots.polygons if spots is not None else None,
    }
    old: dict[str, pd.DataFrame] = {}
    if path.exists():
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            for layer in names:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    old[layer] = gpd.read_file(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise InputDataError(
                f"{path}: cannot read the plan history ({exc}). Move the file away to start a "
                "new history."
            ) from exc
    written = 0
    target = Path(into) if into is not None else path
    with atomic_path(target) as tmp:
        for layer in [*HISTORY_LAYERS, *[n for n in old if n not in HISTORY_LAYERS]]:
            parts = []
            prev = old.get(layer)
            if prev is not None and len(prev):
                parts.append(prev[prev[WEEK].astype(str) != week] if WEEK in prev.columns else prev)
            frame = new.get(layer)
            if frame is not None and len(frame):
                parts.append(_history_frame(frame, week, like=prev))
            parts = [p for p in parts if len(p)]
            if not parts:
                continue
            table = pd.concat(parts, ignore_index=True)
            _write_layer(table, tmp, layer)
            written += 1
        if written == 0:
            pd.DataFrame({WEEK: [week]}).iloc[:0].pipe(_write_layer, tmp, "weeks")
    logger.info("Appended week %s to %s", week, target)
    return target


def take_screenshot(
    html_path: str | Path,
    png: str | Path,
    *,
    size: tuple[int, int] = (1200, 800),
    bounds: tuple[float, float, float, float] | None = None,
) -> Path:
    """
    Save a PNG of an HTML page rendered by headless Chromium.

    Parameters
    ----------
    html_path
        The page (e.g. a saved map).
    png
        The PNG to write (atomically).
    size
        Window width and height in pixels.
    bounds
        Optional (south, west, north, east) in degrees: the map is zoomed to them before
        the shot (a temporary copy of the page is used; the page itself is not changed).

    Returns
    -------
    pathlib.Path
        ``png``.

    Raises
    ------
    BrowserNotFoundError
        If no ``chromium`` (or ``chromium-browser``) is on the PATH.
    CorridorsError
        If Chromium fails or writes no image.
    """
    exe = find_chromium()
    if exe is None:
        raise BrowserNotFoundError(
            "no Chromium found on the PATH for screenshots; install it "
            "(Debian: apt-get install chromium) or set CHROMIUM to its path"
        )
    src = Path(html_path).resolve()
    if not src.exists():
        raise InputDataError(f"{src}: page not found, so no screenshot can be taken")
    with atomic_path(png) as tmp, tempfile.TemporaryDirectory() as profile:
        page = src
        if bounds is not None:
            south, west, north, east = (float(b) for b in bounds)
            target = f"[[{south}, {west}], [{north}, {east}]]"
            text = src.read_text(encoding="utf-8")
            # the page's own first fitBounds gets the new bounds, so every control
            # (mini-map, scale) starts from them
            fitted, count = re.subn(
                r"(map_[0-9a-f]+\.fitBounds\(\s*)\[\[[^\]]*\],\s*\[[^\]]*\]\]",
                lambda m: m.group(1) + target,
                text,
                count=1,
            )
            if not count:
                raise CorridorsError(f"{src}: not a saved Folium map; cannot zoom it")
            page = Path(profile) / src.name
            page.write_text(fitted, encoding="utf-8")
        cmd = [
            exe, *chromium_flags(profile),
            f"--screenshot={tmp}", f"--window-size={size[0]},{size[1]}", page.as_uri(),
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired as exc:
            raise CorridorsError(f"Chromium took over 120 s to screenshot {src}") from exc
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise CorridorsError(
                f"Chromium wrote no screenshot of {src} (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-500:]}"
            )
    return Path(png)


def find_chromium() -> str | None:
    """Return the path of a Chromium executable (``$CHROMIUM`` first), or None."""
    import os

    env = os.environ.get("CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_flags(profile_dir: str | Path) -> list[str]:
    """Return the headless Chromium flags the project uses (with a throw-away profile)."""
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile_dir}",
    ]  # fmt: skip


# -- rendering helpers --------------------------------------------------------------------


def _base_map(cfg: MapConfig) -> folium.Map:
    m = folium.Map(
        location=[52.67, -0.73], zoom_start=13, tiles=None, control_scale=True, prefer_canvas=False
    )
    if cfg.online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=False, control=True
        ).add_to(m)
    return m


def _street_edges(street: Any) -> gpd.GeoDataFrame:
    edges = street.edges
    if edges.crs is None:
        raise InputDataError("street.edges has no CRS; build it with corridors.graph")
    geoms = shapely.normalize(edges.geometry.values)
    keep = ~pd.Series(shapely.to_wkb(geoms)).duplicated().to_numpy()  # one line per two-way edge
    out = edges[keep]
    return gpd.GeoDataFrame(
        {"m": [int(h in _MAJOR_HIGHWAYS) for h in _first_values(out.get("highway"), len(out))]},
        geometry=out.geometry.values,
        crs=edges.crs,
    )


def _add_streets(m: folium.Map, street: Any, cfg: MapConfig, *, name: str) -> None:
    data = _geojson(_merged_streets(street), ["m"], simplify_m=max(cfg.simplify_m, 1.0))
    _GeoJsonLayer(
        data,
        name=name,
        interactive=False,
        style_js='return f.properties.m ? {color: "#666", weight: 3, opacity: 0.8} '
        ': {color: "#999", weight: 1.5, opacity: 0.8};',
    ).add_to(m)


def _merged_streets(street: Any) -> gpd.GeoDataFrame:
    """Streets as two MultiLineStrings (major, minor): far lighter than one feature per edge."""
    edges = _street_edges(street)
    rows = []
    for major in (0, 1):
        lines = edges.geometry.values[(edges["m"] == major).to_numpy()]
        if len(lines):
            merged = shapely.line_merge(shapely.multilinestrings(lines))
            rows.append({"m": major, "geometry": merged})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=edges.crs) if rows else edges.iloc[:0]


def _add_minimap(m: folium.Map, street: Any, cfg: MapConfig) -> None:
    merged = _merged_streets(street)
    major = merged[merged["m"] == 1]
    data = _geojson(major if len(major) else merged, [], simplify_m=max(cfg.simplify_m, 20.0))
    tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png" if cfg.online_tiles else None
    _OfflineMiniMap(data, tiles=tiles).add_to(m)


#: Marker icons of the internal map's point layers (``L.AwesomeMarkers.icon`` options).
_POINT_ICONS = {
    "schools": {"markerColor": "green", "iconColor": "white", "icon": "school", "prefix": "fa",
                "extraClasses": "fa-rotate-0"},
    "hubs": {"markerColor": "cadetblue", "iconColor": "white", "icon": "bus", "prefix": "fa",
             "extraClasses": "fa-rotate-0"},
}  # fmt: skip
_POINT_CSS = (
    "<style>.sc-detail table{margin:auto}.sc-detail tr{text-align:left}"
    ".sc-detail th{padding:2px;padding-right:8px}</style>"
)


def _add_points(m: folium.Map, frame: gpd.GeoDataFrame, *, kind: str) -> None:
    """Draw schools or hubs as markers: name as tooltip, their fields as a popup table.

    Schools also get the "Find a school" search box, over the plain-text ``name``.
    """
    pts = frame.copy()
    pts["geometry"] = pts.geometry.representative_point()
    cols = [c for c in ("name", "phase", "kind", "school_id", "hub_id") if c in pts.columns]
    pts["name"] = (
        pts["name"].astype(object).where(pts["name"].notna(), "(no name)")
        if "name" in pts
        else "(no name)"
    )
    fields = list(dict.fromkeys(["name", *cols]))
    pts["tip"] = pts["name"].astype(str)
    pts["popup"] = [_point_popup(row, fields) for _, row in pts.iterrows()]
    data = _geojson(pts, ["name", "tip", "popup"], simplify_m=0)
    _figure(m).header.add_child(folium.Element(_POINT_CSS), name="sc_detail_css")
    layer = _GeoJsonLayer(
        data,
        name="Schools" if kind == "schools" else "Transport hubs",
        style_js="return {};",
        icon=_POINT_ICONS[kind],
        popup_options={"max_width": 360, "class_name": "sc-detail"},
        tooltip_options={"sticky": True, "class_name": "sc-detail"},
    ).add_to(m)
    if kind == "schools":
        _TextSearch(layer, key="name", placeholder="Find a school", zoom=16).add_to(m)


def _add_internal_loops(
    m: folium.Map, loops: gpd.GeoDataFrame, rota: Any | None, cfg: MapConfig
) -> int:
    loops = loops.copy()
    loops["loop_id"] = loops["loop_id"].astype(str)
    aim_js = json.dumps(_AIM_COLOURS)
    style = (
        f'return {{color: ({aim_js})[f.properties.aim] || "{_LOOP_COLOUR}", weight: 3, '
        'dashArray: "6 4"};'
    )
    if rota is None or not len(rota.slots):
        loops["aim"] = ""
        loops["popup"] = [_loop_popup(row, None, "") for _, row in loops.iterrows()]
        data = _geojson(loops, ["aim", "popup"], simplify_m=cfg.simplify_m)
        _GeoJsonLayer(data, name="Patrol loops (not rostered)", style_js=style).add_to(m)
        return len(loops)
    slots = rota.slots.copy()
    slots["loop_id"] = slots["loop_id"].astype(str)
    slots["_date"] = [_as_date(d) for d in slots.get("date", pd.Series([None] * len(slots)))]
    n = 0
    for date in sorted({d for d in slots["_date"] if d is not None}) or [None]:
        day_slots = slots[[d == date for d in slots["_date"]]]
        parts = []
        for _, slot in day_slots.iterrows():
            loop = loops[loops["loop_id"] == slot["loop_id"]]
            if not len(loop):
                continue
            row = loop.iloc[[0]].copy()
            row["aim"] = str(slot.get("aim", "") or "")
            row["popup"] = _loop_popup(loop.iloc[0], slot, _team_text(rota.assignments, slot))
            parts.append(row)
        if not parts:
            continue
        frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=loops.crs)
        label = f"Patrols {date:%a %d %b}" if date is not None else "Patrols"
        _GeoJsonLayer(
            _geojson(frame, ["aim", "popup"], simplify_m=cfg.simplify_m), name=label, style_js=style
        ).add_to(m)
        n += len(frame)
    return n


def _meeting_points(
    loops: gpd.GeoDataFrame, patrols: pd.DataFrame, cfg: MapConfig
) -> gpd.GeoDataFrame:
    rows = []
    for _, loop in loops.iterrows():
        geom = loop.geometry
        if geom is None or geom.is_empty:
            continue
        first = shapely.get_point(
            shapely.get_geometry(geom, 0) if geom.geom_type.startswith("Multi") else geom, 0
        )
        name = str(loop.get("meeting_point", "") or "Meeting point")
        body = "".join(f"<li>{_h(t)}</li>" for t in _patrol_lines(loop, patrols, cfg))
        rows.append(
            {"popup": f"<b>{_h(name)}</b><ul>{body}</ul>", "tip": name, "geometry": first}
        )
    return (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=loops.crs) if rows else gpd.GeoDataFrame()
    )


def _patrol_lines(loop: pd.Series, patrols: pd.DataFrame, cfg: MapConfig) -> list[str]:
    """A loop's patrols as plain text lines: "days, time · who"."""
    mine = patrols[patrols["loop_id"] == str(loop["loop_id"])]
    return [
        f"{days}, {times}" + (f" · {who}" if who else "")
        for _where, days, times, who in _notice_rows(mine, NOTICE_TEXT["en"], cfg)
    ]


def _add_notice(
    m: folium.Map,
    patrols: pd.DataFrame,
    *,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    kinds: Sequence[str] = (),
) -> None:
    sections = []
    for i, code in enumerate(cfg.languages):
        t = NOTICE_TEXT[code]
        intro = f"<p>{_h(t['intro'].format(who=_people_text(kinds, t)))}</p>"
        if len(patrols):
            body = "".join(
                "<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in row) + "</tr>"
                for row in _notice_rows(patrols, t, cfg)
            )
            table = (
                f"<table><thead><tr><th>{_h(t['where'])}</th><th>{_h(t['day'])}</th>"
                f"<th>{_h(t['time'])}</th><th>{_h(t['who'])}</th></tr></thead>"
                f"<tbody>{body}</tbody></table>"
            )
        else:
            table, intro = f"<p>{_h(t['none'])}</p>", ""  # nobody walks: no one to name
        contact = (
            f"<p><b>{_h(t['contact'].format(contact=cfg.contact))}</b></p>"
            if cfg.contact
            else ""
        )
        sections.append(
            f'<details lang="{_h(code)}"{" open" if i == 0 else ""}>'
            f"<summary>{_h(t['language'])}: "
            f"{_h(t['title'])}</summary>"
            f"<p><b>{_h(area_name)}</b> · "
            f"{_h(t['week'].format(week_start=week_start.strftime('%d/%m/%Y')))}</p>"
            f"{intro}{table}{contact}"
            f"<p>{_h(t['emergency'])}</p>"
            f"<p class='sc-small'>{_h(t['privacy'])}</p>"
            "</details>"
        )
    panel = (
        "<style>.sc-notice{position:fixed;top:10px;left:60px;z-index:1000;background:#fff;"
        "max-width:440px;max-height:55vh;overflow:auto;padding:6px 12px;border-radius:6px;"
        "box-shadow:0 1px 6px rgba(0,0,0,.4);font:13px/1.4 sans-serif}"
        ".sc-notice table{border-collapse:collapse;width:100%}.sc-notice td,.sc-notice th"
        "{border-bottom:1px solid #ddd;padding:2px 4px;text-align:left;vertical-align:top}"
        ".sc-notice summary{font-weight:bold;font-size:15px;cursor:pointer}"
        ".sc-small{font-size:11px;color:#555}</style>"
        f'<div class="sc-notice" id="sc-notice">{"".join(sections)}</div>'
    )
    _figure(m).html.add_child(folium.Element(panel))


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


def _figure(m: folium.Map) -> Figure:
    root = m.get_root()
    if not isinstance(root, Figure):
        raise CorridorsError("the map must be the root of a folium Figure to take page elements")
    return root


def _add_title(m: folium.Map, title: str) -> None:
    _figure(m).html.add_child(
        folium.Element(
            '<div id="sc-title" style="position:fixed;top:10px;left:50%;transform:translateX(-50%);'
            "z-index:1000;background:rgba(255,255,255,.9);padding:4px 12px;border-radius:4px;"
            f'font:bold 15px sans-serif">{_h(title)}</div>'
        )
    )


def _internal_legend(has_spots: bool, rota: Any | None) -> str:
    labels = ("lowest", "low", "middle", "high", "highest")
    rows = "".join(
        f'<div><span style="background:{c};display:inline-block;width:22px;height:6px;'
        f'margin-right:6px"></span>{lab} risk</div>'
        for c, lab in zip(_RISK_COLOURS, labels, strict=True)
    )
    aims = "".join(
        f'<div><span style="border-top:3px dashed {c};display:inline-block;width:22px;'
        f'margin-right:6px"></span>{_h(aim)}</div>'
        for aim, c in _AIM_COLOURS.items()
    )
    spot = (
        '<div><span style="background:#ef8a62;border:1px solid #b2182b;display:inline-block;'
        'width:20px;height:10px;margin-right:6px"></span>hotspot</div>'
        if has_spots
        else ""
    )
    loops = (
        f"<b>Patrol loops by aim</b>{aims}"
        if rota is not None
        else (
            f'<b>Patrol loops</b><div><span style="border-top:3px dashed {_LOOP_COLOUR};'
            'display:inline-block;width:22px;margin-right:6px"></span>not yet rostered</div>'
        )
    )
    return f"<b>Corridors (risk quintile)</b>{rows}{spot}{loops}"


def _add_legend(m: folium.Map, body: str) -> None:
    _figure(m).html.add_child(
        folium.Element(
            '<div id="sc-legend" style="position:fixed;bottom:70px;left:10px;z-index:1000;'
            "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:6px;"
            f'box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.5 sans-serif">{body}</div>'
        )
    )


def _fit(
    m: folium.Map,
    bounds: list[list[float]] | None,
    *,
    padding_top_left: tuple[int, int] | None = None,
) -> None:
    if bounds:
        fit = folium.map.FitBounds(bounds, padding_top_left=padding_top_left)
        # no zoom animation on open: the vector layers are drawn once, for the final view
        # (an animated first fit can leave them clipped to the start view until a pan)
        fit.options["animate"] = False
        m.add_child(fit)
        m.location = [
            round((bounds[0][0] + bounds[1][0]) / 2, 6),
            round((bounds[0][1] + bounds[1][1]) / 2, 6),
        ]


def _bounds_of_frames(frames: Sequence[gpd.GeoDataFrame]) -> list[list[float]] | None:
    geoms = []
    for frame in frames:
        if frame is not None and len(frame) and frame.crs is not None:
            geoms.append(frame.to_crs(4326).total_bounds)
    if not geoms:
        return None
    arr = np.array(geoms)
    return [
        [round(float(arr[:, 1].min()), 6), round(float(arr[:, 0].min()), 6)],
        [round(float(arr[:, 3].max()), 6), round(float(arr[:, 2].max()), 6)],
    ]


def _bounds_of(geoms: Sequence[Any], *, crs: str | None) -> list[list[float]] | None:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms or crs is None:
        return None
    return _bounds_of_frames([gpd.GeoDataFrame(geometry=geoms, crs=crs)])


# -- popups -------------------------------------------------------------------------------


def _point_popup(row: pd.Series, fields: Sequence[str]) -> str:
    """A school's or hub's fields as a two-column table (empty values as blanks)."""
    cells = []
    for field in fields:
        value = _json_value(row.get(field))
        cells.append(f"<tr><th>{_h(field)}</th><td>{_h('' if value is None else value)}</td></tr>")
    return f"<table>{''.join(cells)}</table>"


def _hotspot_popup(row: pd.Series) -> str:
    parts = [f"<b>Hotspot {_h(row.get('hotspot_id', ''))}</b>"]
    for key, label in (("weighted_count", "weighted incidents"), ("share", "share of area total")):
        if key in row and pd.notna(row[key]):
            parts.append(f"{label}: {float(row[key]):.2f}")
    if "offences" in row and isinstance(row["offences"], str):
        parts.append(f"offences: {_h(_offences_text(row['offences']))}")
    return "<br>".join(parts)


def _corridor_popup(row: pd.Series, team: str) -> str:
    parts = [f"<b>Corridor {_h(row.get('corridor_id', ''))}</b>"]
    if row.get("school_names"):
        parts.append(f"schools: {_h(row['school_names'])}")
    for key, label, fmt in (
        ("risk", "risk", "{:.2f}"),
        ("footfall", "footfall (routes)", "{:.0f}"),
        ("incidents", "incidents nearby (look-back; see the time note)", "{:.0f}"),
    ):
        value = row.get(key)
        if value is not None and pd.notna(value):
            parts.append(f"{label}: {fmt.format(float(value))}")
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


def _loop_popup(loop: pd.Series, slot: pd.Series | None, team: str) -> str:
    parts = [
        f"<b>Loop {_h(loop.get('loop_id', ''))}</b> "
        f"(corridor {_h(loop.get('corridor_id', ''))})"
    ]
    if loop.get("meeting_point"):
        parts.append(f"meet at: {_h(loop['meeting_point'])}")
    if slot is not None:
        parts.append(
            f"{_h(slot.get('day', ''))} {_h(slot.get('date', ''))}, "
            f"{_h(slot.get('start', ''))}–{_h(slot.get('end', ''))}"
        )
        if slot.get("aim"):
            parts.append(f"aim: {_h(slot['aim'])}")
        if "filled" in slot and not bool(slot["filled"]):
            parts.append("<b>NOT FILLED</b>")
        if isinstance(slot.get("problem"), str) and slot["problem"]:
            parts.append(f"<i>{_h(slot['problem'])}</i>")
        if isinstance(slot.get("police_contact"), str) and slot["police_contact"]:
            parts.append(f"police contact: {_h(slot['police_contact'])}")
    elif loop.get("start_time"):
        parts.append(f"starts {_h(loop['start_time'])}")
    for key, label, fmt in (
        ("duration_min", "minutes", "{:.0f}"),
        ("length_m", "metres", "{:,.0f}"),
        ("risk_share", "share of corridor risk", "{:.0%}"),
    ):
        value = loop.get(key)
        if value is not None and pd.notna(value):
            parts.append(f"{label}: {fmt.format(float(value))}")
    if team:
        parts.append(f"team: {_h(team)}")
    return "<br>".join(parts)


def _shared_loop_popup(loop: pd.Series, patrols: pd.DataFrame, cfg: MapConfig) -> str:
    """A walked loop on the shared page: its schools, meeting point and patrols; no counts."""
    parts = [f"<b>{_h(loop['school_names'])}</b>"] if loop.get("school_names") else []
    parts.append("Patrol route")
    if loop.get("meeting_point"):
        parts.append(f"{_h(NOTICE_TEXT['en']['where'])}: {_h(loop['meeting_point'])}")
    lines = _patrol_lines(loop, patrols, cfg)
    if lines:
        parts.append("<ul>" + "".join(f"<li>{_h(t)}</li>" for t in lines) + "</ul>")
    return "<br>".join(parts)


def _team_text(assignments: pd.DataFrame, slot: pd.Series) -> str:
    mine = assignments[assignments["loop_id"].astype(str) == str(slot["loop_id"])]
    if "date" in mine.columns and "date" in slot:
        mine = mine[[_as_date(d) == _as_date(slot["date"]) for d in mine["date"]]]
    return "; ".join(
        f"{r.get('name', r.get('person_id', ''))} ({_agency_label(r.get('agency', ''))})"
        for _, r in mine.iterrows()
    )


def _teams_by_corridor(rota: Any | None) -> dict[str, str]:
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


#: Roster agency / role codes -> words for the shared notice (others: "_" -> " ", capitalised).
AGENCY_LABELS = {
    "police_officer": "Police",
    "police": "Police",
    "pcso": "Police (PCSO)",
    "youth_worker": "Youth workers",
    "school_officer": "Police (school-linked officer)",
    "school_staff": "School staff",
    "volunteer": "Volunteers",
    "health": "Health service",
    "other": "Other local services",
}


def _agency_label(code: Any) -> str:
    text = str(code).strip()
    return AGENCY_LABELS.get(
        text.lower(), text.replace("_", " ")[:1].upper() + text.replace("_", " ")[1:]
    )


def _who(p: pd.Series, cfg: MapConfig) -> str:
    who = str(p["organisations"] or "")
    if cfg.show_names and p.get("names"):
        who = f"{who}: {p['names']}" if who else str(p["names"])
    return who


# -- data helpers -------------------------------------------------------------------------


def _geojson(
    frame: gpd.GeoDataFrame, columns: Sequence[str], *, simplify_m: float
) -> dict[str, Any]:
    """GeoJSON (EPSG:4326, 6 dp) of ``frame`` with only ``columns`` as properties."""
    if frame.crs is None:
        raise InputDataError(
            f"a map layer with columns {list(frame.columns)[:6]} has no CRS; set it (e.g. "
            "EPSG:27700) before drawing"
        )
    geoms = frame.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    frame = frame[ok]
    geoms = geoms[ok]
    if simplify_m > 0 and frame.crs.is_projected:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    gs = gpd.GeoSeries(geoms, crs=frame.crs).to_crs(4326)
    rounded = shapely.transform(gs.values, lambda xy: np.round(xy, 6))
    features = []
    for i, geom in enumerate(rounded):
        props = {c: _json_value(frame[c].iloc[i]) for c in columns if c in frame.columns}
        features.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": features}


def _compact_json(data: Any) -> str:
    """JSON with no spaces, safe inside a ``<script>`` element."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _json_value(value: Any) -> Any:
    if value is None or (np.isscalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 3)
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (Path, dt.date, dt.datetime, pd.Timestamp)):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _risk_classes(risk: pd.Series) -> list[int]:
    if risk.nunique() <= 1:
        return [2] * len(risk)
    ranks = risk.rank(method="average", pct=True)
    return [min(4, int((r - 1e-9) * 5)) for r in ranks]


def _offences_text(raw: str) -> str:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    if isinstance(data, dict):
        return ", ".join(
            f"{k} {v}" for k, v in sorted(data.items(), key=lambda kv: -float(kv[1] or 0))
        )
    return raw


def _first_values(series: pd.Series | None, n: int) -> list[str]:
    if series is None:
        return [""] * n
    out = []
    for v in series:
        if isinstance(v, (list, tuple)):
            v = v[0] if v else ""
        out.append("" if v is None or (np.isscalar(v) and pd.isna(v)) else str(v))
    return out


def _history_frame(frame: pd.DataFrame, week: str, *, like: pd.DataFrame | None) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(out.index, pd.MultiIndex) or out.index.name is not None:
        out = out.reset_index()
    out = out.reset_index(drop=True)
    for col in out.columns:
        if col == "geometry" or isinstance(out[col].dtype, gpd.array.GeometryDtype):
            continue
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.astype(str)
            continue
        out[col] = [None if v is None or (np.isscalar(v) and pd.isna(v)) else str(v) for v in s]
    out.insert(0, WEEK, week)
    if (
        isinstance(out, gpd.GeoDataFrame)
        and isinstance(like, gpd.GeoDataFrame)
        and like.crs is not None
        and out.crs is not None
        and out.crs != like.crs
    ):
        out = out.to_crs(like.crs)
    return out


def _write_layer(table: pd.DataFrame, path: Path, layer: str) -> None:
    if (
        isinstance(table, gpd.GeoDataFrame)
        and "geometry" in table.columns
        and table.geometry.notna().any()
    ):
        gdf = gpd.GeoDataFrame(table, geometry="geometry", crs=table.crs)
        pyogrio.write_dataframe(
            gdf, path, layer=layer, driver="GPKG", promote_to_multi=True, append=path.exists()
        )
    else:
        plain = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
        pyogrio.write_dataframe(plain, path, layer=layer, driver="GPKG", append=path.exists())


def _week_start(week: str) -> dt.date:
    match = _WEEK_RE.match(str(week))
    if not match:
        raise ConfigError(f"map week must look like '2022-W45', got {week!r}")
    try:
        return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ConfigError(f"map week {week!r} does not exist ({exc})") from exc


def _as_date(value: Any) -> dt.date | None:
    if value is None or (np.isscalar(value) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day: dt.date = pd.Timestamp(value).date()
        return day
    except (ValueError, TypeError):
        return None


def _add_minutes(hhmm: str, minutes: Any) -> str:
    if not re.fullmatch(r"\d{1,2}:\d{2}", hhmm or "") or minutes is None or pd.isna(minutes):
        return ""
    h, mm = (int(x) for x in hhmm.split(":"))
    total = h * 60 + mm + round(float(minutes))
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def _sort_key(col: pd.Series) -> pd.Series:
    return col.map(lambda v: "" if v is None else str(v))


# -- asset inlining -----------------------------------------------------------------------

_SCRIPT_TAG = re.compile(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>')
_LINK_TAG = re.compile(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>')

#: Folium asset names -> vendored files (relative to ASSET_DIR); [] means dropped.
_JS_FILES: dict[str, list[str]] = {
    "leaflet": ["leaflet/dist/leaflet.js"],
    "jquery": [],
    "bootstrap": [],
    "awesome_markers": ["leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js"],
    "Control_MiniMap_js": ["leaflet-minimap/dist/Control.MiniMap.min.js"],
    "Leaflet.Search.js": ["leaflet-search/dist/leaflet-search.min.js"],
    "leaflet-heat.js": ["leaflet.heat/dist/leaflet-heat.js"],
}
_CSS_FILES: dict[str, list[str]] = {
    "leaflet_css": ["leaflet/dist/leaflet.css"],
    "bootstrap_css": [],
    "glyphicons_css": [],
    "awesome_markers_font_css": [
        "fontawesome-free/css/fontawesome.min.css",
        "fontawesome-free/css/solid.min.css",
    ],
    "awesome_markers_css": ["leaflet.awesome-markers/dist/leaflet.awesome-markers.css"],
    "awesome_rotate_css": [],
    "Control_MiniMap_css": ["leaflet-minimap/dist/Control.MiniMap.min.css"],
    "Leaflet.Search.css": ["leaflet-search/dist/leaflet-search.min.css"],
}
_URL_NAMES: dict[str, str] = {
    url: name
    for cls in (folium.Map, folium.plugins.MiniMap, folium.plugins.Search, folium.plugins.HeatMap)
    for name, url in [*cls.default_js, *cls.default_css]
}
_ICON_URLS = {
    url
    for url, name in _URL_NAMES.items()
    if name
    in ("awesome_markers", "awesome_markers_css", "awesome_markers_font_css", "awesome_rotate_css")
}


def _asset_for(url: str, table: Mapping[str, list[str]]) -> list[str] | None:
    name = _URL_NAMES.get(url)
    if name is None or name not in table:
        raise CorridorsError(
            f"map page links {url}, which is not vendored; add it to scripts/vendor_assets.sh "
            "and corridors.maps._JS_FILES/_CSS_FILES"
        )
    return table[name]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        mime = "font/woff2"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    css = re.sub(r",\s*url\([^)]*\.ttf\)\s*format\([\"']truetype[\"']\)", "", css)
    # retina sprites (@2x) are left out to keep pages small; the 1x sprite still shows
    css = re.sub(
        r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}",
        lambda mt: "" if "@2x" in mt.group(0) else mt.group(0),
        css,
    )

    def repl(match: re.Match[str]) -> str:
        ref = match.group(1).strip("'\"")
        if ref.startswith(("data:", "#", "http")):
            return match.group(0)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not target.exists():
            return match.group(0)
        return f'url("{_data_uri(target)}")'

    return re.sub(r"url\(([^)]+)\)", repl, css)


_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)


def _safe_script(js: str) -> str:
    """JavaScript that cannot end its ``<script>`` element early (``</script`` in any case)."""
    return _SCRIPT_END.sub(r"<\\/\1", js)


@functools.cache
def _icon_default_js() -> str:
    img = ASSET_DIR / "leaflet" / "dist" / "images"
    return (
        ";L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({"
        f"iconUrl:'{_data_uri(img / 'marker-icon.png')}',"
        f"iconRetinaUrl:'{_data_uri(img / 'marker-icon-2x.png')}',"
        f"shadowUrl:'{_data_uri(img / 'marker-shadow.png')}'}});"
    )


def vendored_files() -> dict[str, str]:
    """Return ``{relative path: sha256}`` of the vendored assets (for manifests and checks)."""
    return {
        p.relative_to(ASSET_DIR).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ASSET_DIR.rglob("*"))
        if p.is_file() and p.name != "SHA256SUMS"
    }


__all__ = [
    "HISTORY_LAYERS",
    "NOTICE_TEXT",
    "PEOPLE_KINDS",
    "SHARED_CORRIDOR_COLUMNS",
    "SHARED_COUNT_COLUMNS",
    "BrowserNotFoundError",
    "append_history",
    "find_chromium",
    "inline_assets",
    "render_internal_map",
    "render_shared_map",
    "rostered_kinds",
    "save_offline",
    "shared_corridor_table",
    "shared_loops",
    "shared_patrols",
    "take_screenshot",
    "write_index",
    "write_manifest",
    "write_week",
]
