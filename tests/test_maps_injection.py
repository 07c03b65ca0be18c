"""Injection tests: hostile text in every field stays text on every page the tool writes.

OSM names are crowd-edited and staff, agencies, meeting points and notes are typed by
people, so every text field of tiny hand-made stage objects holds script payloads. The pages
(internal map, shared map, the index and the roster's printable day sheets) are opened in
headless Chromium, offline, and driven: every tooltip is hovered, every popup clicked, the
layer control opened, the "Find a school" search typed into and its results clicked. No
payload may run (``window.__pwn`` stays undefined, no dialog), no markup may be injected
(no ``img[src=x]``, no ``on*`` attribute, no script/svg/img inside a popup, tooltip, control
or panel, no ``javascript:`` link), and the payload must still be readable as text, escaped
exactly once ("St Mary's & Co" reads as such).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from corridors import maps
from corridors.config import MapConfig, RosterConfig, SolverParams
from corridors.hotspots import Hotspots
from corridors.load import Inputs
from corridors.maps.escape import _compact_json, _h, _href, _safe_script
from corridors.maps.i18n import _agency_label
from corridors.roster import Roster, make_roster, staff_from_records, write_roster_exports
from corridors.routes import Corridors

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the browser tests skip (or fail under CI) without playwright
    PlaywrightTimeoutError = TimeoutError

CRS = "EPSG:27700"
WEEK = "2022-W45"
MONDAY = dt.date(2022, 11, 7)

PAYLOADS = (
    "<script>window.__pwn=1</script>",
    '"><img src=x onerror="window.__pwn=1">',
    "javascript:window.__pwn=1",
    "</script><script>window.__pwn=1</script>",
    '<svg onload="window.__pwn=1">',
    "' onmouseover='window.__pwn=1",
)
#: Payloads with no "/" (they can be folder names).
FOLDER_PAYLOADS = tuple(p for p in PAYLOADS if "/" not in p)


def evil(label: str) -> str:
    """The text of one field: a label, an apostrophe and an ampersand, then every payload."""
    return f"{label} St Mary's & Co " + " ".join(PAYLOADS)


def agency(label: str) -> str:
    """An agency as the maps show it (codes become words: "_" -> " ")."""
    return _agency_label(evil(label))


CONTACT = "javascript:window.__pwn=1 " + evil("Contact")


def _translation(prefix: str) -> dict[str, str]:
    """A notice translation whose every string carries the payloads (placeholders kept)."""
    out = {}
    for key, text in maps.NOTICE_TEXT["en"].items():
        out[key] = " ".join([*re.findall(r"{\w+}", text), evil(f"{prefix}-{key}")])
    return out


EN = _translation("en")
ZZ = _translation("zz")
CFG = MapConfig(
    online_tiles=False,
    languages=("en", "cy", "zz"),
    contact=CONTACT,
    show_names=True,
    min_shared_count=1,
)


# -- hand-made stage objects with a payload in every text field ---------------------------


def _world() -> dict[str, Any]:
    lines = [
        LineString([(486000, 308700), (486200, 308700)]),
        LineString([(486200, 308700), (486200, 308900)]),
        LineString([(486000, 308700), (486000, 308500)]),
    ]
    edges = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "residential"], "name": [evil("Street")] * 3},
        geometry=lines,
        crs=CRS,
    )
    street = SimpleNamespace(edges=edges, source="tests", source_sha256="0" * 64)
    schools = gpd.GeoDataFrame(
        {
            "school_id": [evil("SchoolId"), "s2"],
            "name": [evil("School"), evil("Other school")],
            "phase": [evil("Phase"), "primary"],
            "source": ["t", "t"],
        },
        geometry=[Point(486000, 308700), Point(486000, 308520)],
        crs=CRS,
    )
    hubs = gpd.GeoDataFrame(
        {"hub_id": [evil("HubId")], "name": [evil("Hub")], "kind": [evil("HubKind")]},
        geometry=[Point(486200, 308900)],
        crs=CRS,
    )
    incidents = gpd.GeoDataFrame(
        {"incident_id": ["p:2"], "offence": [evil("Offence")], "month": ["2022-10"]},
        geometry=[Point(486101, 308712)],
        crs=CRS,
    )
    inputs = Inputs(
        crs=CRS,
        timezone="Europe/London",
        study_area=box(485900, 308400, 486300, 309000),
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=(),
        rejects=pd.DataFrame(),
    )
    cid, lid = evil("CorridorId"), evil("LoopId")
    offences = json.dumps({evil("Offence"): 2})
    cor = gpd.GeoDataFrame(
        {
            "corridor_id": [cid],
            "school_ids": [evil("SchoolId")],
            "school_names": [evil("SchoolNames")],
            "risk": [3.5],
            "incidents": [2],
            "offences": [offences],
            "time_note": [evil("TimeNote")],
            "reason": [evil("Reason")],
            "patrolled": [True],
        },
        geometry=[lines[0]],
        crs=CRS,
    )
    loops = gpd.GeoDataFrame(
        {
            "loop_id": [lid],
            "corridor_id": [cid],
            "meeting_point": [evil("MeetingPoint")],
            "start_time": ["15:15"],
            "duration_min": [20.0],
            "length_m": [800.0],
            "risk_share": [1.0],
        },
        geometry=[LineString([*lines[0].coords, *lines[1].coords[1:]])],
        crs=CRS,
    )
    corridors = Corridors(
        corridors=cor,
        segments=gpd.GeoDataFrame(geometry=[], crs=CRS),
        loops=loops,
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=(),
    )
    spots = Hotspots(
        selected=incidents.assign(weight=[1.0], cluster=[0]),
        polygons=gpd.GeoDataFrame(
            {
                "hotspot_id": [evil("HotspotId")],
                "weighted_count": [1.5],
                "share": [1.0],
                "offences": [offences],
            },
            geometry=[Point(486150, 308760).buffer(80)],
            crs=CRS,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="dbscan",
        params={},
        time_known=False,
        notes=(),
    )
    slots, rows = [], []
    for d, filled in ((MONDAY, True), (MONDAY + dt.timedelta(days=1), False)):
        slots.append(
            {
                "slot_id": f"{lid}-{d}",
                "date": d,
                "day": evil(f"Day{d.day}"),
                "start": "15:15",
                "end": "16:00",
                "loop_id": lid,
                "corridor_id": cid,
                "aim": evil("Aim"),
                "filled": filled,
                "police_contact": evil("PoliceContact"),
                "problem": "" if filled else evil("Problem"),
            }
        )
        if filled:
            for pid in ("1", "2"):
                rows.append(
                    {
                        "person_id": evil(f"PersonId{pid}"),
                        "name": evil(f"Staff{pid}"),
                        "agency": evil(f"Agency{pid}"),
                        "date": d,
                        "day": evil(f"Day{d.day}"),
                        "start": "15:15",
                        "end": "16:00",
                        "loop_id": lid,
                        "corridor_id": cid,
                        "meeting_point": evil("MeetingPoint"),
                        "aim": evil("Aim"),
                        "team": "T1",
                    }
                )
    rota = Roster(
        assignments=pd.DataFrame(rows),
        slots=pd.DataFrame(slots),
        problems=(evil("Problem"),),
        status="OPTIMAL",
        objective=0.0,
        bound=0.0,
        gap=0.0,
    )
    return {
        "street": street, "inputs": inputs, "corridors": corridors, "spots": spots, "rota": rota
    }


#: Where each field's text must be readable on the internal map.
INTERNAL_TEXTS = (
    [evil(f) for f in ("School", "Other school", "Phase", "SchoolId", "Hub", "HubKind", "HubId")]
    + [evil(f) for f in ("HotspotId", "Offence", "CorridorId", "SchoolNames", "TimeNote")]
    + [evil(f) for f in ("Reason", "LoopId", "MeetingPoint", "Day7", "Day8", "Aim", "Problem")]
    + [evil(f) for f in ("PoliceContact", "Staff1", "Staff2", "Title")]
    + [agency("Agency1"), agency("Agency2")]
)
#: Translation keys a page with a roster does not show: the notice names only the kinds of
#: people rostered (here "other": the agencies are not roster codes), so one kind, no "and".
_NOT_SHOWN = (
    "day",  # the notice's days are headings (Babel's names), not a column
    "map_label",  # aria-labels (attributes, escaped), not text on the page
    "toggle",
    "none",
    "every_school_day",
    "and",
    *(k for k in maps.NOTICE_TEXT["en"] if k.startswith("people_") and k != "people_other"),
)
SHARED_TEXTS = (
    [evil(f) for f in ("SchoolNames", "MeetingPoint", "Staff1", "Staff2", "Area", "Contact")]
    + [agency("Agency1"), agency("Agency2"), CONTACT]
    + [evil(f"en-{k}") for k in EN if k not in _NOT_SHOWN]
    + [
        evil(f"zz-{k}")
        for k in ZZ
        if k not in (*_NOT_SHOWN, "routes", "meeting_points", "streets")
    ]  # layers are named in English
)


# -- the pages ----------------------------------------------------------------------------


def _day_sheet_roster() -> tuple[Roster, Corridors]:
    """A real roster (the solver) of payload-named schools and staff: one filled, one not."""
    rows, cors = [], []
    for i, start in enumerate(("15:15", "16:30")):
        x = i * 1000
        geom = LineString([(x, 0), (x + 200, 0), (x + 200, 200), (x, 0)])
        cid = evil(f"Corridor{i}")
        rows.append(
            {"loop_id": evil(f"Loop{i}"), "corridor_id": cid, "school_ids": f"osm:{i}",
             "meeting_point": evil(f"Gate{i}"), "meeting_kind": "school", "start_time": start,
             "duration_min": 40, "length_m": 1000.0, "risk_covered": 10.0, "risk_share": 1.0,
             "geometry": geom}
        )  # fmt: skip
        cors.append(
            {"corridor_id": cid, "school_ids": f"osm:{i}", "school_names": evil(f"Sheet school{i}"),
             "risk": 10.0, "incidents": 0, "offences": "{}", "reason": "", "patrolled": True,
             "geometry": geom}
        )  # fmt: skip
    corridors = Corridors(
        corridors=gpd.GeoDataFrame(cors, crs=CRS),
        segments=gpd.GeoDataFrame(),
        loops=gpd.GeoDataFrame(rows, crs=CRS),
        unpatrolled=pd.DataFrame(),
        notes=(),
    )
    staff = staff_from_records(
        [
            {"person_id": "Y1", "name": evil("Youth"), "agency": "youth_worker",
             "availability": "Mon 15:00-16:15"},
            {"person_id": "T1", "name": evil("Teacher"), "agency": "school_staff",
             "availability": "Mon 15:00-16:15"},
            {"person_id": "O1", "name": evil("Officer"), "agency": "police_officer",
             "availability": "Mon 15:00-16:15", "max_hours_week": 0.5},
        ]
    )
    cfg = RosterConfig(days=(0,), solver=SolverParams(seconds=1.0))
    return make_roster(corridors, staff, cfg, week_start=MONDAY), corridors


SHEET_TEXTS = [evil(f) for f in ("Loop0", "Loop1", "Gate0", "Gate1", "Youth", "Teacher")] + [
    evil(f) for f in ("Officer", "Sheet school0", "Sheet school1")
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("injection")
    w = _world()
    internal = maps.render_internal_map(
        inputs=w["inputs"],
        street=w["street"],
        spots=w["spots"],
        corridors=w["corridors"],
        rota=w["rota"],
        cfg=CFG,
        week=WEEK,
        title=evil("Title"),
    )
    with pytest.MonkeyPatch.context() as mp:  # translations are strings people contribute
        mp.setitem(maps.NOTICE_TEXT, "en", EN)
        mp.setitem(maps.NOTICE_TEXT, "zz", ZZ)
        shared = maps.render_shared_map(
            street=w["street"],
            corridors=w["corridors"],
            rota=w["rota"],
            cfg=CFG,
            week=WEEK,
            area_name=evil("Area"),
        )
        shared_page = maps.save_offline(shared, out / "shared.html")
    # the index lists folders: hostile area names and a hostile run time in the manifest
    root = out / "maps"
    for area in FOLDER_PAYLOADS:
        week_dir = root / area / WEEK
        week_dir.mkdir(parents=True)
        for name in ("internal.html", "shared.html"):
            (week_dir / name).write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
        (week_dir / "manifest.json").write_text(json.dumps({"run_at": evil("RunAt")}))
    rota, corridors = _day_sheet_roster()
    written = write_roster_exports(rota, corridors, out / "roster")
    return {
        "internal": maps.save_offline(internal, out / "internal.html"),
        "shared": shared_page,
        "index": maps.write_index(root),
        "days": next(p for p in written if p.suffix == ".html"),
    }


# -- what the browser checks ----------------------------------------------------------------

#: Markup the payloads would create; none of it may exist (Leaflet's own elements excepted).
_INJECTED_JS = """() => {
  const bad = [];
  if (window.__pwn !== undefined) bad.push('window.__pwn is set');
  for (const el of document.querySelectorAll('img[src="x"]')) bad.push('img[src=x]');
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      if (/^on/i.test(a)) bad.push(`<${el.tagName.toLowerCase()} ${a}>`);
    }
  }
  const zones = ['.leaflet-popup', '.leaflet-tooltip', '.leaflet-control-layers',
    '.leaflet-control-search', '#sc-notice', '#sc-title', '#sc-legend', 'table', 'h1', 'h2',
    'title'].join(', ');
  for (const el of document.querySelectorAll(
      `:is(${zones}) :is(script, svg, img, iframe, object, embed, style, link, base)`)) {
    bad.push(`injected <${el.tagName.toLowerCase()}> in ${el.parentElement.className}`);
  }
  for (const el of document.querySelectorAll('script')) {
    if (el.parentElement !== document.head && el.parentElement !== document.body) {
      bad.push('a script element inside the page body');
    }
  }
  for (const a of document.querySelectorAll('a[href], area[href], [xlink\\\\:href]')) {
    const href = a.getAttribute('href') || '';
    if (!/^(#|https?:|mailto:|tel:|file:|[^:]*$)/i.test(href.trim())) {  // no javascript:
      bad.push(`link to ${href}`);
    }
  }
  return bad;
}"""

#: Tag every feature with a tooltip or popup (so each can be hovered and clicked).
_FEATURES_JS = """() => {
  const out = [];
  for (const k of Object.keys(window)) {
    const v = window[k];
    if (!(v instanceof L.GeoJSON) || !v._map) continue;
    v.eachLayer((sub) => {  // bound to the feature, or to its layer (then shown on it too)
      const el = sub._icon || sub._path;
      const tip = !!(sub.getTooltip() || v.getTooltip());
      const popup = !!(sub.getPopup() || v.getPopup());
      if (!el || !(tip || popup)) return;
      el.setAttribute('data-sc-test', String(out.length));
      out.push({id: out.length, tip: tip, popup: popup});
    });
  }
  return out;
}"""
_CLOSE_POPUPS_JS = """() => { for (const k of Object.keys(window)) {
  if (window[k] instanceof L.Map) window[k].closePopup(); } }"""
_TEXTS_JS = "(els) => els.map((e) => e.textContent)"


def _texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, _TEXTS_JS)


def _check(page: Any, bad: list[str]) -> None:
    bad.extend(page.evaluate(_INJECTED_JS))


def _hover_and_click_everything(page: Any, bad: list[str], n_features: int) -> list[str]:
    """Hover every feature with a tooltip and click every one with a popup; their texts."""
    seen: list[str] = []
    features = page.evaluate(_FEATURES_JS)
    assert len(features) == n_features, features
    for f in features:
        el = page.locator(f'[data-sc-test="{f["id"]}"]')
        if f["tip"]:
            el.dispatch_event("mouseover")
            tips = _texts(page, ".leaflet-tooltip")
            assert tips, f"no tooltip on hover of feature {f}"
            seen += tips
            _check(page, bad)
            el.dispatch_event("mouseout")
        if f["popup"]:
            el.dispatch_event("click")
            popups = _texts(page, ".leaflet-popup-content")
            assert popups, f"no popup on click of feature {f}"
            seen += popups
            _check(page, bad)
            page.evaluate(_CLOSE_POPUPS_JS)
    return seen


def _search(page: Any, text: str) -> Any:
    """Type ``text`` into "Find a school" (key by key, as a person does); the results."""
    box = page.locator(".leaflet-control-search input.search-input")
    box.fill("")
    box.press_sequentially(text, delay=5)
    page.wait_for_selector(".search-tip", timeout=5000)
    return page.locator(".search-tip")


def _assert_inert(report: Any, bad: list[str], page: Any) -> None:
    _check(page, bad)
    assert bad == []  # what was injected, if anything
    assert page.evaluate("() => window.__pwn") is None
    assert report.dialogs == []
    assert report.errors == []


def _assert_readable(expected: list[str], seen: list[str]) -> None:
    text = "\n".join(seen)
    missing = [t[:40] for t in expected if t not in text]
    assert missing == [], f"payload text not shown as text: {missing}"
    for ref in ("&lt;", "&gt;", "&amp;", "&quot;", "&#x27;", "&#39;"):
        assert ref not in text, f"{ref} shown: text escaped twice"


# -- tests ------------------------------------------------------------------------------------


def test_pages_embed_no_live_payload(pages: dict[str, Path]) -> None:
    """Without a browser: no payload can end a <script>, and no link is built from data."""
    for name in ("internal", "shared"):
        page = pages[name].read_text(encoding="utf-8")
        assert "</script><script>window.__pwn" not in page, name
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.I), name
    index = pages["index"].read_text(encoding="utf-8")
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", index, re.I)


def test_escape_helpers_round_trip() -> None:
    text = "St Mary's & Co " + " ".join(PAYLOADS)
    embedded = _compact_json({"name": text})
    assert "</" not in embedded and "<!--" not in embedded
    assert json.loads(embedded) == {"name": text}
    assert "<" not in _h(text) and '"' not in _h(text) and "'" not in _h(text)
    assert _href("javascript:x/2022-W45/a.html").startswith("javascript%3Ax/")
    assert "</script" not in _safe_script("a='</SCRIPT>'; b='</script>'").lower()


@pytest.mark.browser
def test_internal_map_shows_payloads_only_as_text(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    bad: list[str] = []
    with offline_browser.page(pages["internal"]) as (page, report):
        # hotspot, corridor, the loop on two days, hub, two schools
        seen = _hover_and_click_everything(page, bad, n_features=7)
        # the layer control (open on this page)
        seen += _texts(page, ".leaflet-control-layers-list")
        _check(page, bad)
        # "Find a school": type part of a payload, click every result
        tips = _search(page, "<img src=x")
        assert tips.count() == 2  # both schools match
        for i in range(2):
            tips = _search(page, "<img src=x") if i else tips
            seen += _texts(page, ".search-tip")
            _check(page, bad)
            tips.nth(i).click()
            try:
                page.wait_for_selector(".leaflet-popup-content", timeout=3000)
            except PlaywrightTimeoutError:
                bad.append(f"search result {i} opened no popup")
            seen += _texts(page, ".leaflet-popup-content")
            _check(page, bad)
            page.evaluate(_CLOSE_POPUPS_JS)
        seen += _texts(page, "#sc-title, #sc-legend")
        _assert_inert(report, bad, page)
    _assert_readable(INTERNAL_TEXTS, seen)


@pytest.mark.browser
def test_shared_map_shows_payloads_only_as_text(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    bad: list[str] = []
    with offline_browser.page(pages["shared"]) as (page, report):
        seen = _hover_and_click_everything(page, bad, n_features=2)  # route, meeting point
        page.hover(".leaflet-control-layers")  # collapsed here: opens on hover
        page.wait_for_selector(".leaflet-control-layers-expanded", timeout=5000)
        seen += _texts(page, ".leaflet-control-layers-list")
        _check(page, bad)
        page.mouse.move(600, 790)  # leave the layer control (it collapses)
        closed = page.locator("#sc-notice details:not([open]) > summary")
        # the first language starts open
        assert page.locator("#sc-notice .sc-lang:not([open])").count() == len(CFG.languages) - 1
        while closed.count():
            closed.first.dispatch_event("click")  # opens the other languages, one by one
        assert page.locator("#sc-notice details:not([open])").count() == 0
        seen += _texts(page, "#sc-notice")
        _assert_inert(report, bad, page)
    _assert_readable(SHARED_TEXTS, seen)


@pytest.mark.browser
def test_index_lists_hostile_folder_names_as_text(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    bad: list[str] = []
    with offline_browser.page(pages["index"]) as (page, report):
        # click every link; a file link is kept from leaving the page, a script link would run
        page.evaluate(
            """() => document.addEventListener('click', (e) => {
                 const a = e.target.closest('a');
                 if (a && a.protocol === 'file:') e.preventDefault();
               }, true)"""
        )
        for link in page.locator("a").all():
            link.click()
        seen = _texts(page, "td")
        hrefs = page.eval_on_selector_all("a", "(els) => els.map((a) => a.href)")
        _assert_inert(report, bad, page)
    assert len(hrefs) == 3 * len(FOLDER_PAYLOADS)
    assert all(h.startswith(pages["index"].parent.as_uri() + "/") for h in hrefs), hrefs
    _assert_readable([*FOLDER_PAYLOADS, evil("RunAt")], seen)


@pytest.mark.browser
def test_day_sheets_show_payloads_only_as_text(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    bad: list[str] = []
    with offline_browser.page(pages["days"]) as (page, report):
        assert page.locator("section.slot svg polyline").count() == 2  # the loops' drawings
        seen = _texts(page, "body")
        _assert_inert(report, bad, page)
    _assert_readable(SHEET_TEXTS, seen)
    assert "NOT FILLED" in seen[0] and "police contact" in seen[0].lower()
