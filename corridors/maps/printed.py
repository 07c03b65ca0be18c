"""
The printed notice: an A4 page per school and one for the area, one PDF file per language.

Built from what the shared page may show and nothing else: the walked loops and their
patrols (:func:`corridors.maps.shared_patrols`, :func:`corridors.maps.shared_loops`), the
streets near them (``streets.py``, the shared page's background), the kinds of people
rostered, the contact and a QR code to the shared page (``[maps] public_url``). It takes no
inputs and no hotspots, so no incident, count or incident-derived shape can reach it.

Files (:func:`notice_pdfs`), relative to the week's folder:

- ``notice/<school>-<language>.pdf``: one page for a school with a walked loop (``<school>``
  is its id made safe for a file name, e.g. ``way-101238684``): its loops and patrols;
- ``notice/area-<language>.pdf``: the whole area's loops and patrols (it runs onto a
  second page only when the patrols do not fit on one).

One file per language (``[maps] languages``) keeps each sheet one page to print or attach to
a letter. A right-to-left language (``maps.dates.text_direction``: Arabic, Urdu) is set in
Noto Naskh Arabic, shaped and ordered by ``rtl.py``, and its page is mirrored: text flush
right, the table's columns from the right, the key from the right, the QR code at the left;
a name or a time stays left to right inside a line (an isolate, as on the shared page).
The PDFs are invariant (no creation date, fixed ids): the same plan gives the same bytes, so
a week's manifest can be compared. Nothing here opens a file but the fonts.
"""

# ruff: noqa: RUF001  (times are written with an en dash)
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import geopandas as gpd
import pandas as pd
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from corridors.config import MapConfig
from corridors.cores import process_pool, worker_count
from corridors.maps.dates import long_date, text_direction
from corridors.maps.i18n import (
    NOTICE_TEXT,
    PEOPLE_KINDS,
    _people_text,
    check_languages,
    kinds_by_loop,
    rostered_kinds,
)
from corridors.maps.notice import _notice_rows
from corridors.maps.pdf_fonts import notice_fonts
from corridors.maps.printed_map import legend_drawing, map_panels, qr_drawing, street_background
from corridors.maps.rtl import FSI, LRI, PDI, RtlParagraph
from corridors.maps.shared import shared_loops, shared_patrols
from corridors.maps.values import _text, _week_start

if TYPE_CHECKING:
    from corridors.graph import StreetGraph
    from corridors.roster import Roster
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)

#: The week folder's sub-folder of printed notices.
NOTICE_DIR = "notice"
#: File stem of the area's notice (a school's is its id made safe: :func:`_file_stem`).
AREA_STEM = "area"
#: Words of the printed notice that the shared page has no key for (English when missing).
PRINT_TEXT: dict[str, dict[str, str]] = {
    "en": {"scan": "Scan for the map online:"},
    "cy": {"scan": "Sganiwch am y map ar-lein:"},  # draft, like NOTICE_TEXT["cy"]
    "tr": {"scan": "Çevrimiçi harita için tarayın:"},  # draft, like NOTICE_TEXT["tr"]
    "ar": {"scan": "امسح الرمز لرؤية الخريطة على الإنترنت:"},  # draft, like NOTICE_TEXT["ar"]
    "ur": {"scan": "آن لائن نقشے کے لیے اسکین کریں:"},  # draft, like NOTICE_TEXT["ur"]
}

_ISOLATES = dict.fromkeys(map(ord, FSI + LRI + PDI))
_BLUE = HexColor("#2166ac")
_GREY = HexColor("#444444")


@dataclasses.dataclass(frozen=True)
class NoticeSheet:
    """One notice: its file stem, heading and the walked loops and patrols it shows."""

    stem: str
    heading: str
    loops: gpd.GeoDataFrame
    patrols: pd.DataFrame
    kinds: tuple[str, ...]


def notice_pdfs(
    *,
    street: StreetGraph,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    area_name: str,
    timezone: str | None = None,
    workers: int = 1,
) -> dict[str, bytes]:
    """
    Return the week's printed notices: ``{path in the week folder: PDF bytes}``.

    Parameters are those of :func:`corridors.maps.render_shared_map`, and the same rule
    holds: no inputs, no hotspots. ``cfg.public_url`` (when set) is the QR code's address;
    dates are written as each language writes them in the country of ``timezone``.
    ``workers`` processes draw them (0 = every core) when there are at least
    :data:`MIN_POOL_NOTICES`; the bytes are the same for any number.

    Raises
    ------
    ConfigError
        If a language has no translation, or ``week`` is not an ISO week.
    """
    jobs = prepare_notices(
        street=street, corridors=corridors, rota=rota, cfg=cfg, week=week,
        area_name=area_name, timezone=timezone,
    )  # fmt: skip
    n = worker_count(workers, len(jobs)) if len(jobs) >= MIN_POOL_NOTICES else 1
    pool = process_pool(n, preload=[__name__], **jobs.worker_setup())
    try:
        if pool is not None:
            jobs.submit(pool)
        return jobs.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


