#!/usr/bin/env bash
# Screenshots of a planned week's maps for the README, with headless Chromium (offline).
#   scripts/screenshots.sh [WEEK_DIR] [OUT_DIR]
# WEEK_DIR defaults to the newest maps/<area>/<YYYY-Www>/ folder (run `corridors plan` first);
# OUT_DIR defaults to docs/. Writes <OUT_DIR>/internal-map.png and <OUT_DIR>/shared-map.png
# (1200x800) through corridors.maps.take_screenshot, which runs Chromium with the project's flags.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
WEEK_DIR=${1:-$(ls -d maps/*/*-W*/ 2>/dev/null | sort -t/ -k3 | tail -n 1)}
OUT_DIR=${2:-docs}
if [ -z "$WEEK_DIR" ] || [ ! -f "$WEEK_DIR/internal.html" ]; then
  echo "no planned week found (looked for maps/<area>/<week>/internal.html); run 'make plan' first" >&2
  exit 1
fi
mkdir -p "$OUT_DIR"
"$PY" - "$WEEK_DIR" "$OUT_DIR" <<'PYEOF'
import sys
from pathlib import Path

from corridors.maps import take_screenshot

week_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
for page, png in (("internal.html", "internal-map.png"), ("shared.html", "shared-map.png")):
    if (week_dir / page).exists():
        print(take_screenshot(week_dir / page, out_dir / png, size=(1200, 800)))
PYEOF
