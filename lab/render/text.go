package render

import (
	"strings"
	"unicode"
)

// Terminal cells. A Chinese character takes two columns, a combining mark
// none; the width math of every line goes through these helpers so that
// `-lang zh` output fits Options.Width as well as English does.

// runeWidth is the number of terminal columns r occupies.
func runeWidth(r rune) int {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return 0
	case r == 0x200b, unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return 0
	case isWide(r):
		return 2
	}
	return 1
}

// wideRanges are the East Asian Wide and Fullwidth blocks (UAX #11) that
// occur in practice: CJK ideographs and punctuation, kana, hangul,
// fullwidth forms and the common emoji blocks. Box drawing and arrows are
// "ambiguous" in UAX #11; we count them as one column, as terminals do
// outside CJK locales.
var wideRanges = [][2]rune{
	{0x1100, 0x115f}, {0x2e80, 0x303e}, {0x3041, 0x33ff}, {0x3400, 0x4dbf},
	{0x4e00, 0x9fff}, {0xa000, 0xa4cf}, {0xac00, 0xd7a3}, {0xf900, 0xfaff},
	{0xfe30, 0xfe4f}, {0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x1f300, 0x1f64f},
	{0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
}

func isWide(r rune) bool {
	if r < 0x1100 {
		return false
	}
	for _, rg := range wideRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// Width is the display width of s in terminal columns (s holds no escape
// sequences: colour is added after layout).
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// sanitize makes text from the kernel or a scenario file safe to lay out:
// control characters (a newline in read data, an ESC that would start a
// terminal sequence) become visible escapes, invalid UTF-8 becomes U+FFFD.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == unicode.ReplacementChar || r < 0x20 || (r >= 0x7f && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteString(escapeRune(r))
	}
	return b.String()
}

func escapeRune(r rune) string {
	switch {
	case r == '\n':
		return `\n`
	case r == '\r':
		return `\r`
	case r == '\t':
		return `\t`
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		const hex = "0123456789abcdef"
		return `\x` + string(hex[r>>4]) + string(hex[r&0xf])
	}
	return string(r)
}

// truncate cuts s to at most w columns, ending with "…" when it cut.
func truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	return cut(s, w-1) + "…"
}

// cut returns the longest prefix of s that fits in w columns.
func cut(s string, w int) string {
	n := 0
	for i, r := range s {
		rw := runeWidth(r)
		if n+rw > w {
			return s[:i]
		}
		n += rw
	}
	return s
}

// pad right-pads s with spaces to w columns.
func pad(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// padLeft left-pads s with spaces to w columns.
func padLeft(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// wrap breaks s into lines of at most w columns. It breaks at spaces and,
// since Chinese has no spaces between words, on either side of a wide
// character; a word longer than a line is cut hard.
func wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	var lines []string
	line, lw := "", 0
	for _, tok := range tokens(s) {
		tw := Width(tok)
		if tok == " " {
			if lw > 0 && lw < w {
				line, lw = line+" ", lw+1
			}
			continue
		}
		if lw+tw > w && lw > 0 {
			lines = append(lines, strings.TrimRight(line, " "))
			line, lw = "", 0
		}
		for tw > w {
			head := cut(tok, w)
			if head == "" { // a wide rune in a one-column line
				head = cut(tok, 2)
			}
			lines = append(lines, head)
			tok = tok[len(head):]
			tw = Width(tok)
		}
		line, lw = line+tok, lw+tw
	}
	if lw > 0 || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// noLineStart is closing punctuation that Chinese typesetting never puts at
// the start of a line.
const noLineStart = "，。、；：！？）」』】》〉"

// tokens splits s into words, single spaces and single wide runes.
func tokens(s string) []string {
	var out []string
	start := -1
	flush := func(i int) {
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush(i)
			out = append(out, " ")
		case strings.ContainsRune(noLineStart, r):
			flush(i)
			if n := len(out); n > 0 && out[n-1] != " " {
				out[n-1] += string(r) // keep "。" with what precedes it
			} else {
				out = append(out, string(r))
			}
		case isWide(r):
			flush(i)
			out = append(out, string(r))
		case start < 0:
			start = i
		}
	}
	flush(len(s))
	return out
}