#: Fewer notices than this are drawn in-process (a pool costs about a second to start).
MIN_POOL_NOTICES = 12


def prepare_notices(
    *,
    street: StreetGraph,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    area_name: str,
    timezone: str | None = None,
) -> NoticeJobs:
    """
    Return the week's notices to draw (:func:`notice_pdfs`): their sheets and street background.

    Draw them in-process with ``result()``, or first ``submit`` them to a pool whose workers
    were started with ``worker_setup()`` (they get the background once, not per notice).
    """
    check_languages(cfg)
    week_start = _week_start(week)
    patrols = shared_patrols(corridors, rota, cfg=cfg)
    walked = shared_loops(corridors, patrols)
    streets = street_background(street, walked, simplify_m=cfg.simplify_m)
    sheets = [
        NoticeSheet(AREA_STEM, area_name, walked, patrols, rostered_kinds(rota)),
        *school_sheets(corridors, walked, patrols, rota),
    ]
    jobs = [(f"{NOTICE_DIR}/{sheet.stem}-{code}.pdf", sheet, code)
            for sheet in sheets for code in cfg.languages]  # fmt: skip
    common = {"cfg": cfg, "area_name": area_name, "week_start": week_start, "timezone": timezone}
    return NoticeJobs(jobs, streets, common)


class NoticeJobs:
    """The week's notices to draw (:func:`prepare_notices`); ``result()`` returns them."""

    def __init__(
        self,
        jobs: list[tuple[str, NoticeSheet, str]],
        streets: gpd.GeoDataFrame,
        common: dict[str, Any],
    ) -> None:
        self._jobs, self._streets, self._common = jobs, streets, common
        self._futures: list[Future[bytes]] = []

    def __len__(self) -> int:
        return len(self._jobs)

    def worker_setup(self) -> dict[str, Any]:
        """Keyword arguments of :func:`corridors.cores.process_pool` for workers to draw them."""
        return {"initializer": _keep_streets, "initargs": (self._streets,)}

    def submit(self, pool: ProcessPoolExecutor) -> None:
        """Start drawing them in ``pool`` (its workers started with :meth:`worker_setup`)."""
        self._futures = [pool.submit(_pooled_notice, sheet, code, self._common)
                         for _name, sheet, code in self._jobs]  # fmt: skip

    def result(self) -> dict[str, bytes]:
        """Return ``{path in the week folder: PDF bytes}`` (drawn here unless submitted)."""
        out: dict[str, bytes] = {}
        for i, (name, sheet, code) in enumerate(self._jobs):
            data = None
            if i < len(self._futures):
                try:
                    data = self._futures[i].result()
                except BrokenProcessPool as exc:
                    logger.warning("notice workers stopped (%s); drawing the rest here", exc)
                    self._futures = []
            if data is None:
                data = notice_pdf(sheet, self._streets, code=code, **self._common)
            out[name] = data
        return out


_WORKER_STREETS: list[gpd.GeoDataFrame] = []


def _keep_streets(streets: gpd.GeoDataFrame) -> None:
    """In a worker: keep the street background every notice draws on (sent once per worker)."""
    _WORKER_STREETS[:] = [streets]


def _pooled_notice(sheet: NoticeSheet, code: str, common: dict[str, Any]) -> bytes:
    return notice_pdf(sheet, _WORKER_STREETS[0], code=code, **common)


def school_sheets(
    corridors: Corridors | None,
    walked: gpd.GeoDataFrame,
    patrols: pd.DataFrame,
    rota: Roster | None,
) -> list[NoticeSheet]:
    """
    One sheet per school with a walked loop, in order of school name.

    A loop belongs to the schools of its ``school_ids`` (";"-joined, from the loops table);
    a school's name is read from its corridor's ``school_ids`` and ``school_names`` (the
    only corridor columns read). The kinds of people named are those rostered on its loops.
    """
    if corridors is None or not len(walked):
        return []
    names = _school_names(corridors.corridors)
    loops = corridors.loops
    ids = loops["school_ids"] if "school_ids" in loops.columns else pd.Series([""] * len(loops))
    schools_of = {str(lp): _split(s) for lp, s in zip(loops["loop_id"], ids, strict=True)}
    mine: dict[str, list[str]] = {}
    for loop_id in walked["loop_id"].astype(str):
        for school in schools_of.get(loop_id, []):
            mine.setdefault(school, []).append(loop_id)
    sheets: list[NoticeSheet] = []
    stems: set[str] = set()
    walked_ids = walked["loop_id"].astype(str)
    patrol_ids = patrols["loop_id"].astype(str)
    kinds = kinds_by_loop(rota)
    for school, loop_ids in sorted(mine.items(), key=lambda kv: (names.get(kv[0], kv[0]), kv[0])):
        stem = _file_stem(school, taken=stems)
        stems.add(stem)
        keep = walked_ids.isin(loop_ids).to_numpy()
        own = patrols[patrol_ids.isin(loop_ids).to_numpy()]
        theirs = {k for lid in loop_ids for k in kinds.get(lid, ())}
        sheets.append(
            NoticeSheet(stem, names.get(school, school), walked[keep], own,
                        tuple(k for k in PEOPLE_KINDS if k in theirs))
        )  # fmt: skip
    return sheets


