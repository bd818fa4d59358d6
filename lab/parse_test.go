package lab_test

import (
	"errors"
	"fmt"
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
			{Line: 11, Actor: "client", Op: "connect", Args: []string{"server"}, Quoted: []bool{false}, Opts: map[string]string{}},
			{Line: 12, Actor: "client", Variants: []string{"b"}, Op: "write", Args: []string{"a b\n"}, Quoted: []bool{true}, Opts: map[string]string{}},
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
		Texts:  map[string]*lab.ClaimText{"C06": {Said: "what the seed says continued", WhyZh: "中文"}},
		Source: small,
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
		{"sysctl unknown variant", "scenario x\nvariant v one\nsysctl@w net/ipv4/tcp_fin_timeout 2\n", `f.scn:3: unknown variant "w"`},
		{"sysctl variant before declared", "scenario x\nsysctl@v net/ipv4/tcp_fin_timeout 2\nvariant v one\n", `f.scn:2: unknown variant "v"`},
		{"repeat range", "scenario x\nrepeat 1000\n", "expected `repeat N` with N from 1 to 100"},
		{"empty and", "scenario x\nexpect call a read = 1 and\n", "f.scn:2: expect: empty condition"},
		{"call number", "scenario x\nexpect call a read#0 = 1\n", "the call number after # starts at 1"},
		{"sysctl dotdot", "scenario x\nsysctl net/../../../etc/passwd 1\n", `f.scn:2: sysctl "net/../../../etc/passwd": each part`},
		{"sysctl dot", "scenario x\nsysctl net/./ipv4/tcp_fin_timeout 1\n", `f.scn:2: sysctl "net/./ipv4/tcp_fin_timeout": each part`},
		{"sysctl empty part", "scenario x\nsysctl net//ipv4 1\n", "f.scn:2: sysctl"},
		{"sysctl absolute", "scenario x\nsysctl /proc/sys/net/x 1\n", "is not under net/"},
		{"sysctl capitals", "scenario x\nsysctl net/ipv4/TCP 1\n", "each part between slashes"},
		{"sysctl value", "scenario x\nsysctl net/ipv4/tcp_fin_timeout \x01\n", "f.scn:2: sysctl value"},
		{"expect unknown actor", "scenario x\nclient: close\nexpect call nobody close = ok\n", `f.scn:3: condition "call nobody close = ok" names actor "nobody", which has no steps`},
		{"packet unknown actor", "scenario x\nclient: close\nexpect packet client>srv F.\n", `f.scn:3: condition "packet client>srv F." names actor "srv"`},
		{"verdict unknown actor", "scenario x\nclaims C01\nclient: close\nverdict C01 agrees when state srv CLOSE-WAIT\nverdict C01 differs otherwise\n", `f.scn:4: condition "state srv CLOSE-WAIT" names actor "srv"`},
		{"exit not process", "scenario x\nclient: exit\n", "f.scn:2: exit needs a process actor: declare `actor client process`"},
		{"kill not process", "scenario x\nserver: kill client\nclient: close\n", "f.scn:2: kill needs a process actor: declare `actor client process`"},
		{"no otherwise", "scenario x\nclaims C01\nclient: close\nverdict C01 agrees when call client close = ok\n", "f.scn:4: the verdict rules for C01 end without `verdict C01 … otherwise`"},
		{"no otherwise in a variant", "scenario x\nclaims C01\nvariant a one\nvariant b two\nclient: close\nverdict@a C01 differs otherwise\nverdict@b C01 agrees when call client close = ok\n", "f.scn:7: the verdict rules for C01 in variant b end without"},
		{"after otherwise", "scenario x\nclaims C01\nclient: close\nverdict C01 differs otherwise\nverdict C01 agrees when call client close = ok\n", "f.scn:5: verdict for C01 after its `otherwise` rule (line 4) is never reached"},
		{"long line", "scenario x\n# " + strings.Repeat("x", 1<<20) + "\nclient: close\n", "f.scn:2: line longer than 4096 bytes"},
		{"long last line", "scenario x\nclient: note " + strings.Repeat("x", 5000), "f.scn:2: line longer than 4096 bytes"},
		{"big file", "scenario x\n" + strings.Repeat("# "+strings.Repeat("x", 1000)+"\n", 300), "larger than 256 KiB"},
		{"variants", "scenario x\n" + strings.Repeat("variant v a\n", 1) + numbered("variant v%d a\n", 17), "f.scn:18: more than 16 variants"},
		{"variant twice", "scenario x\nvariant a one\nvariant a two\n", "f.scn:3: variant a declared twice"},
		{"actors", "scenario x\n" + numbered("actor a%d\n", 17), "f.scn:18: more than 16 actors"},
		{"steps", "scenario x\n" + numbered("client: note \"%d\"\n", 257), "f.scn:258: more than 256 steps"},
		{"expects", "scenario x\nclient: close\n" + numbered("expect call client close#%d = ok\n", 129), "f.scn:131: more than 128 expect lines"},
		{"runs", "scenario x\nrepeat 100\nvariant a one\nvariant b two\nvariant c three\nclient: close\n", "f.scn:6: repeat × variants is 300 runs, more than the limit 200"},
		{"write size", "scenario x\nclient: write 5000000\n", "f.scn:2: expected a count 0..4194304"},
		{"sendto size", "scenario x\nclient: udp\nclient: sendto client 5000000\n", "f.scn:3: expected a count 0..4194304"},
		{"read count", "scenario x\nclient: read 2000000\n", "f.scn:2: expected a count 0..1048576"},
		{"linger", "scenario x\nclient: linger 60\n", "f.scn:2: linger takes seconds 0..30 or off"},
		{"atoms", "scenario x\nclient: close\nexpect call client close = ok" + strings.Repeat(" and call client close = ok", 32) + "\n", "f.scn:3: expect: more than 32 conditions joined by `and`"},
		{"backlog", "scenario x\nclient: listen backlog=5000\n", "f.scn:2: listen: expected a count 0..4096"},
		{"run budget", "scenario x\n" + numbered("client: sleep 30s\n# %d\n", 5), "f.scn:10: actor client's steps up to here could wait 2m30s in one run"},
		{"total budget", "scenario x\nrepeat 100\nclient: sleep 20s\n", "f.scn:3: 100 runs of up to 20s each could take 33m20s, more than the limit 30m0s"},
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

// numbered repeats format n times with the numbers 1..n.
func numbered(format string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// Quoted text is text, whatever it looks like; only a bare number is a
// size and only a bare `fill` fills.
func TestParsePayloads(t *testing.T) {
	s, err := lab.Parse("p.scn", strings.NewReader("scenario p\nc: write \"123\"\nc: write 123\nc: write \"fill\"\nc: write fill\nc: udp\nc: sendto c \"7\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		size   int
		isSize bool
		fill   bool
	}
	want := []got{{0, false, false}, {123, true, false}, {0, false, false}, {0, false, true}}
	for i, w := range want {
		st := &s.Steps[i]
		n, ok := st.Size(0)
		if g := (got{n, ok, st.Word(0, "fill")}); g != w {
			t.Errorf("line %d %v: got %+v, want %+v", st.Line, st.Args, g, w)
		}
	}
	if _, ok := s.Steps[5].Size(1); ok {
		t.Errorf(`sendto c "7" is a size`)
	}
}

// Every catalog scenario fits every bound with room: at most half of each
// count limit (budgets have their own margins, see docs/scenario-format.md).
func TestCatalogWithinBounds(t *testing.T) {
	all, err := lab.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		for what, n := range map[string][2]int{
			"variants": {len(s.Variants), lab.MaxVariants}, "actors": {len(s.Actors), lab.MaxActors},
			"steps": {len(s.Steps), lab.MaxSteps}, "expects": {len(s.Expects), lab.MaxExpects},
			"rules": {len(s.Rules), lab.MaxRules}, "bytes": {len(lab.Source(s.Name)), lab.MaxFileBytes},
			"runs": {max(s.Repeat, 1) * max(len(s.Variants), 1), lab.MaxRuns},
		} {
			if n[0] > n[1]/2 {
				t.Errorf("%s: %d %s, more than half the limit %d", s.Name, n[0], what, n[1])
			}
		}
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
	for _, seed := range hostileSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := lab.Parse("fuzz.scn", strings.NewReader(text))
		if err != nil {
			checkParseError(t, text, err)
			return
		}
		if s.Name == "" || len(s.Steps) == 0 {
			t.Fatalf("accepted a scenario without name or steps: %+v", s)
		}
		checkAccepted(t, s)
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
	"", // FuzzParse: an empty file was refused at line 0
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
