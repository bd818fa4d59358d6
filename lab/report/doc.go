// Package report draws what the lab recorded as pictures: one
// self-contained HTML page (WriteHTML) with a section and an SVG sequence
// diagram per scenario run, or one standalone SVG per run (WriteSVG), for
// a slide or a bug report. Like the terminal renderer (lab/render) it
// reads lab.Result values — live, or loaded back from `teardown lab -json`
// — and knows nothing about sockets; other tools feed it by producing the
// same events.
//
// # Reading a diagram
//
// Each actor has a vertical lifeline, the client (Actors[0]) on the left;
// packet ends the runner could not name get lifelines of their own. Time
// flows down, with the time in milliseconds since the scenario started on
// the axis at the left. A teardown is bursts of events microseconds apart
// separated by idle waits (a sleep, SO_LINGER's timeout, the peer's
// delayed answer), so the axis is not linear: a short pause adds a little
// space, a pause of 10 ms or more is cut out and drawn as a break (⫽)
// labelled with its length ("+300 ms").
//
// An arrow is one segment on the wire, from the sender's lifeline to the
// receiver's, labelled the way tcpdump prints it: "[F.] seq 4 ack 1" is a
// FIN carrying an ACK, whose sequence number (relative to the sender's
// initial one) is 4; the answer "[.] ack 5" acknowledges it, because a FIN
// occupies one sequence number of its own (RFC 9293 §3.4). Colours: SYN
// blue, FIN amber, RST red, data dark, pure ACKs grey. An arrow's ends are
// at its send and receive times; the lab records one time per segment (on
// loopback, where the capture sees it, they coincide), so arrows are level
// until the lab's wire records a delay, which then shows as a slant.
// Hovering an arrow, or focusing it with Tab, shows its full line (flags,
// seq, ack, window, length, payload) under the diagram.
//
// The wire's marks have a class each: a "dropped" segment ends in ✕ before
// it reaches the receiver, a "delayed" one carries ⧗ and slants down, an
// "injected" one (made by the wire, not by a socket) starts from a +, a
// "duplicated" one carries ⧉. They come from lab.Packet.Wire, which the
// lab's wire records (Options.WireMark may supply others).
//
// Boxes on a lifeline are the actor's socket calls with the kernel's
// answer, as in the terminal diagram: "read(4096) = EOF" (green: the peer's
// FIN reached the reader), "write("more") = EPIPE" (red: an errno). Rounded
// labels are TCP state changes in ss(8) spelling; a dashed one ("~TIME-WAIT")
// is inferred, since Linux has no tracepoint for entering TIME-WAIT (the
// full socket is replaced by a timewait mini-socket; the lab infers it
// from FIN-WAIT-2 → CLOSE and confirms it with sock_diag), and a red one
// was caused by a reset ("CLOSE (reset received)": the data loss of claims
// C04 and C06).
//
// Long transfers (SO_LINGER scenarios send ~1,400 segments) would bury the
// teardown: beyond Options.MaxArrows arrows per diagram, runs of ordinary
// segments are folded into one dashed box, "⋯ 1373 more segments ⋯", that
// counts them (by direction, flags and bytes on hover); SYN, FIN and RST
// segments and the first and last few of each run stay drawn.
//
// # The page
//
// Each section holds a run's title, claims, notes, the diagram, a card
// per claim (what the seed said, what this kernel did, why) and the
// scenario's expectations (✓ held, ✗ did not, – not recorded). The page
// carries English and Chinese texts and a button switches between them;
// it follows the reader's light or dark setting and prints on paper in the
// light palette, a run per page. It is one file: inline style, one small
// script, no fonts or anything else fetched, and a Content-Security-Policy
// that forbids every request.
//
// # Markup contract
//
// Tools and tests rely on it: each run is a <section id="NAME"> (or
// "NAME/VARIANT") holding one <svg class="seq">; each packet arrow is an
// element of class "packet" (plus its kind — syn, fin, rst, data, ack,
// udp, icmp — and its wire mark), each folded run of packets a "fold" with
// data-packets="N", each call "call", each state label "state". Every text
// from a scenario file or the wire is escaped: names and payloads are
// untrusted input.
package report
