#!/bin/sh
# Renders a run's report.html in headless Chromium as a reader would see it: fails when the page
# logs a script error, holds no SVG figure, or renders to an (almost) blank image.
# Usage: scripts/report-check.sh RUN_DIR [PNG]
set -eu
run=${1:?usage: scripts/report-check.sh RUN_DIR [PNG]}
png=${2:-$run/report.png}
page=$(cd "$run" && pwd)/report.html
[ -s "$page" ] || { echo "report-check: $page is missing or empty" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report-check: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files --user-data-dir=$(mktemp -d)"
log=$(mktemp)
"$browser" $flags --enable-logging=stderr --v=0 --dump-dom "file://$page" >"$log.dom" 2>"$log" || true
if grep -Ei "Uncaught|SyntaxError|ReferenceError|TypeError" "$log" >/dev/null; then
    echo "report-check: script errors in $page:" >&2
    grep -Ei "Uncaught|SyntaxError|ReferenceError|TypeError" "$log" >&2
    exit 1
fi
figures=$(grep -o "<svg" "$log.dom" | wc -l)
[ "$figures" -ge 3 ] || { echo "report-check: the rendered page holds $figures SVG figures, expected at least 3" >&2; exit 1; }
"$browser" $flags --window-size=1320,3600 --screenshot="$png" "file://$page" >/dev/null 2>&1
size=$(wc -c <"$png")
# A blank 1320×3600 page compresses to a few KiB; one with heatmaps and bars to far more.
[ "$size" -ge 40000 ] || { echo "report-check: $png is $size bytes: the page looks empty" >&2; exit 1; }
echo "report-check: $page renders ($figures SVG figures, no script errors): $png"
