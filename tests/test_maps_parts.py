"""Pages that scale: each loop's line once in the page, and a big area's map in parts.

Hand-made areas near Oakham (EPSG:27700, ``test_maps_scale._area``): a block of streets with
corridors and loops, a far block of streets; patrols on five days (``test_maps._roster``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_maps import _roster
from test_maps_scale import CFG, WEEK, _area, _layer

from corridors import maps
from corridors.maps.layers import _ShapeLayer, _Shapes
from corridors.maps.parts import PART_MARGIN_M, corridor_parts
from corridors.maps.week import write_internal_pages
from corridors.publish import file_hashes


def _rostered(corridors: int = 3, days: int = 5) -> tuple[Any, Any]:
    area = _area(far=False, corridors=corridors)
    loops = area.corridors.loops
    lids = list(loops["loop_id"])
    rota = _roster(
        lids,
        dict(zip(lids, loops["corridor_id"], strict=True)),
        dict(zip(lids, loops["meeting_point"], strict=True)),
        days=days,
    )
    return area, rota


def _render(area: Any, rota: Any, **kw: Any) -> Any:
    return maps.render_internal_map(
        inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=rota, cfg=CFG, week=WEEK, title="Oakham", **kw,
    )  # fmt: skip


def _wgs84(geom: Any) -> Any:
    return gpd.GeoSeries([geom], crs="EPSG:27700").to_crs(4326).iloc[0]


def _vertex_text(geom: Any) -> list[str]:
    """The line's vertices as the page writes them (lon,lat at 6 dp)."""
    xy = shapely.get_coordinates(_wgs84(geom))
    return [f"{round(float(x), 6)!r},{round(float(y), 6)!r}" for x, y in xy]


def _decoded(shapes: _Shapes) -> list[list[tuple[float, float]]]:
    """The vertices of each geometry as the page's JavaScript decodes ``shapes``."""
    out = []
    for g in json.loads(shapes.data_json):
        if isinstance(g, dict):  # not a line: GeoJSON as it is
            out.append([tuple(xy) for xy in shapely.get_coordinates(shapely.geometry.shape(g))])
            continue
        _multi, counts, steps = g
        xy = np.cumsum(np.asarray(steps, dtype=np.int64).reshape(-1, 2), axis=0) / 1e6
        assert len(xy) == sum(counts)
        out.append([(float(x), float(y)) for x, y in xy])
    return out


def test_a_loop_walked_on_five_days_is_written_once() -> None:
    area, rota = _rostered(corridors=3, days=5)
    m = _render(area, rota)
    days = [c for c in m._children.values() if isinstance(c, _ShapeLayer)][1:]
    assert [d.layer_name for d in days] == [
        "Patrols Mon 07 Nov", "Patrols Tue 08 Nov", "Patrols Wed 09 Nov",
        "Patrols Thu 10 Nov", "Patrols Fri 11 Nov",
    ]  # fmt: skip
    (shapes,) = {id(d.shapes): d.shapes for d in days}.values()  # the days share one
    assert len(shapes.geometries) == 3  # one line per loop
    for day in days:  # Python keeps the whole GeoJSON; the page only positions and popups
        assert len(day.data["features"]) == 3
        assert "coordinates" not in day.data_json
        assert sorted(f["properties"]["k"] for f in day.data["features"]) == [0, 1, 2]
    all_shapes = [c for c in m._children.values() if isinstance(c, _Shapes)]
    assert len(all_shapes) == 2  # the corridors' lines and the loops'
    page = m.get_root().render()
    assert all(page.count(s.data_json) == 1 for s in all_shapes)
    # the loop's far corner (not on its corridor, which ends there too: see below)
    loop = area.corridors.loops.geometry.iloc[1]
    far = tuple(round(float(v), 6) for v in shapely.get_coordinates(_wgs84(loop))[2])
    assert _vertex_text(loop)[2] not in page  # lines are written as steps, not as text
    # the corridor a-b-c also holds c; the loop's line once: 2 in all (5 days: would be 6)
    decoded = [xy for s in all_shapes for g in _decoded(s) for xy in g]
    assert sum(np.allclose(xy, far, atol=1e-7) for xy in decoded) == 2
    # and decoding gives back each line's GeoJSON vertices exactly
    for s in all_shapes:
        for g, xy in zip(s.geometries, _decoded(s), strict=True):
            assert xy == [tuple(v) for v in shapely.get_coordinates(shapely.geometry.shape(g))]


