"""
Writing a week's pages, printed notices and manifest.

``internal.html`` and ``shared.html`` as self-contained files, the printed notices
(``notice/*.pdf``, :func:`write_notices`) and the manifest of what produced them. An I/O
edge: the renderers return maps and PDF bytes, this writes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium

from corridors.cores import process_pool, worker_count
from corridors.maps.assets import inline_assets
from corridors.maps.internal import render_internal_map
from corridors.maps.manifest import manifest_doc
from corridors.maps.parts import PARTS_DIR, Part, PartOutputs, corridor_parts, part_outputs
from corridors.maps.printed import MIN_POOL_NOTICES, NoticeJobs, notice_pdfs, prepare_notices
from corridors.maps.shared import render_shared_map
from corridors.outputs import atomic_open, write_text

if TYPE_CHECKING:
    from corridors.config import Config, MapConfig
    from corridors.graph import StreetGraph
    from corridors.hotspots import Hotspots
    from corridors.load import Inputs, SourceReport
    from corridors.roster import Roster
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)

INTERNAL_HTML = "internal.html"
SHARED_HTML = "shared.html"


def write_week(
    folder: str | Path,
    *,
    inputs: Inputs,
    street: StreetGraph,
    spots: Hotspots | None,
    corridors: Corridors | None,
    rota: Roster | None,
    config: Config,
    week: str,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Path]:
    """
    Write one week's pages, ``internal.html`` and ``shared.html``, and notices into ``folder``.

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
    meanwhile
        Other work of the week (the other stages' files) to do in this process while worker
        processes draw a big week's part pages and notices, before this process draws the
        overview and the shared page.

    Returns
    -------
    dict of str to pathlib.Path
        ``internal``, ``shared``, each part page of a big area (``internal/part-NN.html``,
        :func:`write_internal_pages`) and each printed notice by its path in the folder
        (``notice/<school>-<language>.pdf``, ``notice/area-<language>.pdf``).
    """
    cfg = config.maps
    folder = Path(folder)
    title = area_title(config)
    notices = _prepare_notices(
        street=street, corridors=corridors, rota=rota, config=config, week=week,
        timezone=inputs.timezone,
    )  # fmt: skip
    parts = _parts(corridors, cfg)
    pool = _writing_pool(config, notices, parts)
    try:
        pending = _submit_parts(
            pool, parts, folder, inputs=inputs, street=street, spots=spots,
            corridors=corridors, rota=rota, cfg=cfg, week=week, title=title,
        )  # fmt: skip
        if pool is not None:
            notices.submit(pool)
        if meanwhile is not None:
            meanwhile()
        internal = write_internal_pages(
            folder, inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota,
            cfg=cfg, week=week, title=title, parts=parts, pending=pending,
        )  # fmt: skip
        shared = save_offline(
            render_shared_map(
                street=street,
                corridors=corridors,
                rota=rota,
                cfg=cfg,
                week=week,
                area_name=title,
                timezone=inputs.timezone,
            ),
            folder / SHARED_HTML,
        )
        written = _write_notices(folder, notices)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return {**internal, "shared": shared, **written}


#: A week with fewer pages and notices to draw than this is written in one process.
MIN_POOL_WRITES = MIN_POOL_NOTICES


def _writing_pool(
    config: Config, notices: NoticeJobs, parts: Sequence[Part]
) -> ProcessPoolExecutor | None:
    """Worker processes (``[corridors] workers``) for a big week's part pages and notices."""
    tasks = len(notices) + len(parts)
    if tasks < MIN_POOL_WRITES:
        return None
    n = worker_count(config.corridors.workers, tasks)
    return process_pool(n, preload=[__name__], **notices.worker_setup())


def _parts(corridors: Corridors | None, cfg: MapConfig) -> list[Part]:
    """Return the parts of a plan of more than ``cfg.split_internal_above`` corridors, or none."""
    if corridors is None or len(corridors.corridors) <= cfg.split_internal_above:
        return []
    return corridor_parts(corridors.corridors, cfg.split_internal_above)


def _submit_parts(
    pool: ProcessPoolExecutor | None,
    parts: Sequence[Part],
    folder: Path,
    *,
    inputs: Inputs,
    street: StreetGraph,
    spots: Hotspots | None,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    title: str,
) -> dict[str, Future[Path]]:
    """Start each part's page in ``pool`` (what it draws cut out here); none without a pool."""
    if pool is None or corridors is None:
        return {}
    pending = {}
    for part in parts:
        name = f"{PARTS_DIR}/{part.name}.html"
        sub = part_outputs(
            part, inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota
        )
        pending[name] = pool.submit(_write_part, folder / name, sub, cfg, week, title, part.label)
    return pending


def _write_part(
    path: Path, sub: PartOutputs, cfg: MapConfig, week: str, title: str, label: str
) -> Path:
    """Draw and write one part's page (in a worker process, or here)."""
    page = render_internal_map(
        inputs=sub.inputs, street=sub.street, spots=sub.spots, corridors=sub.corridors,
        rota=sub.rota, cfg=cfg, week=week, title=f"{title}, {label}",
        links=[("Overview of the whole area", f"../{INTERNAL_HTML}")],
    )  # fmt: skip
    return save_offline(page, path)


def write_internal_pages(
    folder: Path,
    *,
    inputs: Inputs,
    street: StreetGraph,
    spots: Hotspots | None,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    title: str,
    parts: Sequence[Part] | None = None,
    pending: Mapping[str, Future[Path]] | None = None,
) -> dict[str, Path]:
    """
    Write ``internal.html`` (and, for a big plan, a page per part).

    A plan of more than ``cfg.split_internal_above`` corridors gets an overview
    ``internal.html`` listing ``internal/<part>.html``, a page per part
    (``corridors.maps.parts``). ``parts`` are those parts when already cut; ``pending`` the
    part pages already started in worker processes (by their path in the folder): this
    process draws the overview meanwhile, then the parts not started.

    Returns ``{"internal": path}`` and each part page by its path in the folder.
    """
    parts = _parts(corridors, cfg) if parts is None else list(parts)
    if corridors is None or not parts:
        page = render_internal_map(
            inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota, cfg=cfg,
            week=week, title=title,
        )  # fmt: skip
        return {"internal": save_offline(page, folder / INTERNAL_HTML)}
    pending = dict(pending or {})
    overview = render_internal_map(
        inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota, cfg=cfg,
        week=week, title=title, part_of={c: p.label for p in parts for c in p.corridor_ids},
        links=[(p.label, f"{PARTS_DIR}/{p.name}.html") for p in parts],
    )  # fmt: skip
    internal = save_offline(overview, folder / INTERNAL_HTML)
    written: dict[str, Path] = {}
    for part in parts:
        name = f"{PARTS_DIR}/{part.name}.html"
        if name in pending:
            try:
                written[name] = pending[name].result()
                logger.info("Wrote %s (%.2f MB, self-contained)", written[name],
                            written[name].stat().st_size / 1e6)  # fmt: skip
                continue
            except BrokenProcessPool as exc:
                logger.warning("page workers stopped (%s); drawing the rest here", exc)
                pending = {}
        sub = part_outputs(
            part, inputs=inputs, street=street, spots=spots, corridors=corridors, rota=rota
        )
        written[name] = _write_part(folder / name, sub, cfg, week, title, part.label)
    logger.info(
        "%d corridors: the internal map is an overview and %d parts",
        len(corridors.corridors), len(parts),
    )  # fmt: skip
    return {"internal": internal, **written}


def write_notices(
    folder: str | Path,
    *,
    street: StreetGraph,
    corridors: Corridors | None,
    rota: Roster | None,
    config: Config,
    week: str,
    timezone: str | None = None,
) -> dict[str, Path]:
    """
    Write the week's printed notices (:func:`corridors.maps.printed.notice_pdfs`) into ``folder``.

    Each file is written atomically; ``folder`` is the week's staging folder.

    Returns
    -------
    dict of str to pathlib.Path
        Each notice's path in the folder (``notice/area-en.pdf``, ...) and where it was written.
    """
    docs = notice_pdfs(
        street=street, corridors=corridors, rota=rota, cfg=config.maps, week=week,
        area_name=area_title(config), timezone=timezone, workers=config.corridors.workers,
    )  # fmt: skip
    return _write_docs(Path(folder), docs)


def _prepare_notices(
    *,
    street: StreetGraph,
    corridors: Corridors | None,
    rota: Roster | None,
    config: Config,
    week: str,
    timezone: str | None,
) -> NoticeJobs:
    return prepare_notices(
        street=street, corridors=corridors, rota=rota, cfg=config.maps, week=week,
        area_name=area_title(config), timezone=timezone,
    )  # fmt: skip


def _write_notices(folder: Path, notices: NoticeJobs) -> dict[str, Path]:
    return _write_docs(folder, notices.result())


def _write_docs(folder: Path, docs: Mapping[str, bytes]) -> dict[str, Path]:
    """Write the notices ``docs`` (by their path in the folder) atomically; where each went."""
    written = {}
    for name, data in docs.items():
        with atomic_open(folder / name, "wb") as fh:
            fh.write(data)
        written[name] = folder / name
    logger.info("Wrote %d printed notices (%.2f MB)", len(docs), sum(map(len, docs.values())) / 1e6)
    return written


def area_title(config: Config) -> str:
    """Return the area's name as pages and notices show it (``north_wales`` -> ``North Wales``)."""
    return config.area.name.replace("_", " ").replace("-", " ").title()


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


def write_manifest(
    path: str | Path,
    *,
    cfg: Config,
    reports: Iterable[SourceReport | Mapping[str, Any]],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """
    Write :func:`manifest_doc` as JSON to ``path`` (atomically).

    A published week's manifest also lists its files (``corridors.publish.write_manifest``).
    """
    doc = manifest_doc(cfg=cfg, reports=reports, extra=extra)
    return Path(write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n"))
