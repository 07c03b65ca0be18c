"""
The index of plans, ``<out_dir>/index.html``.

Every area and week planned, newest first, with links to the week's maps and manifest. An
I/O edge: it lists the week folders and reads their manifests.
"""

from __future__ import annotations

import json
from pathlib import Path

from corridors import __version__
from corridors.maps.escape import _h, _href
from corridors.maps.values import _WEEK_RE
from corridors.maps.week import INTERNAL_HTML, SHARED_HTML
from corridors.outputs import write_text
from corridors.publish import MANIFEST_JSON

INDEX_HTML = "index.html"


def write_index(out_root: str | Path) -> Path:
    """
    Write ``<out_root>/index.html`` listing every area and week planned under ``out_root``.

    A week is a folder ``<out_root>/<area>/<YYYY-Www>/``; the page links its internal map,
    shared map and manifest (whichever exist) and shows the run time from the manifest.
    Newest weeks come first.

    Parameters
    ----------
    out_root
        The maps folder (``MapConfig.out_dir``).

    Returns
    -------
    pathlib.Path
        The index file.
    """
    root = Path(out_root)
    rows = []
    for week_dir in sorted(root.glob("*/*"), key=lambda p: (p.parent.name, p.name)):
        if not (week_dir.is_dir() and _WEEK_RE.match(week_dir.name)):
            continue
        links = " · ".join(
            f'<a href="{_href((week_dir / f).relative_to(root).as_posix())}">{_h(label)}</a>'
            for f, label in (
                (INTERNAL_HTML, "internal map"),
                (SHARED_HTML, "shared map"),
                (MANIFEST_JSON, "manifest"),
            )
            if (week_dir / f).exists()
        )
        rows.append((week_dir.parent.name, week_dir.name, _run_at(week_dir), links))
    return Path(write_text(root / INDEX_HTML, _index_page(rows)))


def _run_at(week_dir: Path) -> str:
    """When the week was planned, from its manifest ("" without one)."""
    manifest = week_dir / MANIFEST_JSON
    if not manifest.exists():
        return ""
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("run_at", ""))
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return "(unreadable manifest)"


def _index_page(rows: list[tuple[str, str, str, str]]) -> str:
    """Return the index page: one row per (area, week, run time, links HTML)."""
    ordered = sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)
    ordered.sort(key=lambda r: r[0])  # areas A-Z, each area's newest week first
    body = (
        "\n".join(
            f"<tr><td>{_h(a)}</td><td>{_h(w)}</td><td>{_h(t)}</td><td>{ln}</td></tr>"
            for a, w, t, ln in ordered
        )
        or '<tr><td colspan="4">No plans yet.</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Safer Corridors: plans</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:left}}</style></head>
<body><h1>Safer Corridors: weekly plans</h1>
<table><thead><tr><th>Area</th><th>Week</th><th>Run at (UTC)</th><th>Files</th></tr></thead>
<tbody>
{body}
</tbody></table><p>Made by safer-corridors {_h(__version__)}.</p></body></html>
"""
