package lab_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/lab/wire"
)

const wired = `scenario lost
wire rtt=40ms seed=7
sysctl a net/ipv4/tcp_max_tw_buckets 0
sysctl net/ipv4/tcp_fin_timeout 2
variant loose the default
variant strict tcp_rfc1337 on b
sysctl@strict b net/ipv4/tcp_rfc1337 1
actor client
actor server
actor other on a

wire: drop client>server . after server>client F.
wire: sleep 10ms
wire: signal armed
server: listen
client: wait armed
client: connect server TCP_USER_TIMEOUT=1000 SO_KEEPALIVE=1
server: accept TCP_KEEPIDLE=1 TCP_KEEPINTVL=1 TCP_KEEPCNT=2
other: sleep 1ms
expect count client>server . dropped = 1
expect packet client>server F. before packet server>client F.
expect elapsed packet server>client F. .. packet server>client F. >= 200ms
`

func TestParseWire(t *testing.T) {
	s, err := lab.Parse("lost.scn", strings.NewReader(wired))
	if err != nil {
		t.Fatal(err)
	}
	if s.Wire == nil || s.Wire.IPv6 || s.Wire.Link.RTT != 40*time.Millisecond || s.Wire.Link.Seed != 7 || s.Wire.Line != 2 {
		t.Fatalf("wire = %+v", s.Wire)
	}
	hosts := map[string]string{}
	for _, a := range s.Actors {
		hosts[a.Name] = a.Host
	}
	if diff := cmp.Diff(map[string]string{"client": "a", "server": "b", "other": "a"}, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if got := s.WireActors(); got["server"] != wire.B || got["client"] != wire.A {
		t.Errorf("WireActors = %v", got)
	}
	if s.Sysctls[0].Host != "a" || s.Sysctls[1].Host != "" {
		t.Errorf("sysctl hosts = %+v", s.Sysctls)
	}
	if s.Sysctls[2].Host != "b" || !slices.Equal(s.Sysctls[2].Variants, []string{"strict"}) || s.Sysctls[0].Variants != nil {
		t.Errorf("sysctl@strict b … = %+v; the untagged ones must have no variants", s.Sysctls)
	}
	st := s.Steps[0]
	if st.Actor != lab.WireLane || st.Wire == nil || st.Wire.Kind != wire.Drop || st.Wire.After == nil || st.Wire.After.Flags != "F." {
		t.Fatalf("first step = %+v", st)
	}
	if s.Steps[1].Actor != lab.WireLane || s.Steps[1].Op != "sleep" || s.Steps[1].Wire != nil {
		t.Errorf("wire lane sleep = %+v", s.Steps[1])
	}
	for _, a := range s.Actors {
		if a.Name == lab.WireLane {
			t.Errorf("the wire's lane became an actor")
		}
	}
}

func TestParseWireErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"host without wire", "scenario x\nactor c on a\nc: close\n", "f.scn:2: `actor c on a` needs the `wire` directive"},
		{"sysctl host without wire", "scenario x\nsysctl a net/ipv4/tcp_fin_timeout 2\nc: close\n", "f.scn:2: `sysctl a …` names a host"},
		{"lane without wire", "scenario x\nc: close\nwire: heal\n", "f.scn:3: `wire:` steps need the `wire` directive"},
		{"bad link", "scenario x\nwire rtt=1h\nc: close\n", "f.scn:2: wire: expected rtt=D such as rtt=40ms (0..10s)"},
		{"wire twice", "scenario x\nwire\nwire\nc: close\n", "f.scn:3: `wire` given twice (line 2)"},
		{"bad host", "scenario x\nwire\nactor c on z\nc: close\n", "f.scn:3: expected `actor NAME [process] [on a|b]`"},
		{"actor named wire", "scenario x\nwire\nactor wire\nc: close\n", `f.scn:3: "wire" names the wire's lane`},
		{"bad step", "scenario x\nwire\nc: close\nwire: drop c>s X\n", "f.scn:4: wire: flags are written as tcpdump prints them"},
		{"unknown name", "scenario x\nwire\nc: close\nwire: drop c>nobody F.\n", `f.scn:4: wire step names "nobody"`},
		{"same host", "scenario x\nwire\nactor c on a\nactor s on a\nc: close\ns: close\nwire: drop c>s F.\n", "f.scn:7: c>s never crosses the wire: both are on host a"},
		{"lane waits for state", "scenario x\nwire\nc: close\nwire: wait state CLOSED\n", "f.scn:4: the wire lane waits only for a barrier"},
		{"lane op", "scenario x\nwire\nc: close\nwire: close\n", `f.scn:4: wire: unknown step "close"`},
		{"long lane", "scenario x\nwire\nc: close\n" + strings.Repeat("wire: sleep 30s\n", 5), "f.scn:8: actor wire's steps up to here could wait 2m30s"},
		{"bad sockopt", "scenario x\nc: connect s TCP_BOGUS=1\ns: listen\n", `socket option "TCP_BOGUS" unknown`},
		{"before without packet", "scenario x\nc: close\nexpect packet c>s F. before state c CLOSED\n", "f.scn:3: expect: expected `packet A before packet B`"},
		{"elapsed cmp", "scenario x\nc: close\nexpect elapsed packet c>s F. .. packet c>s F. = 1s\n", "f.scn:3: expect: expected `elapsed packet A .. packet B >= DURATION` (or <=, >, <)"},
		{"elapsed bound", "scenario x\nc: close\nexpect elapsed packet c>s F. .. packet c>s F. >= 1h\n", "(at most 30s)"},
		{"count mark", "scenario x\nc: close\nexpect count c>s F. lost = 1\n", "expected `count FROM>TO FLAGS [dropped|delayed|duplicated|injected] = N`"},
		{"then names actor", "scenario x\nc: close\nexpect packet c>c F. before packet c>nobody F.\n", `f.scn:3: condition "packet c>c F. before packet c>nobody F." names actor "nobody"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lab.Parse("f.scn", strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// wireEvs is a lost last ACK as the wire records it: the client's ACK of
// the server's FIN dropped, the FIN retransmitted 200 ms later, a data
// segment held back 50 ms, and an RST the wire crafted.
func wireEvs() []lab.Event {
	pk := func(ms float64, from, to, flags, mark string, arrived float64) lab.Event {
		return lab.Event{T: time.Duration(ms * 1e6), Kind: lab.KindPacket, Packet: &lab.Packet{
			From: from, To: to, Proto: "tcp", Flags: flags, Wire: mark, Arrived: time.Duration(arrived * 1e6)}}
	}
	return []lab.Event{
		pk(1, "client", "server", "P.", lab.WireDelayed, 60),
		pk(2, "client", "server", "F.", "", 0),
		pk(3, "server", "client", "F.", "", 0),
		pk(4, "client", "server", ".", lab.WireDropped, 0),
		pk(204, "server", "client", "F.", "", 0),
		pk(205, "client", "server", ".", "", 0),
		pk(300, "client", "server", "R", lab.WireInjected, 0),
		pk(301, "server", "client", "P.", lab.WireDelayed, 0),
	}
}

func TestEvalWireConds(t *testing.T) {
	evs := wireEvs()
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{"count client>server . = 2", true}, // the dropped ACK was sent too
		{"count client>server . dropped = 1", true},
		{"count client>server P. delayed = 1", true},
		{"count server>client F. = 2", true},
		{"no packet client>server R", true}, // crafted by the wire, not sent by the client
		{"packet client>server R injected", true},
		{"count client>server R injected = 1", true},
		{"packet client>server F. before packet client>server P.", true}, // the FIN overtook the data
		{"packet client>server P. before packet client>server F.", false},
		{"packet server>client F. before packet client>server .", true}, // the dropped ACK never arrived: the first to arrive is at 205
		{"elapsed packet server>client F. .. packet server>client F. >= 200ms", true},
		{"elapsed packet server>client F. .. packet server>client F. < 200ms", false},
		{"elapsed packet client>server F. .. packet server>client F. <= 1ms", true},
		{"elapsed packet client>server R .. packet server>client R >= 1ms", false},
		{"packet server>client P. before packet client>server F.", false}, // still held at the end: never arrived
	} {
		ok, known, err := lab.EvalCond(tc.cond, evs, true)
		if err != nil || !known || ok != tc.want {
			t.Errorf("%s: ok=%v known=%v err=%v, want %v", tc.cond, ok, known, err, tc.want)
		}
	}
	if _, known, _ := lab.EvalCond("packet client>server F. before packet client>server P.", evs, false); known {
		t.Errorf("a before-condition was decided without a recording")
	}
}

func TestPacketWireJSON(t *testing.T) {
	e := lab.Event{T: time.Millisecond, Kind: lab.KindPacket, Packet: &lab.Packet{From: "c", To: "s", Proto: "tcp", Flags: "P.", Len: 5, Wire: lab.WireDelayed, Arrived: 51 * time.Millisecond}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"wire":"delayed","arrived_ms":51`) {
		t.Errorf("JSON %s lacks the wire mark and arrival", b)
	}
	var back lab.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestRecordedPacketsOnly: a run that recorded packets but not states (a
// wire scenario in a user namespace) decides packet conditions and leaves
// state conditions unknown.
func TestRecordedPacketsOnly(t *testing.T) {
	s, err := lab.Parse("p.scn", strings.NewReader("scenario p\nclaims C31\nwire\nclient: close\nserver: close\n"+
		"expect count client>server . dropped = 1\nexpect state server CLOSE-WAIT\n"+
		"verdict C31 agrees when state server CLOSE-WAIT\nverdict C31 differs otherwise\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := lab.CheckExpectsOf(s, "", wireEvs(), lab.Recorded{Packets: true})
	if len(got) != 2 || !got[0].OK || got[0].Skipped || !got[1].Skipped {
		t.Errorf("expectations %+v: want the packet one held, the state one skipped", got)
	}
	if v := lab.ComputeVerdictsOf(s, "", wireEvs(), lab.Recorded{Packets: true}); v[0].Verdict != "not observed" {
		t.Errorf("verdict %q on an untraced state, want not observed", v[0].Verdict)
	}
}
