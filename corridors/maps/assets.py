"""
Offline pages: the vendored Leaflet and plugins inlined into a rendered page.

Leaflet and the plugins' JavaScript, CSS, images and fonts are vendored under
``corridors/assets/vendor/`` (npm packages with their licences, re-fetched by
``scripts/vendor_assets.sh``); :func:`inline_assets` replaces every CDN ``<script>`` and
stylesheet ``<link>`` of a Folium page by their contents, so a page works with no network.
An I/O edge: it reads the vendored files.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path

import folium
import folium.plugins

from corridors.errors import CorridorsError
from corridors.maps.escape import _safe_script

#: The vendored files: corridors/maps/assets.py -> corridors/assets/vendor.
ASSET_DIR = Path(__file__).parent.parent / "assets" / "vendor"

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


def inline_assets(page: str) -> str:
    """Replace CDN ``<script>``/``<link>`` tags of a Folium page by the vendored files."""
    uses_icons = "L.AwesomeMarkers" in page
    page = _SCRIPT_TAG.sub(functools.partial(_script, uses_icons=uses_icons), page)
    # the rotation classes are looked up in the page as it is now (scripts inlined)
    page = _LINK_TAG.sub(functools.partial(_link, uses_icons=uses_icons, page=page), page)
    left = _SCRIPT_TAG.findall(page) + _LINK_TAG.findall(page)
    if left:
        raise CorridorsError(
            f"map page links assets that are not vendored: {left}. Add them to "
            "scripts/vendor_assets.sh and corridors.maps.assets._JS_FILES/_CSS_FILES."
        )
    return page


def _script(match: re.Match[str], *, uses_icons: bool) -> str:
    """Return a CDN ``<script src>`` as an inline script of the vendored files ("": dropped)."""
    url = match.group(1)
    files = _asset_for(url, _JS_FILES)
    if not files or (not uses_icons and url in _ICON_URLS):
        return ""
    body = "\n".join((ASSET_DIR / f).read_text(encoding="utf-8") for f in files)
    extra = _icon_default_js() if files == _JS_FILES["leaflet"] else ""
    return "<script>" + _safe_script(body) + extra + "</script>"


def _link(match: re.Match[str], *, uses_icons: bool, page: str) -> str:
    """Return a CDN stylesheet ``<link>`` as an inline ``<style>`` ("": dropped)."""
    url = match.group(1)
    if not uses_icons and url in _ICON_URLS:
        return ""
    if _URL_NAMES.get(url) == "awesome_rotate_css":  # only the rotations ``page`` uses
        angles = sorted({int(a) for a in re.findall(r"fa-rotate-(\d+)", page)})
        css = "".join(f".fa-rotate-{a}{{transform:rotate({a}deg)}}" for a in angles)
        return f"<style>{css}</style>" if css else ""
    files = _asset_for(url, _CSS_FILES)
    if not files:
        return ""
    return "<style>" + "\n".join(_inline_css(ASSET_DIR / f) for f in files) + "</style>"


def _asset_for(url: str, table: Mapping[str, list[str]]) -> list[str] | None:
    name = _URL_NAMES.get(url)
    if name is None or name not in table:
        raise CorridorsError(
            f"map page links {url}, which is not vendored; add it to scripts/vendor_assets.sh "
            "and corridors.maps.assets._JS_FILES/_CSS_FILES"
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
