"""The online source: walkable streets downloaded with osmnx by place, point or polygon.

Before downloading, the servers are probed (a TCP connection within seconds) so that a machine
without network fails fast with :class:`~corridors.errors.NetworkUnavailableError` instead of
after osmnx's retries; server errors and empty answers become the project's errors. osmnx's own
cache is switched off, so nothing is written to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Literal
from urllib.parse import urlparse

import geopandas as gpd
import networkx as nx
import pyproj
from shapely.geometry.base import BaseGeometry

from corridors.config import GraphConfig
from corridors.errors import ConfigError, EmptyResultError, NetworkUnavailableError
from corridors.graph.segments import _Raw, _SegmentCollector, _way_tags, is_walkable

_ONLINE_TAGS = ("foot", "footway", "path", "sidewalk", "motorroad", "ref", "name", "highway",
                "access", "service", "area")  # fmt: skip
_NO_SOURCE = "[graph]: no street source. Set osm_file (offline), or place or point (online)."


def _read_online(cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS) -> _Raw:
    """Download the walkable segments of ``cfg.place``, ``cfg.point`` or the study area."""
    import osmnx as ox

    if cfg.place is None and cfg.point is None and study_area is None:
        raise ConfigError(_NO_SOURCE)
    what = _online_description(cfg, study_area)
    urls = [ox.settings.overpass_url]
    if cfg.place is not None:
        urls.insert(0, ox.settings.nominatim_url)
    _check_reachable(urls, what, min(cfg.timeout_s, 5.0))
    graph = _download(cfg, study_area, crs, what)
    return _raw_from_osmnx(graph, cfg.network_type)


def _check_reachable(urls: list[str], what: str, timeout_s: float) -> None:
    """Pre-flight: fail in seconds, not after osmnx's 60 s pause."""
    for url in urls:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        port = parsed.port or (80 if parsed.scheme == "http" else 443)
        if not _reachable(host, port, timeout_s):
            raise NetworkUnavailableError(
                f"[graph] {what}: cannot reach {host}:{port} (no network?). Download an OSM "
                "extract (e.g. from download.geofabrik.de) and set [graph] osm_file to it."
            )


def _reachable(host: str, port: int = 443, timeout_s: float = 3.0) -> bool:
    """Open (and close) a TCP connection within ``timeout_s``, DNS lookup included."""
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    return bool(result and result[0])


@contextlib.contextmanager
def _osmnx_settings(timeout_s: float) -> Iterator[ModuleType]:
    """Set osmnx up: our timeout, no rate-limit pause, no disk cache, the tags we keep."""
    import osmnx as ox

    names = ("requests_timeout", "overpass_rate_limit", "use_cache", "useful_tags_way",
             "log_console")  # fmt: skip
    saved = {name: getattr(ox.settings, name) for name in names}
    try:
        ox.settings.requests_timeout = timeout_s
        ox.settings.overpass_rate_limit = False
        ox.settings.use_cache = False
        ox.settings.log_console = False
        ox.settings.useful_tags_way = sorted(set(saved["useful_tags_way"]) | set(_ONLINE_TAGS))
        yield ox
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _download(
    cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS, what: str
) -> nx.MultiDiGraph[int]:
    """Fetch the unsimplified osmnx graph; network troubles become the project's errors."""
    import osmnx as ox
    import requests

    try:
        with _osmnx_settings(cfg.timeout_s) as oxs:
            return _query(oxs, cfg, study_area, crs)
    except requests.exceptions.RequestException as exc:
        raise NetworkUnavailableError(
            f"[graph] {what}: the OSM servers did not answer ({type(exc).__name__}: {exc}). "
            "Try again later, raise [graph] timeout_s, or set [graph] osm_file to an extract."
        ) from exc
    except ox._errors.ResponseStatusCodeError as exc:
        raise NetworkUnavailableError(
            f"[graph] {what}: the OSM server refused the request ({exc}). Try again later or "
            "set [graph] osm_file to an extract."
        ) from exc
    except (ox._errors.InsufficientResponseError, ValueError, TypeError) as exc:
        raise EmptyResultError(
            f"[graph] {what}: no streets found ({exc}). Check the place name or point."
        ) from exc


def _query(
    oxs: ModuleType, cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS
) -> nx.MultiDiGraph[int]:
    """Ask osmnx for the place, the point's surroundings or the study-area polygon."""
    network = "walk" if cfg.network_type == "walk" else "all"
    kwargs = {"network_type": network, "simplify": False, "retain_all": True}
    graph: nx.MultiDiGraph[int]
    if cfg.place is not None:
        graph = oxs.graph_from_place(cfg.place, **kwargs)
    elif cfg.point is not None:
        graph = oxs.graph_from_point(cfg.point, dist=cfg.dist_m, **kwargs)
    else:
        assert study_area is not None
        polygon = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0]
        graph = oxs.graph_from_polygon(polygon, **kwargs)
    return graph


def _raw_from_osmnx(graph: nx.MultiDiGraph[int], network_type: Literal["walk", "all"]) -> _Raw:
    """Collect the walkable segments of an unsimplified osmnx graph (each once)."""
    segments = _SegmentCollector(
        coords={int(n): (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    )
    seen: set[tuple[int, int, int]] = set()
    for u, v, data in graph.edges(data=True):
        tags = {k: val for k, val in data.items() if isinstance(val, str)}
        if not is_walkable(tags, network_type):
            continue
        osmid = data.get("osmid", 0)
        way = int(osmid[0] if isinstance(osmid, list) else osmid)
        pair = (min(u, v), max(u, v), way)
        if u == v or pair in seen:
            continue
        seen.add(pair)
        segments.add(int(u), int(v), way, segments.tag_code(_way_tags(tags)))
    if not segments:
        raise EmptyResultError("[graph]: the online source returned no walkable street.")
    return segments.to_raw()


def _online_description(cfg: GraphConfig, study_area: BaseGeometry | None) -> str:
    """How an online source is named in messages and in its cache key."""
    if cfg.place is not None:
        return f"place {cfg.place!r}"
    if cfg.point is not None:
        return f"point {cfg.point[0]:.6f},{cfg.point[1]:.6f} + {cfg.dist_m:g} m"
    assert study_area is not None
    return f"study-area polygon {hashlib.sha256(study_area.wkb).hexdigest()[:12]}"