def _school_names(cor: gpd.GeoDataFrame | None) -> dict[str, str]:
    if cor is None or not {"school_ids", "school_names"} <= set(cor.columns):
        return {}
    names: dict[str, str] = {}
    for ids, text in zip(cor["school_ids"], cor["school_names"], strict=True):
        for school, name in zip(_split(ids), _split(text), strict=False):
            names.setdefault(school, name)
    return names


def _split(value: object) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


def _file_stem(school_id: str, *, taken: set[str]) -> str:
    """
    Return a school id as a file name stem: letters, digits and dashes, unique among ``taken``.

    Examples
    --------
    >>> _file_stem("way/101238684", taken=set()), _file_stem("Area", taken={"area"})
    ('way-101238684', 'area-2')
    """
    stem = re.sub(r"[^a-z0-9]+", "-", school_id.lower()).strip("-") or "school"
    base, n = stem, 1
    while stem in taken or (stem == AREA_STEM and n == 1):
        n += 1
        stem = f"{base}-{n}"
    return stem


def notice_pdf(
    sheet: NoticeSheet,
    streets: gpd.GeoDataFrame,
    *,
    code: str,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    timezone: str | None = None,
) -> bytes:
    """
    Return one sheet in one language as an A4 PDF (invariant bytes).

    The map gives way to the text: when the page runs over (long day lists, Naskh's taller
    lines), it is made again with the map at 3/4, then 1/2 of its height; only a table too
    long for the page at the smallest map runs onto a second page.
    """
    t = NOTICE_TEXT[code]
    week_line = t["week"].format(week_start=long_date(week_start, code, timezone=timezone))
    for scale in MAP_SCALES:
        buf = io.BytesIO()
        doc = SimpleDocTemplate(
            buf, pagesize=A4, invariant=1, leftMargin=15 * mm, rightMargin=15 * mm,
            topMargin=12 * mm, bottomMargin=12 * mm, title=f"{t['title']}: {sheet.heading}",
            author=area_name, subject=week_line,
            creator="safer-corridors", lang=code,
        )  # fmt: skip
        story = _story(
            sheet, streets, t, code=code, cfg=cfg, area_name=area_name, week_start=week_start,
            width=doc.width, timezone=timezone, map_scale=scale,
        )  # fmt: skip
        doc.build(story)
        if doc.page <= 1:
            break
    return buf.getvalue()


#: The map's height as a share of :func:`_map_height`, tried in turn until the sheet fits a page.
MAP_SCALES = (1.0, 0.75, 0.5)


def _story(
    sheet: NoticeSheet,
    streets: gpd.GeoDataFrame,
    t: Mapping[str, str],
    *,
    code: str,
    cfg: MapConfig,
    area_name: str,
    week_start: dt.date,
    width: float,
    timezone: str | None = None,
    map_scale: float = 1.0,
) -> list[Flowable]:
    """Return the page, top to bottom: heading, map, who walks, the patrols, contact and QR code."""
    st = _styles(text_direction(code))
    heading = sheet.heading if sheet.heading == area_name else f"{sheet.heading} · {area_name}"
    week_line = t["week"].format(week_start=long_date(week_start, code, timezone=timezone))
    story: list[Flowable] = [
        _para(t["title"], st, "title"),
        _para(f"{FSI}{heading}{PDI} · {week_line}", st, "big", bold=heading),
        Spacer(1, 2 * mm),
    ]
    if not len(sheet.patrols):  # nobody walks: no map, no one to name
        return [*story, _para(t["none"], st, "big"), *_footer(t, code, cfg, st, width)]
    intro = t["intro"].format(who=_people_text(sheet.kinds, t))
    rows = _notice_rows(sheet.patrols, t, cfg, code=code)
    return [
        *story,
        map_panels(
            sheet.loops,
            streets,
            width=width,
            height=_map_height(rows, st["dir"]) * map_scale,
            direction=st["dir"],
        ),
        legend_drawing(width, t, st["dir"]),
        Spacer(1, 3 * mm),
        _para(intro, st, "big"),
        Spacer(1, 2 * mm),
        _patrol_table(rows, t, st, width),
        Spacer(1, 4 * mm),
        *_footer(t, code, cfg, st, width),
    ]


