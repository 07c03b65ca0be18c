"""
Screenshots of saved pages with headless Chromium.

Chromium runs with the project's flags and a throw-away profile. An I/O edge: it runs the
browser and writes PNG files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from corridors.errors import CorridorsError, InputDataError
from corridors.outputs import atomic_path


class BrowserNotFoundError(CorridorsError):
    """No Chromium executable was found for screenshots."""


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
        page = src if bounds is None else _zoomed_copy(src, bounds, Path(profile) / src.name)
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


def _zoomed_copy(src: Path, bounds: tuple[float, float, float, float], copy: Path) -> Path:
    """Write ``src`` to ``copy`` with its first ``fitBounds`` set to (south, west, north, east)."""
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
    copy.write_text(fitted, encoding="utf-8")
    return copy


def find_chromium() -> str | None:
    """Return the path of a Chromium executable (``$CHROMIUM`` first), or None."""
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
