package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseFlagsAnywhere(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		json       bool
		pcap       string
		positional []string
	}{
		{[]string{"run", "seed-close", "-json"}, true, "", []string{"run", "seed-close"}},
		{[]string{"-json", "run", "x.scn"}, true, "", []string{"run", "x.scn"}},
		{[]string{"run", "-pcap", "/tmp/d", "a", "b"}, false, "/tmp/d", []string{"run", "a", "b"}},
		{[]string{"run", "--", "-json"}, false, "", []string{"run", "-json"}},
		{[]string{"-pcap", "--", "x"}, false, "--", []string{"x"}},
		{[]string{"-json", "--", "-pcap"}, true, "", []string{"-pcap"}},
		{nil, false, "", nil},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		j := fs.Bool("json", false, "")
		p := fs.String("pcap", "", "")
		if err := Parse(fs, tc.args); err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if *j != tc.json || *p != tc.pcap || !slices.Equal(fs.Args(), tc.positional) && len(fs.Args())+len(tc.positional) > 0 {
			t.Errorf("%q: json=%v pcap=%q args=%q, want %v %q %q", tc.args, *j, *p, fs.Args(), tc.json, tc.pcap, tc.positional)
		}
	}
}
