package wire_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab/wire"
)

func TestParseStep(t *testing.T) {
	fin := wire.Match{From: "client", To: "server", Flags: "F.", Len: -1}
	for _, tc := range []struct {
		name, text string
		want       wire.Step
	}{
		{"drop", "drop client>server F.", wire.Step{Kind: wire.Drop, Match: fin, Count: 1}},
		{"drop count after", "drop client>server F. count=2 after server>client P. len 1000",
			wire.Step{Kind: wire.Drop, Match: fin, Count: 2, After: &wire.Match{From: "server", To: "client", Flags: "P.", Len: 1000}}},
		{"pure ack", "drop server>client .", wire.Step{Kind: wire.Drop, Match: wire.Match{From: "server", To: "client", Flags: ".", Len: -1}, Count: 1}},
		{"any flags", "dup server>client R*", wire.Step{Kind: wire.Dup, Match: wire.Match{From: "server", To: "client", Flags: "R*", Len: -1}, Count: 1}},
		{"delay", "delay client>server P. len 1000 200ms count=3",
			wire.Step{Kind: wire.Delay, Match: wire.Match{From: "client", To: "server", Flags: "P.", Len: 1000}, Delay: 200 * time.Millisecond, Count: 3}},
		{"hold", "hold client>server F.", wire.Step{Kind: wire.Hold, Match: fin}},
		{"release", "release", wire.Step{Kind: wire.Release}},
		{"cut both", "cut", wire.Step{Kind: wire.Cut}},
		{"cut one way", "cut a>b", wire.Step{Kind: wire.Cut, From: "a", To: "b"}},
		{"heal", "heal", wire.Step{Kind: wire.Heal}},
		{"inject", "inject client>server R. seq=+100000 ack=-5 len=10",
			wire.Step{Kind: wire.Inject, From: "client", To: "server", Flags: "R.", Len: 10,
				Seq: wire.Offset{Set: true, Rel: true, N: 100000}, Ack: wire.Offset{Set: true, Rel: true, N: -5}}},
		{"inject absolute ack", "inject server>client . ack=7",
			wire.Step{Kind: wire.Inject, From: "server", To: "client", Flags: ".", Ack: wire.Offset{Set: true, N: 7}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.ParseStep(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Text = tc.text
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseStep(%q) (-want +got):\n%s", tc.text, d)
			}
		})
	}
}

func TestParseStepErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "empty step"},
		{"explode client>server", "unknown step"},
		{"drop client>server", "expected a MATCH"},
		{"drop client-server F.", "expected a direction FROM>TO"},
		{"drop client>client F.", "expected a direction FROM>TO"},
		{"drop client>server X", "flags are written as tcpdump prints them"},
		{"drop client>server F. count=0", "count must be at least 1"},
		{"drop client>server F. count=-1", "expected count=N"},
		{"drop client>server F. after", "expected a MATCH"},
		{"drop client>server F. later server>client .", "expected `drop MATCH"},
		{"delay client>server P.", "with a duration"},
		{"delay client>server P. 0s", "expected a delay"},
		{"delay client>server P. 1h", "expected a delay"},
		{"hold client>server F. count=2", "expected `hold MATCH`"},
		{"release now", "takes no arguments"},
		{"cut a>b b>a", "expected `cut` or `cut a>b`"},
		{"inject client>server R*", "inject needs exact flags"},
		{"inject client>server R seq=100x", "expected seq=N"},
		{"inject client>server R len=100000", "expected len=N"},
		{"inject client>server R win=5", "unknown inject option"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := wire.ParseStep(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseStep(%q) = %v, want an error containing %q", tc.text, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// FuzzParseStep: the parser never panics, and whatever it accepts prints
// back to a line that parses to the same step.
func FuzzParseStep(f *testing.F) {
	for _, s := range []string{
		"drop client>server F. count=2 after server>client P. len 1000", "delay client>server P. 200ms count=3",
		"dup server>client R*", "hold client>server .", "release", "cut a>b", "heal",
		"inject client>server R. seq=+100000 ack=-5 len=10", "inject a>b . seq=-0 ack=4294967295",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		st, err := wire.ParseStep(text)
		if err != nil {
			return
		}
		again, err := wire.ParseStep(st.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", text, st.String(), err)
		}
		st.Text, again.Text = "", ""
		if d := cmp.Diff(st, again); d != "" {
			t.Fatalf("%q → %q (-first +again):\n%s", text, st, d)
		}
	})
}

func TestParseLink(t *testing.T) {
	got, err := wire.ParseLink("rtt=40ms loss=2% seed=7 rate=10mbit")
	want := wire.Link{RTT: 40 * time.Millisecond, Loss: 0.02, Seed: 7, Rate: 10_000_000}
	if err != nil || got != want {
		t.Fatalf("ParseLink = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"rtt=-1ms", "loss=2", "loss=101%", "rate=10", "rate=0mbit", "seed=x", "mtu=9000"} {
		if _, err := wire.ParseLink(bad); err == nil {
			t.Errorf("ParseLink(%q) accepted", bad)
		}
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add("rtt=40ms loss=2% seed=7 rate=10mbit")
	f.Fuzz(func(t *testing.T, text string) {
		l, err := wire.ParseLink(text)
		if err != nil {
			return
		}
		again, err := wire.ParseLink(l.String())
		if err != nil || again != l {
			t.Fatalf("%q → %q → %+v, %v", text, l.String(), again, err)
		}
	})
}
