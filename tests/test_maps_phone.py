"""The shared page on a phone and a desktop, in real headless Chromium (network blocked).

A hand-made week in two towns 9 km apart (as Oakham and Uppingham): the map opens fitted to
both routes in the space the notice sheet leaves, the sheet covers less than half the map,
axe-core finds nothing serious, right-to-left languages lay out right to left, dates follow
each language, and the notice names only the kinds of people rostered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from test_maps import CRS, WEEK, _roster, _street_from_edges, _tiny_world

from corridors import maps
from corridors.config import MapConfig
from corridors.roster import Roster
from corridors.routes import Corridors

try:
    from browser import axe_violations, png_is_blank
except ImportError:
    from tests.browser import axe_violations, png_is_blank

PHONE, DESKTOP = (390, 844), (1400, 900)
SOUTH_M = 9000.0  # the second town, due south
CFG = MapConfig(online_tiles=False, languages=("en", "cy", "ar", "ur"), contact="Rutland NPT, 101")
#: Both the routes' and the rostered: PCSOs and youth workers, nobody else.
AGENCIES = ("pcso", "youth_worker")


def _two_towns() -> tuple[Any, Corridors, Roster]:
    """The tiny Oakham world and a copy 9 km south, one loop each, both walked every day."""
    tiny = _tiny_world()
    edges = tiny["street"].edges.reset_index()  # type: ignore[attr-defined]
    edges = edges[edges["u"] < edges["v"]]  # one direction: _street_from_edges adds the other
    far = edges.assign(u=edges["u"] + 100, v=edges["v"] + 100)
    far = far.set_geometry(far.translate(0, -SOUTH_M))
    street = _street_from_edges(gpd.GeoDataFrame(pd.concat([edges, far]), crs=CRS))
    base: Corridors = tiny["corridors"]  # type: ignore[assignment]
    cor2 = base.corridors.assign(corridor_id="C2", school_names="Uppingham Test School")
    cor2 = cor2.set_geometry(cor2.translate(0, -SOUTH_M))
    loop2 = base.loops.assign(loop_id="C2-L1", corridor_id="C2", meeting_point="Uppingham gate")
    loop2 = loop2.set_geometry(loop2.translate(0, -SOUTH_M))
    corridors = dataclasses.replace(
        base,
        corridors=gpd.GeoDataFrame(pd.concat([base.corridors, cor2], ignore_index=True), crs=CRS),
        loops=gpd.GeoDataFrame(pd.concat([base.loops, loop2], ignore_index=True), crs=CRS),
    )
    rota = _roster(
        ["C1-L1", "C2-L1"],
        {"C1-L1": "C1", "C2-L1": "C2"},
        {"C1-L1": "Oakham Test School gate", "C2-L1": "Uppingham gate"},
    )
    people = rota.assignments.assign(
        agency=[AGENCIES[i % 2] for i in range(len(rota.assignments))],
        slot_id=[f"{a.loop_id}-{a.date}" for a in rota.assignments.itertuples()],  # as _roster
    )
    return street, corridors, dataclasses.replace(rota, assignments=people)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("phone")
    street, corridors, rota = _two_towns()
    written = {}
    for name, languages in (("shared", CFG.languages), ("arabic", ("ar", "en"))):
        m = maps.render_shared_map(
            street=street, corridors=corridors, rota=rota, week=WEEK, area_name="Rutland",
            cfg=dataclasses.replace(CFG, languages=languages), timezone="Europe/London",
        )  # fmt: skip
        written[name] = maps.save_offline(m, out / f"{name}.html")
    return written


_BOXES_JS = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const map = document.querySelector(".folium-map"), sheet = document.getElementById("sc-notice");
  const routes = [...document.querySelectorAll("path.leaflet-interactive")]
    .filter((p) => p.getAttribute("stroke") === "#2166ac").map(box);
  const controls = [...document.querySelectorAll(".leaflet-control")]
    .filter((c) => c.offsetParent !== null && c.getBoundingClientRect().width > 0).map(box);
  const minimap = document.querySelector(".leaflet-control-minimap");
  const small = [...sheet.querySelectorAll("p, td, th, summary, h1, h2, h3, b, button")]
    .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 16).map((e) => e.tagName);
  return {map: box(map), sheet: box(sheet), routes, controls, small,
          minimap: !!minimap && minimap.offsetParent !== null,
          open: [...sheet.querySelectorAll(".sc-lang[open] .sc-day[open]")].map((d) => d.dataset.date)};
}"""