def test_no_roster_loops_still_drawn_from_the_shared_lines() -> None:
    area = _area(far=False, corridors=4)
    m = _render(area, None)
    layer = _layer(m, "Patrol loops (not rostered)")
    assert isinstance(layer, _ShapeLayer) and len(layer.data["features"]) == 4


#: Paths drawn by each overlay of the layer control (folium keeps them in ``<name>_layers``).
_PER_LAYER_JS = """() => {
  const table = Object.keys(window).filter((k) => k.startsWith('layer_control_'))
    .map((k) => window[k]).find((v) => v && v.overlays).overlays;
  return Object.entries(table).map(([name, layer]) => ({
    name: name,
    drawn: layer.getLayers ? layer.getLayers().filter(
      (l) => l._path && l._path.isConnected && l._path.getAttribute('d')).length : 0,
  }));
}"""


@pytest.mark.browser
def test_five_day_layers_draw_the_loops_in_chromium(tmp_path: Path, offline_browser: Any) -> None:
    area, rota = _rostered(corridors=3, days=5)
    page = maps.save_offline(_render(area, rota), tmp_path / "internal.html")
    with offline_browser.page(page) as (live, report):
        per_layer = {row["name"]: row["drawn"] for row in live.evaluate(_PER_LAYER_JS)}
        popup_html = live.evaluate(
            """() => Object.values(window).filter((v) => v instanceof L.GeoJSON)
                 .flatMap((g) => g.getLayers()).map((l) => l.getPopup())
                 .filter((p) => p).map((p) => p.getContent())"""
        )
    assert report.errors == [] and report.blocked == []
    days = {k: v for k, v in per_layer.items() if k.startswith("Patrols ")}
    assert len(days) == 5 and set(days.values()) == {3}  # every loop drawn on every day
    assert per_layer["Corridors (by risk)"] == 3
    # the team in each day's patrol popup (15) and in each corridor's (3)
    assert sum("PC Alex Example" in p for p in popup_html) == 15 + 3


def test_corridor_parts_cover_every_corridor_once() -> None:
    area = _area(far=False, corridors=40)
    parts = corridor_parts(area.corridors.corridors, 15)
    ids = [c for p in parts for c in p.corridor_ids]
    assert sorted(ids) == sorted(area.corridors.corridors["corridor_id"])
    assert len(ids) == len(set(ids)) and all(len(p.corridor_ids) <= 15 for p in parts)
    assert [p.name for p in parts] == ["part-01", "part-02", "part-03", "part-04"]
    assert parts[0].label.startswith("Part 1: School ")


def _tips(page: str) -> set[str]:
    return set(re.findall(r'"tip":"(Corridor C\d+)"', page))


def _split_cfg(most: int) -> Any:
    return dataclasses.replace(CFG, split_internal_above=most)


