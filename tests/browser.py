"""Open saved pages in real headless Chromium with the network blocked (for browser tests).

Uses Playwright's Python client to drive the system Chromium (``/usr/bin/chromium``, Debian
package ``chromium``; no browser download): every request that is not ``file:`` or ``data:``
is aborted, page errors and console errors are collected, and the drawn layers are counted.
Without Chromium the browser tests are skipped, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from corridors.maps import chromium_flags, find_chromium


@dataclass
class PageReport:
    """What a page did when it was opened offline."""

    errors: list[str] = field(default_factory=list)  # uncaught exceptions + console errors
    blocked: list[str] = field(default_factory=list)  # URLs the page tried to fetch
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt, dismissed
    counts: dict[str, int] = field(default_factory=dict)
    png: bytes = b""
    load_ms: float = 0.0


_COUNT_JS = """() => ({
  svg_paths: document.querySelectorAll('path.leaflet-interactive, svg path').length,
  markers: document.querySelectorAll('.leaflet-marker-icon').length,
  awesome_markers: document.querySelectorAll('.awesome-marker').length,
  layer_inputs: document.querySelectorAll('.leaflet-control-layers-selector').length,
  minimap: document.querySelectorAll('.leaflet-control-minimap').length,
  search: document.querySelectorAll('.leaflet-control-search').length,
  scale: document.querySelectorAll('.leaflet-control-scale').length,
  notice: document.querySelectorAll('#sc-notice').length,
  legend: document.querySelectorAll('#sc-legend').length,
  leaflet: typeof L === 'undefined' ? 0 : 1,
  geojson_features: typeof L === 'undefined' ? 0 : Object.keys(window)
    .map((k) => window[k])
    .filter((v) => v instanceof L.GeoJSON && v._map)
    .reduce((n, v) => n + v.getLayers().length, 0),
})"""


#: The page's clock moved to a given time (ms since the epoch); it keeps running from there,
#: so animations still run.
_SHIFT_CLOCK_JS = """(() => {
  const Real = Date, shift = %f - Real.now();
  class Shifted extends Real {
    constructor(...args) { if (args.length) { super(...args); } else { super(Real.now() + shift); } }
    static now() { return Real.now() + shift; }
  }
  window.Date = Shifted;
})();"""


def require_chromium() -> str:
    """Return the Chromium path, or skip (fail under ``CI=true``) when there is none."""
    exe = find_chromium()
    if exe is None:
        msg = "chromium not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + ": browser tests must run in CI")
        pytest.skip(msg)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the playwright package is missing: pip install -e '.[test]'")
        pytest.skip("playwright not installed")
    return exe


class OfflineBrowser:
    """One headless Chromium for a test session; :meth:`open` loads a page offline."""

    def __init__(self, exe: str) -> None:
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.TemporaryDirectory()
        self._pw = sync_playwright().start()
        flags = chromium_flags(self._profile.name)
        self._context = self._pw.chromium.launch_persistent_context(
            self._profile.name,
            executable_path=exe,
            headless=True,
            args=[f for f in flags if not f.startswith(("--user-data-dir", "--headless"))],
            viewport={"width": 1200, "height": 800},
            offline=True,
        )

    def open(
        self, path: Path, *, wait_ms: int = 300, size: tuple[int, int] | None = None
    ) -> PageReport:
        """Open ``path`` with every non-file request aborted; return what happened."""
        with self.page(path, wait_ms=wait_ms, size=size) as (page, report):
            report.counts = page.evaluate(_COUNT_JS)
            report.png = page.screenshot()
        return report

    @contextlib.contextmanager
    def page(
        self,
        path: Path,
        *,
        wait_ms: int = 300,
        size: tuple[int, int] | None = None,
        now: dt.datetime | None = None,
    ) -> Iterator[tuple[Any, PageReport]]:
        """Open ``path`` offline and yield the live Playwright page and its report.

        As :meth:`open`, for tests that drive the page (hover, click, type). Dialogs
        (``alert``, ``confirm``...) are recorded in ``report.dialogs`` and dismissed. The page
        is closed on exit. ``size`` (width, height) sets the window before the page loads
        (e.g. a phone, 390 x 844); the default is the context's 1200 x 800. ``now`` moves the
        page's clock (``Date``) to that time before it loads.
        """
        report = PageReport()
        page = self._context.new_page()
        if size is not None:
            page.set_viewport_size({"width": size[0], "height": size[1]})
        if now is not None:  # this page only (Playwright's clock would hold the whole context)
            page.add_init_script(_SHIFT_CLOCK_JS % (now.timestamp() * 1000))
        page.set_default_timeout(10_000)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                report.blocked.append(url)
                r.abort()

        def dialog(d: Any) -> None:
            report.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.route("**/*", route)
        page.on("pageerror", lambda exc: report.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                report.errors.append(f"console: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        page.on("dialog", dialog)
        t0 = time.perf_counter()
        try:
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            report.load_ms = (time.perf_counter() - t0) * 1000
            page.wait_for_timeout(wait_ms)
            yield page, report
        finally:
            page.close()

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        self._context.close()
        self._pw.stop()
        self._profile.cleanup()


#: axe-core, vendored from npm for the tests (tests/vendor/axe-core/README.md).
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on a live page; return its violations (id, impact, nodes, help)."""
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return list(
        page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]}))
                .violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map((n) => n.target.join(" "))}))"""
        )
    )


def png_is_blank(png: bytes) -> bool:
    """True when a screenshot is one flat colour (the 'blank page' failure)."""
    import io

    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    return bool(pixels.reshape(-1, pixels.shape[-1]).std(axis=0).max() < 0.01)


def distinct_colours(png: bytes) -> int:
    """Number of distinct RGB colours in a screenshot."""
    import io

    import numpy as np
    from matplotlib import image

    pixels = (image.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype("uint8")
    return len(np.unique(pixels.reshape(-1, 3), axis=0))
