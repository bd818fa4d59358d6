package lab

import (
	"encoding/json"
	"math"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// Kind is the kind of a timeline event.
type Kind string

const (
	KindPacket   Kind = "packet"   // a captured segment
	KindCall     Kind = "call"     // a system call an actor made, with its result
	KindState    Kind = "state"    // a TCP state transition of an actor's socket
	KindSnapshot Kind = "snapshot" // rows of the socket table at one moment
	KindNote     Kind = "note"     // anything else worth showing (a sample, a marker)
)

// Event is one entry of a scenario's timeline. Exactly one of the pointer
// fields matching Kind is set. JSON flattens it (docs/json-schema.md):
// {"t_ms": 12.3, "kind": "packet", "from": "client", ...}.
type Event struct {
	T        time.Duration // since the scenario started
	Kind     Kind
	Packet   *Packet
	Call     *Call
	State    *State
	Snapshot *Snapshot
	Note     *Note
}

// Packet is a segment between two actors.
type Packet struct {
	From, To string // actor names ("client", "server", …) or addr:port if unknown
	Proto    string // "tcp", "udp", "icmp"
	Flags    string // as tcpdump prints them: "S", "S.", ".", "P.", "F.", "R", "R."
	Seq, Ack uint32 // relative to each direction's ISN, as tcpdump prints them
	Len      int
	Win      uint16
	Info     string // e.g. the payload as quoted text, or the ICMP error
	// Wire is what the lab's wire did to the segment (wire scenarios):
	// "" (delivered as sent), WireDropped, WireDelayed (delayed or held),
	// WireDuplicated or WireInjected (crafted by the wire, sent by no socket).
	Wire string
	// Arrived is when the segment left the wire for its receiver (since
	// the scenario started): set for a delayed or held one, and for every
	// delivered one on a link with a round trip; 0: at T.
	Arrived time.Duration
}

// The wire's marks on a packet (Packet.Wire; JSON "wire").
const (
	WireDropped    = "dropped"
	WireDelayed    = "delayed"
	WireDuplicated = "duplicated"
	WireInjected   = "injected"
)

// Call is one operation of an actor and what the kernel answered.
type Call struct {
	Actor  string
	Op     string // read, write, close, shutdown, connect, bind, listen, accept, recv, send, sendto, setsockopt, ioctl, …
	Args   string
	Result string // byte count in decimal, "EOF", "ok", an errno name ("ECONNRESET"), "timeout", "killed:SIGPIPE"
	Dur    time.Duration
	Data   string // what a read returned, quoted, when short
	Bytes  int    // bytes moved by a read/recv (a read-until-EOF loop: all of them)
	// At is the wall-clock time the call returned; the runner turns it into
	// the event's T. It is not part of the JSON form (t_ms is).
	At time.Time
}

// State is a TCP state transition of an actor's socket.
type State struct {
	Actor    string
	From, To tcpstate.State
	Inferred bool   // TIME-WAIT: no tracepoint reports entering it
	Reset    string `json:",omitempty"` // "sent" or "received" when an RST caused it
}

// Snapshot is what the socket table showed for the scenario's ports.
type Snapshot struct {
	Rows []SockRow
}

// SockRow is one socket-table row.
type SockRow struct {
	Actor  string         `json:"actor"`
	State  tcpstate.State `json:"state"`
	RecvQ  uint32         `json:"recv_q"`
	SendQ  uint32         `json:"send_q"`
	Timer  string         `json:"timer,omitempty"`
	Expiry float64        `json:"expires_ms,omitempty"`
	Orphan bool           `json:"orphan,omitempty"`
	Local  string         `json:"local"`
	Remote string         `json:"remote"`
}

// Note is free text attached to an actor (or to the scenario when Actor is "").
type Note struct {
	Actor string
	Text  string
}

// Verdict compares what a seed claims with what this kernel did.
type Verdict struct {
	Claim    string      `json:"claim"` // "C06"
	Verdict  VerdictKind `json:"verdict"`
	Said     string      `json:"said"`     // the claim, paraphrased, with its seed
	Observed string      `json:"observed"` // what the events show, computed from them
	Why      string      `json:"why,omitempty"`
	// Chinese text for `-lang zh` (the seeds' readers); empty falls back to English.
	SaidZh string `json:"-"`
	WhyZh  string `json:"-"`
}

// VerdictKind says how what the kernel did compares with a seed's claim.
type VerdictKind string

const (
	Agrees      VerdictKind = "agrees"       // the kernel does what the seed says
	Differs     VerdictKind = "differs"      // the kernel corrects the seed
	Partly      VerdictKind = "partly"       // some of it holds (or runs disagreed)
	NotObserved VerdictKind = "not observed" // the run could not see what the rules ask
)

// Millis renders a duration as milliseconds with microsecond precision.
func Millis(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

type flat struct {
	TMs      float64         `json:"t_ms"`
	Kind     Kind            `json:"kind"`
	Actor    string          `json:"actor,omitempty"`
	From     string          `json:"from,omitempty"`
	To       string          `json:"to,omitempty"`
	Proto    string          `json:"proto,omitempty"`
	Flags    string          `json:"flags,omitempty"`
	Seq      *uint32         `json:"seq,omitempty"`
	Ack      *uint32         `json:"ack,omitempty"`
	Len      *int            `json:"len,omitempty"`
	Win      *uint16         `json:"win,omitempty"`
	Info     string          `json:"info,omitempty"`
	Wire     string          `json:"wire,omitempty"`
	Arrived  *float64        `json:"arrived_ms,omitempty"`
	Op       string          `json:"op,omitempty"`
	Args     string          `json:"args,omitempty"`
	Result   string          `json:"result,omitempty"`
	DurMs    *float64        `json:"dur_ms,omitempty"`
	Data     string          `json:"data,omitempty"`
	Bytes    int             `json:"bytes,omitempty"`
	Inferred *bool           `json:"inferred,omitempty"`
	Reset    string          `json:"reset,omitempty"`
	Rows     []SockRow       `json:"rows,omitempty"`
	Text     string          `json:"text,omitempty"`
	Extra    json.RawMessage `json:"-"`
}

// MarshalJSON writes the flat form documented in docs/json-schema.md.
func (e Event) MarshalJSON() ([]byte, error) {
	f := flat{TMs: Millis(e.T), Kind: e.Kind}
	switch {
	case e.Packet != nil:
		p := e.Packet
		f.From, f.To, f.Proto, f.Flags, f.Info = p.From, p.To, p.Proto, p.Flags, p.Info
		f.Seq, f.Ack, f.Len, f.Win = &p.Seq, &p.Ack, &p.Len, &p.Win
		f.Wire = p.Wire
		if p.Arrived > 0 {
			a := Millis(p.Arrived)
			f.Arrived = &a
		}
	case e.Call != nil:
		c := e.Call
		d := Millis(c.Dur)
		f.Actor, f.Op, f.Args, f.Result, f.DurMs, f.Data, f.Bytes = c.Actor, c.Op, c.Args, c.Result, &d, c.Data, c.Bytes
	case e.State != nil:
		s := e.State
		f.Actor, f.From, f.To, f.Inferred, f.Reset = s.Actor, s.From.String(), s.To.String(), &s.Inferred, s.Reset
	case e.Snapshot != nil:
		f.Rows = e.Snapshot.Rows
	case e.Note != nil:
		f.Actor, f.Text = e.Note.Actor, e.Note.Text
	}
	return json.Marshal(f)
}

// Expectation is one `expect` line of a scenario file and whether the
// recorded events satisfied it.
type Expectation struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	OK   bool   `json:"ok"`
	Got  string `json:"got,omitempty"` // what was observed instead, when !OK
	// Skipped is set when the expectation needs packets or states and they
	// were not recorded (not root): never guessed.
	Skipped bool `json:"skipped,omitempty"`
}

// TallyExpectations counts a run's expectations: how many held, how many
// were checked (held or not), and how many were skipped for lack of a
// recording. The summary prints held/counted, then the skipped apart.
func TallyExpectations(xs []Expectation) (held, counted, skipped int) {
	for _, x := range xs {
		switch {
		case x.Skipped:
			skipped++
		case x.OK:
			held++
			counted++
		default:
			counted++
		}
	}
	return held, counted, skipped
}

// Result is one run of one scenario (or of one variant of it).
type Result struct {
	Name    string   `json:"name"`
	Variant string   `json:"variant,omitempty"`
	Title   string   `json:"title,omitempty"`
	Claims  []string `json:"claims"`
	Status  Status   `json:"status"`
	Passed  bool     `json:"passed"`           // every expectation held (skipped ones do not fail)
	Reason  string   `json:"reason,omitempty"` // why it was skipped or is inconclusive, whole
	Loss    *Loss    `json:"loss,omitempty"`   // what the recorders lost, when they lost anything
	Pcap    string   `json:"pcap,omitempty"`   // the -pcap file written for this run
	// Moments are the times (ms since the start) at which a scripted sleep
	// ended: each begins a moment of the script. Normalised output orders
	// calls within a moment, so it must know where moments begin.
	Moments  []float64     `json:"moments_ms,omitempty"`
	Duration time.Duration `json:"-"`
	Actors   []string      `json:"actors"` // lane order for diagrams: client first, server second
	Events   []Event       `json:"events"`
	Verdicts []Verdict     `json:"verdicts"`
	Expects  []Expectation `json:"expects"`
	Notes    []string      `json:"notes,omitempty"` // e.g. "packets and states need root: not recorded"
	Err      string        `json:"error,omitempty"` // the scenario could not run
}

// SchemaVersion is the version of the JSON form of Run (docs/json-schema.md).
// It changes when a field changes meaning or disappears; new fields that
// readers may ignore do not change it. Version 1 was the unversioned form
// before status, reason and loss existed.
const SchemaVersion = 2

// Run is the whole output of `teardown lab -json`.
type Run struct {
	Schema    int      `json:"schema_version"` // SchemaVersion
	Kernel    string   `json:"kernel"`         // uname -r
	Root      bool     `json:"root"`           // packets and states recorded
	Scenarios []Result `json:"scenarios"`
}

// UnmarshalJSON reads the flat form back, so a saved timeline can be
// rendered again later.
func (e *Event) UnmarshalJSON(b []byte) error {
	var f flat
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*e = Event{T: fromMs(f.TMs), Kind: f.Kind}
	switch f.Kind {
	case KindPacket:
		e.Packet = &Packet{From: f.From, To: f.To, Proto: f.Proto, Flags: f.Flags, Info: f.Info,
			Seq: deref(f.Seq), Ack: deref(f.Ack), Len: deref(f.Len), Win: deref(f.Win),
			Wire: f.Wire, Arrived: fromMs(deref(f.Arrived))}
	case KindCall:
		e.Call = &Call{Actor: f.Actor, Op: f.Op, Args: f.Args, Result: f.Result, Data: f.Data,
			Dur: fromMs(deref(f.DurMs))}
	case KindState:
		return e.unmarshalState(f)
	case KindSnapshot:
		e.Snapshot = &Snapshot{Rows: f.Rows}
	case KindNote:
		e.Note = &Note{Actor: f.Actor, Text: f.Text}
	}
	return nil
}

func (e *Event) unmarshalState(f flat) error {
	s := &State{Actor: f.Actor, Inferred: deref(f.Inferred), Reset: f.Reset}
	if err := s.From.UnmarshalText([]byte(f.From)); err != nil {
		return err
	}
	if err := s.To.UnmarshalText([]byte(f.To)); err != nil {
		return err
	}
	e.State = s
	return nil
}

func fromMs(v float64) time.Duration { return time.Duration(math.Round(v * 1e6)) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