def test_a_big_plan_is_an_overview_and_a_page_per_part(tmp_path: Path) -> None:
    area, rota = _rostered(corridors=40, days=2)
    written = write_internal_pages(
        tmp_path, inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=rota, cfg=_split_cfg(15), week=WEEK, title="Oakham",
    )  # fmt: skip
    parts = sorted(k for k in written if k != "internal")
    assert parts == [f"internal/part-0{k}.html" for k in range(1, 5)]
    overview = (tmp_path / "internal.html").read_text(encoding="utf-8")
    assert len(_tips(overview)) == 40
    for name in parts:  # the overview links every part, each part links back
        assert f'href="{name}"' in overview
        assert 'href="../internal.html"' in (tmp_path / name).read_text(encoding="utf-8")
    on_parts = [_tips((tmp_path / name).read_text(encoding="utf-8")) for name in parts]
    every = [c for tips in on_parts for c in tips]
    assert sorted(every) == sorted(f"Corridor C{k + 1}" for k in range(40))  # exactly once
    # the manifest lists what is in the folder: every page
    assert {"internal.html", *parts} <= set(file_hashes(tmp_path))


def test_overview_draws_no_street_detail_and_short_popups() -> None:
    area, rota = _rostered(corridors=8, days=2)
    part_of = {f"C{k + 1}": f"Part {1 + k // 4}" for k in range(8)}
    overview = _render(area, rota, part_of=part_of, links=[("Part 1", "internal/part-01.html")])
    full = _render(area, rota)
    kinds = {f["properties"]["m"] for f in _layer(overview, "Streets").data["features"]}
    assert kinds == {1}  # only the major streets, coarse: no minor street on the overview
    assert not [c for c in overview._children.values() if type(c).__name__ == "HeatMap"]
    # each loop once, its week's patrols listed (not a day layer per day: five lines each)
    assert not [c for c in overview._children.values()
                if str(getattr(c, "layer_name", "")).startswith("Patrols Mon")]  # fmt: skip
    week = _layer(overview, "Patrols this week").data["features"]
    popups = [f["properties"]["popup"] for f in week]
    assert len(popups) == 8 and all("team:" not in p for p in popups)
    assert all(p.count("<br>Mon 15:") == 1 and p.count("<br>Tue 15:") == 1 for p in popups)
    assert sum("<i>Part 2</i>" in p for p in popups) == 4  # names the page with the team
    assert all("team: " in f["properties"]["popup"]
               for f in _layer(full, "Patrols Mon 07 Nov").data["features"])  # fmt: skip
    cor = _layer(overview, "Corridors (by risk)").data["features"]
    assert {f["properties"]["popup"].rsplit("<i>", 1)[1] for f in cor} == {"Part 1</i>",
                                                                          "Part 2</i>"}  # fmt: skip


def test_a_part_page_holds_only_what_is_near_its_corridors(tmp_path: Path) -> None:
    area = _area(far=True, corridors=8)
    written = write_internal_pages(
        tmp_path, inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=None, cfg=_split_cfg(4), week=WEEK, title="Oakham",
    )  # fmt: skip
    part = (tmp_path / "internal" / "part-01.html").read_text(encoding="utf-8")
    assert len(written) == 3 and len(_tips(part)) == 4
    far_x = 485_000.0 + 20_000  # the far block's streets are beyond the part's margin
    assert far_x > 485_000.0 + 1200 + PART_MARGIN_M
    far = _wgs84(shapely.Point(far_x + 700, 313_000.0 + 700))
    assert f"{round(far.x, 6)!r}" not in part


def test_rutland_sized_plans_stay_one_page(tmp_path: Path) -> None:
    area, rota = _rostered(corridors=12, days=2)
    written = write_internal_pages(
        tmp_path, inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=rota, cfg=CFG, week=WEEK, title="Oakham",
    )  # fmt: skip
    assert list(written) == ["internal"] and not (tmp_path / "internal").exists()


@pytest.mark.browser
def test_overview_and_part_pages_work_offline(tmp_path: Path, offline_browser: Any) -> None:
    area, rota = _rostered(corridors=40, days=2)
    write_internal_pages(
        tmp_path, inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=rota, cfg=_split_cfg(15), week=WEEK, title="Oakham",
    )  # fmt: skip
    for name in ("internal.html", "internal/part-01.html"):
        report = offline_browser.open(tmp_path / name)
        assert report.errors == [] and report.blocked == [], name
        assert report.counts["layer_inputs"] >= 4 and report.counts["svg_paths"] > 10, name
    with offline_browser.page(tmp_path / "internal.html") as (live, _report):
        live.click("#sc-parts a >> nth=0")
        live.wait_for_load_state("load")
        assert live.url.endswith("/internal/part-01.html")


