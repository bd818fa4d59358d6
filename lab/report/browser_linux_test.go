package report_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tcpteardown/teardown/internal/safefile"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/report"
)

// requireChromium skips without a browser on a developer's machine and
// fails under CI=true: CI must install Debian's chromium.
func requireChromium(t *testing.T, ok bool) {
	t.Helper()
	testenv.Require(t, ok, "needs headless Chromium (apt-get install chromium)")
}

// outDir is where browser tests keep their artifacts (ignored by git):
// testdata/out, or a temporary directory when this user may not write
// there (it was made by an earlier run as root).
func outDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "out")
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".writable-*"); err == nil {
			f.Close()
			err = os.Remove(f.Name())
		}
	}
	if err != nil {
		tmp := t.TempDir()
		t.Logf("artifacts in %s: %s is not writable here (%v)", tmp, dir, err)
		return tmp
	}
	return dir
}

func writeOut(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(outDir(t), name)
	f, err := safefile.Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// catalogResults is a real run of the whole catalog, saved by
// scripts/report-testdata.sh, with the scenarios' Chinese texts.
func catalogResults(t *testing.T) lab.Run {
	run := loadRun(t, "catalog.json.gz")
	cat, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	report.FillTexts(run.Scenarios, cat)
	return run
}

// TestBrowserCatalog opens the catalog's report in headless Chromium and
// checks what the browser made of it: no request leaves the page and
// nothing is logged as an error or warning; every run has its section
// with one diagram whose arrows (plus folded segments) are the run's
// packets; the language switch and the keyboard focus work. Screenshots
// (light, dark, print) are kept under testdata/out to be looked at.
func TestBrowserCatalog(t *testing.T) {
	run := catalogResults(t)
	var page bytes.Buffer
	if err := report.WriteHTML(&page, run.Scenarios, &report.Options{Kernel: run.Kernel}); err != nil {
		t.Fatal(err)
	}
	url := "file://" + writeOut(t, "catalog.html", page.Bytes())

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := startBrowser(t, ctx)
	if err := b.page(ctx, 1280, 900); err != nil {
		t.Fatal(err)
	}
	problems, err := b.load(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("page: %s", p)
	}
	checkDOM(t, ctx, b, run.Scenarios)
	checkLanguage(t, ctx, b)
	checkFocus(t, ctx, b)
	screenshots(t, ctx, b)
	checkPrint(t, ctx, b, len(run.Scenarios))
	// Anything the interactions above caused.
	var late []string
	b.drain(url, &late)
	for _, p := range late {
		t.Errorf("page, after interaction: %s", p)
	}
}

// checkDOM reads the DOM the browser built (not the file we wrote) and
// counts per section.
func checkDOM(t *testing.T, ctx context.Context, b *browser, results []lab.Result) {
	var outer string
	if err := b.eval(ctx, "document.documentElement.outerHTML", &outer); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(outer))
	if err != nil {
		t.Fatal(err)
	}
	d := scanDOM(doc)
	if d.svgs != len(results) || len(d.sections) != len(results) {
		t.Errorf("%d sections and %d svgs for %d runs", len(d.sections), d.svgs, len(results))
	}
	for _, r := range results {
		id := r.Name
		if r.Variant != "" {
			id += "/" + r.Variant
		}
		want := countKind(r, lab.KindPacket)
		if got := d.packets[id] + d.folded[id]; got != want {
			t.Errorf("section %s: %d arrows + %d folded, the run has %d packets", id, d.packets[id], d.folded[id], want)
		}
	}
	var drawn int
	if err := b.eval(ctx, `Array.from(document.querySelectorAll("svg .packet")).filter(e=>e.getBoundingClientRect().width>0).length`, &drawn); err != nil {
		t.Fatal(err)
	}
	if total := sum(d.packets); drawn != total {
		t.Errorf("%d of %d arrows have a size on the page", drawn, total)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// checkLanguage presses the 中文 button: Chinese texts appear, English
// ones hide; pressing again goes back.
func checkLanguage(t *testing.T, ctx context.Context, b *browser) {
	const probe = `(function(){var z=document.querySelector(".card .l-zh"),e=document.querySelector(".card .l-en");
return [document.documentElement.dataset.lang,getComputedStyle(z).display,getComputedStyle(e).display].join(" ")})()`
	const press = `(document.getElementById("lang").click(), document.documentElement.dataset.lang)`
	var seen []string
	for i := 0; i < 3; i++ {
		var got string
		if err := b.eval(ctx, probe, &got); err != nil {
			t.Fatal(err)
		}
		parts := strings.Fields(got)
		lang, zhShown, enShown := parts[0], parts[1] != "none", parts[2] != "none"
		if (lang == "zh") != zhShown || (lang == "zh") == enShown {
			t.Errorf("language %s: Chinese shown %v, English shown %v", lang, zhShown, enShown)
		}
		seen = append(seen, lang)
		var after string
		if err := b.eval(ctx, press, &after); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(seen, " "); got != "en zh en" {
		t.Errorf("languages after each press: %s, want en zh en", got)
	}
	var back string // the screenshots show the page as it opens
	if err := b.eval(ctx, press, &back); err != nil || back != "en" {
		t.Errorf("pressing once more: %q, %v", back, err)
	}
}

// checkFocus tabs to an arrow the keyboard way (focus()) and expects its
// full tcpdump line under the diagram.
func checkFocus(t *testing.T, ctx context.Context, b *browser) {
	var got []string
	err := b.eval(ctx, `(function(){var s=document.getElementById("seed-close"),p=s.querySelector(".packet.fin");p.focus();
return [document.activeElement===p?"focused":"not focused",s.querySelector(".detail").textContent,p.querySelector("title").textContent]})()`, &got)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "focused" || got[1] != got[2] || !strings.Contains(got[1], "Flags [F.]") {
		t.Errorf("focus on seed-close's FIN: %q", got)
	}
}

// screenshots keeps pictures of the page: the top (index and first
// diagrams), seed-close in light, dark and print styles.
func screenshots(t *testing.T, ctx context.Context, b *browser) {
	shot := func(name string, x, y, w, h float64) {
		png, err := b.screenshot(ctx, x, y, w, h)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", writeOut(t, name, png))
	}
	shot("catalog-top.png", 0, 0, 1280, 1600)
	var r struct{ X, Y, W, H float64 }
	rect := `(function(){var r=document.getElementById("seed-close").getBoundingClientRect();return {X:r.x+scrollX,Y:r.y+scrollY,W:r.width,H:r.height}})()`
	for _, m := range []struct{ name, media, scheme string }{
		{"seed-close.png", "", "light"},
		{"seed-close-dark.png", "", "dark"},
		{"seed-close-print.png", "print", "light"},
	} {
		err := b.call(ctx, "Emulation.setEmulatedMedia", map[string]any{"media": m.media,
			"features": []map[string]string{{"name": "prefers-color-scheme", "value": m.scheme}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.eval(ctx, rect, &r); err != nil {
			t.Fatal(err)
		}
		shot(m.name, r.X, r.Y, r.W, r.H)
	}
}

// pdfPage matches a page object of a PDF (not the /Pages tree nodes).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// checkPrint prints the page to PDF (A4): the print style starts every
// run on a page of its own, so there are at least as many pages as runs.
func checkPrint(t *testing.T, ctx context.Context, b *browser, runs int) {
	var r struct{ Data string }
	err := b.call(ctx, "Page.printToPDF", map[string]any{"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": false}, &r)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	pages := len(pdfPage.FindAll(pdf, -1))
	t.Logf("print: %s (%d pages)", writeOut(t, "catalog.pdf", pdf), pages)
	if !bytes.HasPrefix(pdf, []byte("%PDF")) || pages < runs {
		t.Errorf("printed %d bytes, %d pages, want a PDF of at least %d pages", len(pdf), pages, runs)
	}
}

// TestBrowserCatchesProblems is the check of the check: a page that
// fetches from the network and logs an error must be reported on both
// counts, or TestBrowserCatalog would pass a page that does.
func TestBrowserCatchesProblems(t *testing.T) {
	requireChromium(t, chromiumPath() != "")
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	pixel := srv.URL + "/pixel.png"
	bad := `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>bad</p>
<img src="` + pixel + `"><script>console.error("deliberate")</script></body></html>`
	url := "file://" + writeOut(t, "bad.html", []byte(bad))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := startBrowser(t, ctx)
	if err := b.page(ctx, 800, 600); err != nil {
		t.Fatal(err)
	}
	problems, err := b.load(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{"request: " + pixel, "console.error"} {
		if !strings.Contains(all, want) {
			t.Errorf("not reported: %s; reported:\n%s", want, all)
		}
	}
	if fetched.Load() == 0 {
		t.Error("the page's request never reached the server: the check above proves nothing")
	}
}
