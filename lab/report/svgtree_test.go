package report_test

import (
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpteardown/teardown/lab"
)

// node is a parsed SVG element: what the structure tests read.
type node struct {
	name string
	attr map[string]string
	text string // character data directly inside, concatenated
	kids []*node
}

// inner is all character data below n, concatenated.
func (n *node) inner() string {
	s := n.text
	for _, k := range n.kids {
		s += k.inner()
	}
	return s
}

// parseSVG parses one standalone SVG with encoding/xml: that it parses at
// all proves the file is well-formed XML whatever the scenario's texts.
func parseSVG(t testing.TB, b []byte) *node {
	t.Helper()
	n, err := parseXML(b)
	if err != nil {
		t.Fatalf("svg is not well-formed XML: %v", err)
	}
	return n
}

func parseXML(b []byte) (*node, error) {
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" && root != nil && len(stack) == 0 {
				return root, nil
			}
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Local, attr: map[string]string{}}
			for _, a := range tk.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			} else {
				return nil, fmt.Errorf("second root element <%s>", n.name)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
}

func (n *node) hasClass(c string) bool {
	for _, f := range strings.Fields(n.attr["class"]) {
		if f == c {
			return true
		}
	}
	return false
}

// all lists the elements below n (n included) with class c, in document order.
func (n *node) all(c string) []*node {
	var out []*node
	if n.hasClass(c) {
		out = append(out, n)
	}
	for _, k := range n.kids {
		out = append(out, k.all(c)...)
	}
	return out
}

// first is the first element below n named name (and, if set, not of class skip).
func (n *node) first(name, skip string) *node {
	for _, k := range n.kids {
		if k.name == name && (skip == "" || !k.hasClass(skip)) {
			return k
		}
		if m := k.first(name, skip); m != nil {
			return m
		}
	}
	return nil
}

func (n *node) num(a string) float64 {
	v, _ := strconv.ParseFloat(n.attr[a], 64)
	return v
}

// visible is the text a reader sees in English: tspans of the Chinese
// version left out.
func (n *node) visible() string {
	if n.hasClass("l-zh") || n.name == "title" {
		return ""
	}
	s := n.text
	for _, k := range n.kids {
		s += k.visible()
	}
	return s
}

// loadRun reads a saved `teardown lab -json` output from testdata.
func loadRun(t testing.TB, name string) lab.Run {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var run lab.Run
	var dec *json.Decoder
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		dec = json.NewDecoder(z)
	} else {
		dec = json.NewDecoder(f)
	}
	if err := dec.Decode(&run); err != nil {
		t.Fatal(err)
	}
	return run
}

func countKind(r lab.Result, k lab.Kind) int {
	n := 0
	for _, e := range r.Events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// nearest is the lane whose x is closest to x.
func nearest(lanes map[float64]string, x float64) string {
	best, name := math.Inf(1), "?"
	for lx, n := range lanes {
		if d := math.Abs(lx - x); d < best {
			best, name = d, n
		}
	}
	return name
}