def _area(b: dict[str, float]) -> float:
    return max(0.0, b["right"] - b["left"]) * max(0.0, b["bottom"] - b["top"])


def _overlap(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {
        "left": max(a["left"], b["left"]), "top": max(a["top"], b["top"]),
        "right": min(a["right"], b["right"]), "bottom": min(a["bottom"], b["bottom"]),
    }  # fmt: skip


def _visible_map(boxes: dict[str, Any], phone: bool) -> dict[str, float]:
    """The map's box minus the sheet: above it on a phone, beside it on a desktop."""
    view, sheet = dict(boxes["map"]), boxes["sheet"]
    if phone:
        view["bottom"] = sheet["top"]
    elif sheet["left"] < (view["left"] + view["right"]) / 2:
        view["left"] = sheet["right"]
    else:
        view["right"] = sheet["left"]
    return view


@pytest.mark.browser
@pytest.mark.parametrize(("name", "size"), [("shared", PHONE), ("shared", DESKTOP),
                                            ("arabic", PHONE), ("arabic", DESKTOP)])  # fmt: skip
def test_the_map_opens_on_the_routes_beside_the_sheet(
    pages: dict[str, Path], offline_browser: Any, name: str, size: tuple[int, int]
) -> None:
    phone = size == PHONE
    with offline_browser.page(pages[name], size=size) as (page, report):
        boxes = page.evaluate(_BOXES_JS)
        png = page.screenshot()
    assert not report.errors and not report.blocked
    assert not png_is_blank(png)
    view = _visible_map(boxes, phone)
    assert len(boxes["routes"]) == 2  # the two towns' loops
    for route in boxes["routes"]:  # every drawn route lies where the sheet leaves the map
        assert route["left"] >= view["left"] and route["right"] <= view["right"], (route, view)
        assert route["top"] >= view["top"] and route["bottom"] <= view["bottom"], (route, view)
    # fitted, not lost in a corner: the routes span a good part of the free height
    span = max(r["bottom"] for r in boxes["routes"]) - min(r["top"] for r in boxes["routes"])
    assert span > 0.4 * (view["bottom"] - view["top"])
    sheet_on_map = _area(_overlap(boxes["sheet"], boxes["map"]))
    assert sheet_on_map < 0.5 * _area(boxes["map"])
    assert not [c for c in boxes["controls"] if _area(_overlap(c, boxes["sheet"])) > 0]
    assert boxes["small"] == []  # every text of the sheet at 16 px or more
    assert boxes["minimap"] is (not phone)


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE, DESKTOP])
def test_axe_finds_nothing_serious(
    pages: dict[str, Path], offline_browser: Any, size: tuple[int, int]
) -> None:
    for name in ("shared", "arabic"):
        with offline_browser.page(pages[name], size=size) as (page, _report):
            found = axe_violations(page)
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        assert serious == [], (name, serious)


def test_a_screen_reader_reaches_the_notice_first(pages: dict[str, Path]) -> None:
    page = pages["shared"].read_text(encoding="utf-8")
    assert '<html lang="en" dir="ltr">' in page
    assert "<title>Rutland: Safer walks home from school</title>" in page
    main = page.index('<main class="sc-notice"')
    assert main < page.index('<div class="folium-map"')  # the text alternative comes first
    assert page.count("<h1") == 1 and "<table>" in page[main:] and "<th scope='col'>" in page
    assert "user-scalable=no" not in page and "maximum-scale" not in page


