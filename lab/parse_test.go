package lab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/tcpstate"
)

const small = `# a comment
scenario tiny
title a tiny one
claims C04 C06
variant a first
variant b second
actor client
actor server

server: listen backlog=4
client: connect server
client@b: write "a b\n"
server: read wait=300ms
expect call server read#2 = ECONNRESET
expect@a no packet client>server R* and state server CLOSE-WAIT
verdict C06 agrees when call server read#1 dur > 10ms
verdict C06 differs otherwise
said C06 what the seed says
said C06 continued
why.zh C06 中文
`

func TestParseSmall(t *testing.T) {
	s, err := lab.Parse("tiny.scn", strings.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	want := &lab.Scenario{
		Name: "tiny", Title: "a tiny one", File: "tiny.scn", Claims: []string{"C04", "C06"},
		Variants: []lab.Variant{{Name: "a", Text: "first"}, {Name: "b", Text: "second"}},
		Actors:   []lab.Actor{{Name: "client"}, {Name: "server"}},
		Steps: []lab.Step{
			{Line: 10, Actor: "server", Op: "listen", Opts: map[string]string{"backlog": "4"}},
			{Line: 11, Actor: "client", Op: "connect", Args: []string{"server"}, Opts: map[string]string{}},
			{Line: 12, Actor: "client", Variants: []string{"b"}, Op: "write", Args: []string{"a b\n"}, Opts: map[string]string{}},
			{Line: 13, Actor: "server", Op: "read", Opts: map[string]string{"wait": "300ms"}},
		},
		Expects: []lab.Expect{
			{Line: 14, Text: "call server read#2 = ECONNRESET", Cond: lab.Cond{
				{Kind: lab.AtomCall, Actor: "server", Op: "read", N: 2, Cmp: "=", Value: "ECONNRESET", Len: -1, Text: "call server read#2 = ECONNRESET"}}},
			{Line: 15, Variants: []string{"a"}, Text: "no packet client>server R* and state server CLOSE-WAIT", Cond: lab.Cond{
				{Kind: lab.AtomPacket, Neg: true, From: "client", To: "server", Flags: "R*", Len: -1, N: 1, Text: "no packet client>server R*"},
				{Kind: lab.AtomState, Actor: "server", State: tcpstate.CloseWait, Len: -1, N: 1, Text: "state server CLOSE-WAIT"}}},
		},
		Rules: []lab.Rule{
			{Line: 16, Claim: "C06", Verdict: "agrees", Cond: lab.Cond{
				{Kind: lab.AtomDur, Actor: "server", Op: "read", N: 1, Cmp: ">", Dur: 10e6, Len: -1, Text: "call server read#1 dur > 10ms"}}},
			{Line: 17, Claim: "C06", Verdict: "differs"},
		},
		Texts: map[string]*lab.ClaimText{"C06": {Said: "what the seed says continued", WhyZh: "中文"}},
	}
	if diff := cmp.Diff(want, s, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no name", "client: close\n", "f.scn:1: missing `scenario NAME` line"},
		{"no steps", "scenario x\n", "f.scn:1: scenario x has no steps"},
		{"bad name", "scenario X Y\n", `f.scn:1: scenario name must be lower-case letters, digits and dashes, got "X Y"`},
		{"unknown op", "scenario x\nclient: frobnicate\n", `f.scn:2: unknown operation "frobnicate"`},
		{"unknown directive", "scenario x\nfoo bar\n", `f.scn:2: expected a directive`},
		{"bad arg count", "scenario x\nclient: shutdown\n", "f.scn:2: shutdown takes 1 argument(s), got 0"},
		{"bad shutdown", "scenario x\nclient: shutdown up\n", `f.scn:2: shutdown takes one of rd|wr|rdwr, got "up"`},
		{"bad duration", "scenario x\nclient: sleep forever\n", `f.scn:2: expected a duration such as 300ms`},
		{"long sleep", "scenario x\nclient: sleep 1h\n", `(at most 30s)`},
		{"unterminated quote", "scenario x\nclient: write \"abc\n", "f.scn:2: unterminated or invalid quoted text"},
		{"unknown variant", "scenario x\nclient@v: close\n", `f.scn:2: unknown variant "v"`},
		{"unknown actor", "scenario x\nclient: connect nobody\n", `f.scn:2: connect names actor "nobody", which has no steps`},
		{"bad claim", "scenario x\nclaims 6\n", `f.scn:2: claim IDs look like C06, got "6"`},
		{"verdict for other claim", "scenario x\nclaims C01\nclient: close\nverdict C02 agrees otherwise\n", "f.scn:4: verdict for C02, which is not in the `claims` line"},
		{"bad verdict word", "scenario x\nclaims C01\nverdict C01 maybe otherwise\n", `f.scn:3: verdict must be agrees, differs or partly, got "maybe"`},
		{"bad expect", "scenario x\nexpect packet clientserver R\n", "f.scn:2: expect: expected FROM>TO such as client>server"},
		{"bad flags", "scenario x\nexpect packet a>b XYZ\n", "f.scn:2: expect: packet flags are written as tcpdump prints them"},
		{"bad state", "scenario x\nexpect state client NOPE\n", "f.scn:2: expect:"},
		{"bad option", "scenario x\nclient: read color=red\n", "f.scn:2: read: unknown option color="},
		{"sockopt in place", "scenario x\nclient: read SO_RCVBUF=1\n", "socket options are set in their own"},
		{"sysctl off net", "scenario x\nsysctl kernel/x 1\n", "only per-namespace net/ sysctls"},
		{"repeat range", "scenario x\nrepeat 1000\n", "expected `repeat N` with N from 1 to 100"},
		{"empty and", "scenario x\nexpect call a read = 1 and\n", "f.scn:2: expect: empty condition"},
		{"call number", "scenario x\nexpect call a read#0 = 1\n", "the call number after # starts at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lab.Parse("f.scn", strings.NewReader(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.want)
			}
			var pe *lab.ParseError
			if strings.HasPrefix(tt.want, "f.scn:") && !errors.As(err, &pe) {
				t.Errorf("error %v is not a *ParseError", err)
			}
		})
	}
}

// FuzzParse feeds arbitrary text to the parser: it must return a scenario
// or an error naming a line, never panic.
func FuzzParse(f *testing.F) {
	f.Add(small)
	all, err := lab.Catalog()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range all {
		f.Add(lab.Source(s.Name))
	}
	for _, seed := range parserCrashers {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := lab.Parse("fuzz.scn", strings.NewReader(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.scn:") && !strings.HasPrefix(err.Error(), "lab: read") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		if s.Name == "" || len(s.Steps) == 0 {
			t.Fatalf("accepted a scenario without name or steps: %+v", s)
		}
	})
}

// parserCrashers are inputs that once broke the parser (regression cases).
var parserCrashers = []string{
	"scenario x\nexpect \n",
	"scenario x\nverdict C01 agrees when\n",
	"scenario x\nclient: \"\n",
	"scenario x\n: close\n",
	"scenario x\nexpect call a b#99999999999999999999 = 1\n",
	"scenario x\nclient@: close\n",
}

func TestParseCrashers(t *testing.T) {
	for i, text := range parserCrashers {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("crasher %d panicked: %v", i, r)
				}
			}()
			lab.Parse("c.scn", strings.NewReader(text))
		}()
	}
}