def _styles(direction: str = "ltr") -> dict[str, Any]:
    """Paragraph styles in the notice's fonts: body text 11 pt, no smaller than 9 pt."""
    regular, bold = notice_fonts(direction)
    k = 1.2 if direction == "rtl" else 1.0  # Naskh's letters reach further up and down
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=14 * k)
    return {
        "dir": direction,
        "title": ParagraphStyle("title", body, fontName=bold, fontSize=22, leading=27 * k,
                                textColor=_BLUE, spaceAfter=4),
        "big": ParagraphStyle("big", body, fontSize=13, leading=17 * k),
        "body": body,
        "cell": ParagraphStyle("cell", body, fontSize=11, leading=13.5 * k),
        "head": ParagraphStyle("head", body, fontName=bold, fontSize=11, leading=13.5 * k,
                               textColor=white),
        "small": ParagraphStyle("small", body, fontSize=9, leading=11.5 * k, textColor=_GREY),
    }  # fmt: skip


def _para(text: str, st: Mapping[str, Any], name: str, *, bold: str = "") -> Flowable:
    """
    Return ``text`` as a paragraph in style ``name``: right to left when the page is.

    On a left-to-right page ``bold`` (a part of ``text``) is set in bold; isolates
    (:data:`FSI` ...) are dropped there, as they only matter right to left.
    """
    if st["dir"] == "rtl":
        return RtlParagraph(text, st[name])
    plain = escape(text.translate(_ISOLATES))
    if bold:
        plain = plain.replace(escape(bold), f"<b>{escape(bold)}</b>", 1)
    return Paragraph(plain, st[name])


def _map_height(rows: Sequence[object], direction: str = "ltr") -> float:
    """Return the map's height (points): 100 mm, less as the patrol table grows (and for Naskh)."""
    per_row = 6.0 if direction == "ltr" else 8.5  # Naskh's lines are taller
    return float(max(50.0, 100.0 - per_row * max(0, len(rows) - 3)) * mm)


def _patrol_table(
    rows: Sequence[Sequence[str]], t: Mapping[str, str], st: Mapping[str, Any], width: float
) -> Flowable:
    """Return the patrols as the shared page lists them: where, days, time, who walks."""
    head = [_para(t[key], st, "head") for key in ("where", "day", "time", "who")]
    # a name and a team in first-strong isolates, a time left to right: as on the shared page
    cells = [
        [_para(f"{FSI}{w}{PDI}", st, "cell"), _para(days, st, "cell"),
         _para(f"{LRI}{time}{PDI}", st, "cell"),
         _para(f"{FSI}{who}{PDI}" if who else "", st, "cell")]
        for w, days, time, who in rows
    ]  # fmt: skip
    widths = [w * width for w in (0.28, 0.30, 0.16, 0.26)]
    if st["dir"] == "rtl":  # columns from the right; Arabic day names are short
        widths = [w * width for w in (0.34, 0.16, 0.16, 0.34)]
        head, cells, widths = head[::-1], [row[::-1] for row in cells], widths[::-1]
    table = Table([head, *cells], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _BLUE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.5, HexColor("#bbbbbb")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [white, HexColor("#f1f5fa")]),
            ]
        )
    )
    return table


def _footer(
    t: Mapping[str, str], code: str, cfg: MapConfig, st: Mapping[str, Any], width: float
) -> list[Flowable]:
    """Contact, emergency and privacy lines; the QR code beside them when ``public_url``."""
    contact = t["contact"].format(contact=f"{FSI}{cfg.contact}{PDI}")
    lines: list[Flowable] = [_para(contact, st, "big", bold=contact)] if cfg.contact else []
    lines += [_para(t["emergency"], st, "big"), _para(t["privacy"], st, "small")]
    if not cfg.public_url:
        return lines
    words = PRINT_TEXT.get(code, PRINT_TEXT["en"])
    qr = [
        qr_drawing(cfg.public_url, size=32 * mm),
        _para(words["scan"], st, "small"),
        _para(f"{LRI}{cfg.public_url}{PDI}", st, "small"),
    ]
    side = 46 * mm
    cols = [[lines, qr]], [width - side, side]
    if st["dir"] == "rtl":  # the QR code at the left, the words from the right
        cols = [[qr, lines]], [side, width - side]
    box = Table(cols[0], colWidths=cols[1])
    box.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [box]