@pytest.mark.browser
@pytest.mark.parametrize(
    ("now", "day"),
    [
        (dt.datetime(2022, 11, 9, 8, 0), "2022-11-09"),  # Wednesday of the week: today
        (dt.datetime(2022, 11, 1, 8, 0), "2022-11-07"),  # the week before: its first day
        (dt.datetime(2022, 11, 12, 8, 0), "2022-11-07"),  # after it: the first day
    ],
)
def test_the_sheet_opens_on_today(
    pages: dict[str, Path], offline_browser: Any, now: dt.datetime, day: str
) -> None:
    with offline_browser.page(pages["shared"], size=PHONE, now=now) as (page, _report):
        opened = page.evaluate(_BOXES_JS)["open"]
        button = page.locator(".sc-toggle")
        button.click()  # fold the sheet away: the map is all the screen's
        folded = page.locator("#sc-body").is_visible(), button.get_attribute("aria-expanded")
    assert opened == [day]  # the first language's section, open on that day
    assert folded == (False, "false")


@pytest.mark.browser
def test_tapping_a_meeting_point_shows_its_days_and_times(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    with offline_browser.page(pages["shared"], size=PHONE) as (page, _report):
        points = page.locator('path.leaflet-interactive[fill="#1b7837"]')
        assert points.count() == 2
        points.first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").inner_text()
        # the map pans the popup into view (animated): whole, on the screen, above the sheet
        page.wait_for_function(
            """() => { const p = document.querySelector(".leaflet-popup").getBoundingClientRect();
                const s = document.getElementById("sc-notice").getBoundingClientRect();
                return p.top >= 0 && p.bottom <= s.top; }""",
            timeout=10_000,
        )
    assert re.search(r"gate", popup) and "Monday, Tuesday, Wednesday" in popup
    assert "15:15" in popup


@pytest.mark.browser
def test_right_to_left_languages_lay_out_right_to_left(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    with offline_browser.page(pages["arabic"], size=DESKTOP) as (page, _report):
        dirs = page.evaluate(
            """() => [document.documentElement.dir,
                ...[...document.querySelectorAll(".sc-lang")].map((s) =>
                    [s.lang, s.dir, getComputedStyle(s).direction])]"""
        )
        boxes = page.evaluate(_BOXES_JS)
    assert dirs == ["rtl", ["ar", "rtl", "rtl"], ["en", "ltr", "ltr"]]
    assert boxes["sheet"]["left"] > boxes["map"]["right"] / 2  # the sheet on the right
    page = pages["shared"].read_text(encoding="utf-8")
    assert '<details class="sc-lang" lang="ur" dir="rtl">' in page


def test_dates_follow_each_language() -> None:
    monday = dt.date(2022, 11, 7)
    assert maps.long_date(monday, "en", timezone="Europe/London") == "7 November 2022"
    assert maps.long_date(monday, "en", timezone="America/New_York") == "November 7, 2022"
    assert maps.long_date(monday, "tr", timezone="Europe/Istanbul") == "7 Kas\u0131m 2022"
    assert maps.day_heading(monday, "cy", timezone="Europe/London") == "Dydd Llun, 7 Tachwedd 2022"
    assert maps.day_names("ar")[0] == "الاثنين"


def test_the_page_writes_dates_in_each_language(pages: dict[str, Path]) -> None:
    page = html.unescape(pages["shared"].read_text(encoding="utf-8"))
    assert "Week beginning 7 November 2022" in page
    assert "Wythnos yn dechrau 7 Tachwedd 2022" in page
    assert "الأسبوع الذي يبدأ في 7 نوفمبر 2022" in page
    assert "Dydd Llun, 7 Tachwedd 2022" in page and "Monday, 7 November 2022" in page
    assert not re.search(r"\d\d/\d\d/\d{4}", page)  # no dd/mm/yyyy anywhere


def test_the_notice_names_only_the_kinds_rostered(pages: dict[str, Path]) -> None:
    _, _, rota = _two_towns()
    page = html.unescape(pages["shared"].read_text(encoding="utf-8"))
    for code in CFG.languages:
        text = maps.NOTICE_TEXT[code]
        who = maps.who_walks(rota, code)
        assert who == f"{text['people_pcso']} {text['and']} {text['people_youth_worker']}"
        assert text["intro"].format(who=who) in page
        for kind in ("police_officer", "school_staff", "health", "volunteer", "general"):
            assert text[f"people_{kind}"] not in page, (code, kind)
    assert maps.who_walks(None, "ar") == maps.NOTICE_TEXT["ar"]["people_general"]
    only_police = dataclasses.replace(rota, assignments=rota.assignments.assign(agency="police"))
    assert maps.who_walks(only_police, "en") == "police officers"
    # a volunteer on a slot left unfilled does not walk, so is not named
    first = rota.assignments.iloc[[0]].assign(agency="volunteer")
    lone = dataclasses.replace(rota, assignments=pd.concat([rota.assignments, first]))
    assert "volunteers" in maps.who_walks(lone, "en")
    slots = rota.slots.assign(filled=rota.slots["slot_id"] != first["slot_id"].iloc[0])
    assert "volunteers" not in maps.who_walks(dataclasses.replace(lone, slots=slots), "en")


_ROUTE_BOX_JS = """(meet) => {
  const el = document.querySelector(".folium-map"), map = window[el.id], r = el.getBoundingClientRect();
  const b = L.latLngBounds([]);
  map.eachLayer((l) => { const p = l.feature && l.feature.properties;
    if (p && p.meet === meet && l.getBounds) { b.extend(l.getBounds()); } });
  const nw = map.latLngToContainerPoint(b.getNorthWest());
  const se = map.latLngToContainerPoint(b.getSouthEast());
  return {left: r.left + nw.x, top: r.top + nw.y, right: r.left + se.x, bottom: r.top + se.y};
}"""


@pytest.mark.browser
def test_show_on_map_takes_the_map_to_a_rows_routes(
    pages: dict[str, Path], offline_browser: Any
) -> None:
    meet = "Uppingham gate"
    with offline_browser.page(pages["shared"], size=PHONE) as (page, report):
        before = page.evaluate(_ROUTE_BOX_JS, meet)
        button = page.locator(f'.sc-lang[open] .sc-day[open] .sc-show[data-meet="{meet}"]')
        assert button.get_attribute("aria-label") == f"Show on map: {meet}"
        button.focus()
        page.keyboard.press("Enter")  # a keyboard reaches it as a finger does
        page.wait_for_function(  # the popup opened and panned into view, above the sheet
            """() => { const p = document.querySelector(".leaflet-popup");
                const s = document.getElementById("sc-notice").getBoundingClientRect();
                if (!p) { return false; } const b = p.getBoundingClientRect();
                return b.top >= 0 && b.bottom <= s.top; }""",
            timeout=10_000,
        )
        page.wait_for_timeout(400)  # the popup's pan has settled (no timed assertion)
        after = page.evaluate(_ROUTE_BOX_JS, meet)
        boxes = page.evaluate(_BOXES_JS)
        popup = page.locator(".leaflet-popup-content").inner_text()
        serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not report.errors and not report.blocked
    view = _visible_map(boxes, phone=True)
    width = {name: box["right"] - box["left"] for name, box in (("before", before), ("after", after))}
    print(f"route width at {PHONE}: {width['before']:.0f} px at first load, {width['after']:.0f} px after")
    assert width["before"] < 60  # two towns 9 km apart fitted: each route a speck
    assert width["after"] > 100  # its own routes fill the map the sheet and popup leave
    assert after["left"] >= view["left"] and after["right"] <= view["right"], (after, view)
    assert after["top"] >= view["top"] and after["bottom"] <= view["bottom"], (after, view)
    assert meet in popup and "15:15" in popup
    assert serious == []
