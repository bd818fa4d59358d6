#!/bin/sh
# diagram-png.sh renders one scenario's sequence diagram to a PNG for the
# README's lab tour: the scenario is run on this kernel when we are root
# (packets and states need it), otherwise its saved run in
# lab/report/testdata is drawn; the SVG is then screenshotted by headless
# Chromium at twice the pixel density, for slides.
#
#   scripts/diagram-png.sh [NAME [OUT.png]]    default: seed-close docs/img/seed-close.png
#
# Needs Go and chromium (apt-get install chromium; for Chinese text a CJK
# font such as fonts-wqy-microhei or fonts-noto-cjk).
set -eu
name=${1:-seed-close}
out=${2:-docs/img/$name.png}
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "diagram-png: chromium not found: apt-get install chromium" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -o "$tmp/teardown" ./cmd/teardown
go build -o "$tmp/labreport" ./lab/report/cmd/labreport
if [ "$(id -u)" = 0 ]; then
	"$tmp/teardown" lab run "$name" -json >"$tmp/run.json"
elif [ -f "lab/report/testdata/$name.json" ]; then
	echo "diagram-png: not root: drawing the saved run lab/report/testdata/$name.json" >&2
	cp "lab/report/testdata/$name.json" "$tmp/run.json"
else
	echo "diagram-png: not root and no saved run of $name: run as root" >&2
	exit 1
fi
"$tmp/labreport" -in "$tmp/run.json" -svg "$tmp/svg" >/dev/null
svg=$(ls "$tmp"/svg/*.svg | head -n 1)

# The window is the SVG's own size, read from its root element.
size() { sed -n "s/^<svg [^>]* $1=\"\([0-9.]*\)\".*/\1/p" "$svg" | head -n 1 | cut -d. -f1; }
w=$(size width)
h=$(size height)
[ -n "$w" ] && [ -n "$h" ] || { echo "diagram-png: no width/height in $svg" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
	--disable-background-networking --user-data-dir="$tmp/profile" \
	--proxy-server=http://127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND' \
	--force-device-scale-factor=2 --window-size="$w,$h" \
	--screenshot="$tmp/shot.png" "file://$svg" 2>/dev/null
rm -f "$out" # never write through a link planted at the output path
cp "$tmp/shot.png" "$out"
echo "$out (${w}x${h} CSS px at 2x)"
