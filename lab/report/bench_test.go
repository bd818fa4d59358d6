package report_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/tcpteardown/teardown/lab/report"
)

// BenchmarkCatalogReport renders the whole catalog (a real run, 38 runs,
// ~5,700 packets of which the linger scenarios make ~5,500) as one page.
// Targets: under 1 s and under 2 MB; it reports the page's size and the
// share of the packets drawn as arrows.
//
//	go test -run '^$' -bench . -benchtime 20x ./lab/report/
func BenchmarkCatalogReport(b *testing.B) {
	run := loadRun(b, "catalog.json.gz")
	var page bytes.Buffer
	if err := report.WriteHTML(&page, run.Scenarios, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := report.WriteHTML(io.Discard, run.Scenarios, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(page.Len())/1e6, "MB/page") // after the loop: ResetTimer drops metrics
}

// BenchmarkTenThousand renders one run of 10,000 segments (the size of an
// explain report of a capture) as a standalone SVG, folded.
func BenchmarkTenThousand(b *testing.B) {
	r := bulk(10000)
	var svg bytes.Buffer
	if err := report.WriteSVG(&svg, r, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := report.WriteSVG(io.Discard, r, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(svg.Len())/1e3, "kB/svg") // after the loop: ResetTimer drops metrics
}

// BenchmarkTenThousandUnfolded is the same run with every arrow drawn: the
// ratio to BenchmarkTenThousand is what folding saves.
func BenchmarkTenThousandUnfolded(b *testing.B) {
	r := bulk(10000)
	var svg bytes.Buffer
	if err := report.WriteSVG(&svg, r, &report.Options{MaxArrows: -1}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := report.WriteSVG(io.Discard, r, &report.Options{MaxArrows: -1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(svg.Len())/1e6, "MB/svg") // after the loop: ResetTimer drops metrics
}