def test_incidents_at_one_place_are_one_heat_point() -> None:
    import folium.plugins
    import pandas as pd

    from corridors.hotspots import Hotspots

    area = _area(far=False, corridors=1)
    at = [shapely.Point(485_300, 308_300)] * 3 + [shapely.Point(485_600, 308_300)]
    sel = gpd.GeoDataFrame({"weight": [1.0, 0.5, 0.25, 2.0]}, geometry=at, crs="EPSG:27700")
    spots = Hotspots(
        selected=sel, polygons=sel.iloc[:0], edge_intensity=pd.Series(dtype=float),
        method="test", params={}, time_known=False, notes=(),
    )  # fmt: skip
    m = maps.render_internal_map(
        inputs=area.inputs, street=area.street, spots=spots, corridors=None, rota=None,
        cfg=CFG, week=WEEK, title="Oakham",
    )  # fmt: skip
    (heat,) = [c for c in m._children.values() if isinstance(c, folium.plugins.HeatMap)]
    assert sorted(w for _lat, _lon, w in heat.data) == [1.75, 2.0]  # weights added per place


def test_part_labels_from_school_names_reach_the_overview_as_text(tmp_path: Path) -> None:
    area = _area(far=False, corridors=4)
    evil = '"><img src=x onerror="window.__pwn=1">'
    area.corridors.corridors["school_names"] = [f"{evil}{k}" for k in range(4)]
    write_internal_pages(
        tmp_path, inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
        rota=None, cfg=_split_cfg(2), week=WEEK, title="Oakham",
    )  # fmt: skip
    overview = (tmp_path / "internal.html").read_text(encoding="utf-8")
    nav = overview[overview.index('<nav id="sc-parts"') : overview.index("</nav>")]
    assert "<img" not in nav and "&lt;img src=x onerror=&quot;window.__pwn=1&quot;&gt;" in nav
    assert re.findall(r'href="([^"]*)"', nav) == ["internal/part-01.html", "internal/part-02.html"]


def _without_ids(page: str) -> str:
    """A page with Folium's random element ids (``map_<32 hex>``) made equal."""
    return re.sub(r"_[0-9a-f]{32}", "_id", page)


def test_part_pages_drawn_by_worker_processes_are_the_pages_drawn_here(tmp_path: Path) -> None:
    from corridors.cores import process_pool
    from corridors.maps import week

    area, rota = _rostered(corridors=40, days=2)
    cfg = _split_cfg(15)
    kw = dict(inputs=area.inputs, street=area.street, spots=None, corridors=area.corridors,
              rota=rota, cfg=cfg, week=WEEK, title="Oakham")  # fmt: skip
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    alone = write_internal_pages(here, **kw)
    parts = week._parts(area.corridors, cfg)
    pool = process_pool(2, preload=[week.__name__])
    assert pool is not None
    try:
        pending = week._submit_parts(pool, parts, there, **kw)
        assert sorted(pending) == [f"internal/part-0{k}.html" for k in range(1, 5)]
        pooled = write_internal_pages(there, parts=parts, pending=pending, **kw)
    finally:
        pool.shutdown()
    assert {name: f.result() for name, f in pending.items()} == {
        name: path for name, path in pooled.items() if name != "internal"
    }  # the parts are the pages the workers wrote
    assert sorted(pooled) == sorted(alone)
    for name in alone:
        page_here = _without_ids((here / alone[name].relative_to(here)).read_text("utf-8"))
        page_there = _without_ids((there / pooled[name].relative_to(there)).read_text("utf-8"))
        assert page_here == page_there, name
