package wire

import (
	"fmt"
	"io"
	"time"

	"github.com/tcpteardown/teardown/capture"
)

// Host is one end of the wire: a private network namespace with one TUN
// device.
type Host uint8

const (
	HostInvalid Host = iota
	A                // 198.18.0.1, 2001:db8::1
	B                // 198.18.0.2, 2001:db8::2
)

func (h Host) String() string {
	switch h {
	case A:
		return "a"
	case B:
		return "b"
	}
	return "invalid"
}

func (h Host) index() int { return int(h) - 1 }

// Dir is the direction a packet travels on the wire.
type Dir uint8

const (
	DirInvalid Dir = iota
	AtoB
	BtoA
)

func (d Dir) String() string {
	switch d {
	case AtoB:
		return "a>b"
	case BtoA:
		return "b>a"
	}
	return "invalid"
}

// From is the host that sent the packet, To the one that receives it.
func (d Dir) From() Host { return map[Dir]Host{AtoB: A, BtoA: B}[d] }
func (d Dir) To() Host   { return map[Dir]Host{AtoB: B, BtoA: A}[d] }

func (d Dir) index() int { return int(d) - 1 }

func dirOf(from, to Host) Dir {
	switch {
	case from == A && to == B:
		return AtoB
	case from == B && to == A:
		return BtoA
	}
	return DirInvalid
}

// Action is what the wire did with a packet.
type Action uint8

const (
	ActionInvalid Action = iota
	Forwarded            // passed on (after the link's delay, if any)
	Dropped              // never delivered: a drop rule, a cut, or the link's random loss
	Delayed              // held for a delay rule's duration while later packets pass
	Held                 // kept by a hold rule until release
	Duplicated           // delivered twice
	Injected             // crafted by the wire, not sent by either host
	Delivered            // a delayed or held packet finally leaving the wire
)

var actionNames = [...]string{"invalid", "forwarded", "dropped", "delayed", "held", "duplicated", "injected", "delivered"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "invalid"
}

// Event is one packet the wire handled. Every packet a host sends is
// exactly one event (Forwarded, Dropped, Delayed, Held or Duplicated) at
// the moment it reached the wire; a Delayed or Held packet gets a second
// event, Delivered, when it leaves; a crafted packet is one Injected event.
// Counting "what the sender put on the wire" is therefore counting events
// that are not Delivered or Injected.
type Event struct {
	Time   time.Time // when the wire read (or wrote, for Delivered/Injected) the packet
	Dir    Dir
	Action Action
	Rule   string          // the step that decided ("drop client>server F."), "loss" for random loss, "" otherwise
	Seg    capture.Segment // decoded; Seg.Raw is the packet behind an Ethernet header with zero MACs
}

// WritePcap writes events as a pcapng file (nanosecond stamps, Ethernet
// frames with zero MACs, as capture writes lo): every packet that was on
// the wire once, at the time it reached the wire — Delivered events are
// left out, since their packet is already in the file. A packet the wire
// did not simply forward carries a comment saying what it did and which
// step decided ("dropped: drop client>server F."), which Wireshark shows
// with the packet (pkt_comment) and tshark can filter on.
func WritePcap(w io.Writer, events []Event) error {
	pw, err := capture.NewWriter(w, true)
	if err != nil {
		return fmt.Errorf("wire: %w", err)
	}
	for _, e := range events {
		if e.Action == Delivered {
			continue
		}
		s := e.Seg
		s.Time = e.Time
		if err := pw.WriteComment(s, e.comment()); err != nil {
			return fmt.Errorf("wire: %w", err)
		}
	}
	return pw.Close()
}

// comment is what a pcap reader is told about a packet the wire did not
// simply forward: the action, and the step that decided it.
func (e Event) comment() string {
	if e.Action == Forwarded {
		return ""
	}
	c := "wire: " + e.Action.String()
	if e.Rule != "" {
		c += " (" + e.Rule + ")"
	}
	return c
}
