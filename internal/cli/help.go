package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/width"
)

// helpWidth is the width every help text fits in: the classic terminal,
// whatever the real one is, so that help reads the same in a pipe, a
// narrow split pane or an e-mail.
const helpWidth = 80

// printHelp prints a command's help: its synopsis, then one entry per flag
// with the flag's text wrapped under it.
func printHelp(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprint(w, hangingWrap("Usage: "+fs.Name()+" ", synopsis, helpWidth))
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		head := "  -" + f.Name
		if name != "" {
			head += " " + name
		}
		if !isZeroDefault(f) {
			text += fmt.Sprintf(" (default %s)", quoteDefault(f))
		}
		fmt.Fprintln(w, head)
		fmt.Fprint(w, wrap(text, helpWidth, 6))
	})
}

// isZeroDefault reports whether f's default is its type's zero value, which
// the help does not repeat (as flag.PrintDefaults does).
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "0s", "false", "[]":
		return true
	}
	return false
}

func quoteDefault(f *flag.Flag) string {
	if flagTypeName(f) == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// flagTypeName is the type word flag.UnquoteUsage gives a flag without a
// back-quoted name in its usage text.
func flagTypeName(f *flag.Flag) string {
	g := *f
	g.Usage = ""
	name, _ := flag.UnquoteUsage(&g)
	return name
}

// wrap breaks text into lines of at most max display columns, each line
// indented by indent spaces. Words longer than a line stay whole.
func wrap(text string, max, indent int) string {
	return hangingWrap(strings.Repeat(" ", indent), text, max)
}

// hangingWrap prints head, then text wrapped at max columns; continuation
// lines are indented to where text started. The text's own newlines are
// kept (each line is wrapped on its own).
func hangingWrap(head, text string, max int) string {
	var b strings.Builder
	pad := strings.Repeat(" ", Width(head))
	for i, para := range strings.Split(text, "\n") {
		lead := head
		if i > 0 {
			lead = pad
		}
		b.WriteString(wrapLine(lead, pad, strings.TrimLeft(para, " "), max))
	}
	return b.String()
}

// wrapLine wraps one paragraph: first line after lead, the rest after pad.
func wrapLine(lead, pad, para string, max int) string {
	var b strings.Builder
	line, fresh := lead, true // fresh: no word on this line yet
	for _, word := range words(para) {
		if !fresh && Width(line)+1+Width(word) > max {
			b.WriteString(line + "\n")
			line, fresh = pad, true
		}
		if !fresh {
			line += " "
		}
		line += word
		fresh = false
	}
	return b.String() + strings.TrimRight(line, " ") + "\n"
}

// words splits a paragraph at spaces, keeping a bracketed group such as
// "[-stdin-eof close|shutdown|wait]" whole: a synopsis reads badly when a
// flag is cut from its value.
func words(para string) []string {
	var out []string
	depth := 0
	for _, f := range strings.Fields(para) {
		if depth > 0 {
			out[len(out)-1] += " " + f
		} else {
			out = append(out, f)
		}
		depth += strings.Count(f, "[") - strings.Count(f, "]")
		depth = max(depth, 0)
	}
	return out
}

// Width is the number of terminal columns s takes: East Asian wide and
// fullwidth characters (the -lang zh texts) take two, as terminals draw them.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// PadRight pads s with spaces to n display columns.
func PadRight(s string, n int) string {
	if w := Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
