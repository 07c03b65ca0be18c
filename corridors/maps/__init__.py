"""
The maps stage: the week's internal and shared maps, their offline pages, history and index.

A plan for one area and ISO week is written to ``<out_dir>/<area>/<week>/``:

- ``internal.html``: the team's map (schools, hubs, hotspots, corridors coloured by risk,
  patrol loops with one layer per day, popups with the evidence and the team); for a plan of
  more than ``[maps] split_internal_above`` corridors, an overview linking
  ``internal/part-NN.html``, a page per part with the detail;
- ``shared.html``: the map and notice for youth organisations, schools, parents and young
  people, built from corridors and patrols only (never from the incident table);
- ``notice/<school>-<language>.pdf`` and ``notice/area-<language>.pdf``: the printed notice,
  the same routes, times and words on an A4 page (:func:`write_notices`);
- ``manifest.json`` (:func:`manifest_doc`, :func:`write_manifest`); ``<out_dir>/index.html``
  lists every planned week (:func:`write_index`); ``<out_dir>/<area>/plans.gpkg`` keeps the
  history (:func:`append_history`).

Pages are self-contained: the vendored Leaflet and plugins are inlined by
:func:`save_offline`, so a page works with no network. Online tiles are an optional base
layer; streets are drawn as lines, only where they matter (``streets.py``): on the shared
page the streets near the walked loops, on the internal page the streets near what it draws
and a coarse overview of the major streets, so a page grows with what is planned, not with
the street graph.

Which file holds what (the renderers open no files; the edges read and write them):

- ``internal.py``: :func:`render_internal_map`; ``popups.py``: its popups; ``parts.py``: a big
  area's internal map as an overview and a page per part (``internal/part-NN.html``);
- ``shared.py``: :func:`render_shared_map` and what it may show (:func:`shared_patrols`,
  :func:`shared_loops`, :func:`shared_corridor_table`);
- ``printed.py``: the printed notices, an A4 PDF per school and for the area in each
  language (:func:`notice_pdfs`), from what the shared page shows; ``printed_map.py``: their
  routes on a street background and the QR code to ``[maps] public_url``; ``pdf_fonts.py``
  (an edge: reads the DejaVu Sans fonts matplotlib ships);
- ``i18n.py``: the notice's translations (:data:`NOTICE_TEXT`), :func:`check_languages`,
  the kinds of people (:func:`rostered_kinds`) and agency names;
- ``dates.py``: dates, day names and writing direction per language (Babel's CLDR data);
- ``notice.py``: the shared page's notice sheet, its script (fit, today, fold) and
  :func:`who_walks` (only the kinds rostered);
- ``layers.py``: Leaflet layers, controls, title, legend and the view; ``streets.py``: the
  street background (clipped near what is drawn, simplified per edge);
- ``escape.py``: the one way data text becomes HTML; ``values.py``: weeks, dates, times and
  JSON-safe cells;
- ``manifest.py``: :func:`manifest_doc`;
- edges: ``assets.py`` (reads the vendored assets: :func:`inline_assets`), ``week.py``
  (writes the pages and notices: :func:`write_week`, :func:`write_notices`,
  :func:`save_offline`, :func:`write_manifest`),
  ``index.py`` (:func:`write_index`), ``history.py`` (:func:`append_history`) and
  ``browser.py`` (screenshots with headless Chromium: :func:`take_screenshot`).

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
>>> m.get_bounds()  # nothing is walked, so no street is drawn: the page grows with the loops
[[None, None], [None, None]]
>>> [fit.bounds for fit in m._children.values() if type(fit).__name__ == "_PhoneView"]
[[[52.669151, -0.729674], [52.669198, -0.725239]]]
"""

from corridors.maps.assets import ASSET_DIR, inline_assets, vendored_files
from corridors.maps.browser import (
    BrowserNotFoundError,
    chromium_flags,
    find_chromium,
    take_screenshot,
)
from corridors.maps.dates import day_heading, day_names, long_date, notice_locale, text_direction
from corridors.maps.history import HISTORY_LAYERS, append_history
from corridors.maps.i18n import (
    AGENCY_LABELS,
    NOTICE_TEXT,
    PEOPLE_KINDS,
    check_languages,
    rostered_kinds,
)
from corridors.maps.index import INDEX_HTML, write_index
from corridors.maps.internal import render_internal_map
from corridors.maps.manifest import manifest_doc
from corridors.maps.notice import who_walks
from corridors.maps.printed import NOTICE_DIR, PRINT_TEXT, notice_pdfs
from corridors.maps.shared import (
    SHARED_CORRIDOR_COLUMNS,
    SHARED_COUNT_COLUMNS,
    render_shared_map,
    shared_corridor_table,
    shared_loops,
    shared_patrols,
)
from corridors.maps.week import (
    INTERNAL_HTML,
    SHARED_HTML,
    save_offline,
    write_manifest,
    write_notices,
    write_week,
)

__all__ = [
    "AGENCY_LABELS",
    "ASSET_DIR",
    "HISTORY_LAYERS",
    "INDEX_HTML",
    "INTERNAL_HTML",
    "NOTICE_DIR",
    "NOTICE_TEXT",
    "PEOPLE_KINDS",
    "PRINT_TEXT",
    "SHARED_CORRIDOR_COLUMNS",
    "SHARED_COUNT_COLUMNS",
    "SHARED_HTML",
    "BrowserNotFoundError",
    "append_history",
    "check_languages",
    "chromium_flags",
    "day_heading",
    "day_names",
    "find_chromium",
    "inline_assets",
    "long_date",
    "manifest_doc",
    "notice_locale",
    "notice_pdfs",
    "render_internal_map",
    "render_shared_map",
    "rostered_kinds",
    "save_offline",
    "shared_corridor_table",
    "shared_loops",
    "shared_patrols",
    "take_screenshot",
    "text_direction",
    "vendored_files",
    "who_walks",
    "write_index",
    "write_manifest",
    "write_notices",
    "write_week",
]
