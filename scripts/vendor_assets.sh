#!/usr/bin/env bash
# Re-fetch the JavaScript/CSS the maps inline (Leaflet and the Folium plugins) from the npm
# registry into corridors/assets/vendor/<package>/, with each package's licence.
# The fetched files are committed; npm is needed only to run this script, never at run time.
# Versions match folium 0.20.0's CDN links (folium.Map.default_js/default_css and the
# plugins' default_js: MiniMap -> leaflet-minimap 3.6.1, Search -> leaflet-search 2.9.7,
# HeatMap -> leaflet.heat 0.2.0); awesome-markers 2.0.5 is npm's twin of cdnjs 2.0.2.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=corridors/assets/vendor
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PKGS=(leaflet@1.9.3 leaflet.awesome-markers@2.0.5 @fortawesome/fontawesome-free@6.2.0
      leaflet-minimap@3.6.1 leaflet-search@2.9.7 leaflet.heat@0.2.0)
( cd "$TMP" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts "${PKGS[@]}" >/dev/null )
NM=$TMP/node_modules
rm -rf "$DEST" && mkdir -p "$DEST"
copy() {  # copy <package> <file relative to the package>...
  local pkg=$1; shift
  local out=$DEST/${pkg#@fortawesome/}
  for f in "$@"; do mkdir -p "$out/$(dirname "$f")"; cp "$NM/$pkg/$f" "$out/$f"; done
  cp "$NM/$pkg/package.json" "$out/package.json"
}
copy leaflet LICENSE dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png \
  dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png
copy leaflet.awesome-markers LICENSE dist/leaflet.awesome-markers.min.js dist/leaflet.awesome-markers.css \
  dist/images/markers-soft.png dist/images/markers-shadow.png
copy @fortawesome/fontawesome-free LICENSE.txt css/fontawesome.min.css css/solid.min.css \
  webfonts/fa-solid-900.woff2
copy leaflet-minimap LICENSE.txt dist/Control.MiniMap.min.js dist/Control.MiniMap.min.css \
  dist/images/toggle.png dist/images/toggle.svg
copy leaflet-search license.txt dist/leaflet-search.min.js dist/leaflet-search.min.css \
  images/search-icon.png images/loader.gif
copy leaflet.heat LICENSE dist/leaflet-heat.js
( cd "$DEST" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS )
echo "vendored into $DEST:"; du -sh "$DEST"
