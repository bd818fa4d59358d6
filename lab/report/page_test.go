package report_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

// TestCatalogPage renders a real run of the whole catalog: one section per
// run, with the run's name as id and one diagram, whose arrows plus folded
// segments are the run's packets; Chinese texts from the catalog present.
func TestCatalogPage(t *testing.T) {
	run := loadRun(t, "catalog.json.gz")
	cat, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	report.FillTexts(run.Scenarios, cat)
	var page bytes.Buffer
	if err := report.WriteHTML(&page, run.Scenarios, &report.Options{Kernel: run.Kernel, Lang: "zh"}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(page.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	d := scanDOM(doc)
	if len(d.sections) != len(run.Scenarios) || d.svgs != len(run.Scenarios) || d.scripts != 1 {
		t.Fatalf("%d sections, %d svgs, %d scripts for %d runs", len(d.sections), d.svgs, d.scripts, len(run.Scenarios))
	}
	for i, r := range run.Scenarios {
		id := r.Name
		if r.Variant != "" {
			id += "/" + r.Variant
		}
		if d.sections[i] != id {
			t.Errorf("section %d: id %q, want %q", i, d.sections[i], id)
		}
		if got, want := d.packets[id]+d.folded[id], countKind(r, lab.KindPacket); got != want {
			t.Errorf("%s: %d arrows + %d folded, want %d packets", id, d.packets[id], d.folded[id], want)
		}
	}
	if !strings.Contains(page.String(), `data-lang="zh"`) || !strings.Contains(page.String(), "服务端") {
		t.Error("the page does not open in Chinese, or lacks the catalog's Chinese texts")
	}
}

func TestSVGName(t *testing.T) {
	for _, tc := range []struct{ name, variant, want string }{
		{"seed-close", "", "seed-close.svg"},
		{"linger-wait", "off", "linger-wait_off.svg"},
		{"../../etc/passwd", "", "_.._etc_passwd.svg"},
		{"..", "", "run.svg"},
		{"名字", "a/b", "___a_b.svg"},
	} {
		if got := report.SVGName(lab.Result{Name: tc.name, Variant: tc.variant}); got != tc.want {
			t.Errorf("SVGName(%q, %q) = %q, want %q", tc.name, tc.variant, got, tc.want)
		}
	}
}
