"""Compare two planned week folders byte for byte, bar what changes on every run.

Usage: python scripts/compare_weeks.py BEFORE_WEEK AFTER_WEEK [BEFORE_ROOT AFTER_ROOT]

(the roots: the checkouts that planned each week, when they differ; their paths are masked)

Every file is compared after masking what a re-run changes by design: the run id and
run time, stage timings, ICS time stamps, folium's random element ids, and the file hashes
in ``manifest.json`` (which follow from the masked bytes). Exits 1 and lists the files
that differ otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_MASKS = [
    (re.compile(rb"DTSTAMP:\d{8}T\d{6}Z"), b"DTSTAMP:<stamp>"),
    (re.compile(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), b"<id>"),
    (re.compile(rb'"seconds": [0-9.e-]+'), b'"seconds": <s>'),
    (re.compile(rb"\d{8}T\d{6}Z-[0-9a-f]{6}"), b"<run>"),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00"), b"<time>"),
]


def _manifest(data: bytes) -> bytes:
    doc = json.loads(data)
    for key in ("run_at", "run_id", "timings_s", "files"):
        doc.pop(key, None)
    return json.dumps(doc, sort_keys=True, indent=1).encode()


def normalised(path: Path, root: Path | None = None) -> bytes:
    """Return the bytes of ``path`` with the per-run parts (and the checkout ``root``) masked."""
    data = path.read_bytes()
    if root is not None:
        data = data.replace(str(root.resolve()).encode(), b"<root>")
    if path.name == "manifest.json":
        data = _manifest(data)
    for pattern, mask in _MASKS:
        data = pattern.sub(mask, data)
    return data


def compare(
    before: Path, after: Path, roots: tuple[Path | None, Path | None] = (None, None)
) -> list[str]:
    """List the relative paths that differ between two week folders (or exist in one only)."""
    names = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names |= {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    out = []
    for name in sorted(names):
        a, b = before / name, after / name
        if not (a.is_file() and b.is_file()):
            out.append(f"only in {'after' if b.is_file() else 'before'}: {name}")
        elif normalised(a, roots[0]) != normalised(b, roots[1]):
            out.append(f"differs: {name}")
    return out


def main() -> int:
    """Compare the folders named on the command line; exit 1 when they differ."""
    args = [Path(a) for a in sys.argv[1:]]
    before, after = args[:2]
    roots = (args[2], args[3]) if len(args) == 4 else (None, None)
    diffs = compare(before, after, roots)
    for line in diffs:
        print(line)
    count = sum(1 for p in before.rglob("*") if p.is_file())
    print(f"{count} files in {before}; {len(diffs)} differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
