package report

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tcpteardown/teardown/lab/render"
)

// esc makes untrusted text (scenario names, titles, claims, read data)
// safe in HTML text, HTML attributes and XML alike: control characters are
// made visible by the text renderer's sanitiser, characters XML forbids are
// replaced, and <, >, &, ' and " become entities, so a name like
// `</svg><script>` stays text.
func esc(s string) string {
	return html.EscapeString(xmlChars(render.Sanitize(s)))
}

// xmlChars replaces the code points XML 1.0 does not allow in a document
// (U+FFFE, U+FFFF; sanitize has already handled controls and bad UTF-8).
func xmlChars(s string) string {
	if !strings.ContainsAny(s, "\uFFFE\uFFFF") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, s)
}

// charW is the advance of one terminal column at the diagram's 12 px
// monospace font; a Chinese character takes two columns, as in a terminal.
const charW = 7.3

// textPx estimates the drawn width of s.
func textPx(s string) float64 { return float64(render.Width(s)) * charW }

// fit cuts s so that it is at most px wide, ending with "…" when cut.
func fit(s string, px float64) string {
	if textPx(s) <= px {
		return s
	}
	cols, used := int(px/charW)-1, 0
	var b strings.Builder
	for _, r := range s {
		w := render.Width(string(r))
		if used+w > cols {
			break
		}
		used += w
		b.WriteRune(r)
	}
	return b.String() + "…"
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// span formats an idle time: "300 ms", "1.2 s".
func span(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", ms(d))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// f formats a coordinate compactly (one decimal at most).
func f(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// bi writes a fixed word in both languages, each in a span the page's
// language switch shows or hides; one span when they are the same.
func bi(word string) string {
	return biText(render.Translate("en", word), render.Translate("zh", word))
}

// biText is bi for texts already in both languages (zh may be "").
func biText(en, zh string) string {
	if zh == "" || zh == en {
		return esc(en)
	}
	return `<span class="l-en">` + esc(en) + `</span><span class="l-zh" lang="zh">` + esc(zh) + `</span>`
}

// biSVG is biText inside SVG text: tspans instead of spans.
func biSVG(en, zh string) string {
	if zh == "" || zh == en {
		return esc(en)
	}
	return `<tspan class="l-en">` + esc(en) + `</tspan><tspan class="l-zh" lang="zh">` + esc(zh) + `</tspan>`
}
