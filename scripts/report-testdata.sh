#!/bin/sh
# report-testdata.sh records the runs lab/report's tests draw: the whole
# catalog on this kernel (gzipped, ~70 kB) and seed-close/seed-shutdown on
# their own, readable. Run as root (packets and states need it), then
# `go test ./lab/report/ -run TestGoldenStructure -update` and review the
# diff of the .structure.golden files: it is what the kernel did.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "report-testdata: run as root: packets and states are recorded only then" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -o "$tmp/teardown" ./cmd/teardown
"$tmp/teardown" lab -json | gzip -9n >"$tmp/catalog.json.gz"
for n in seed-close seed-shutdown; do
	"$tmp/teardown" lab run "$n" -json >"$tmp/$n.json"
done
for f in catalog.json.gz seed-close.json seed-shutdown.json; do
	rm -f "lab/report/testdata/$f"
	cp "$tmp/$f" "lab/report/testdata/$f"
done
echo "lab/report/testdata updated: now run go test ./lab/report/ -run TestGoldenStructure -update and review the diff"
