// Package render draws what the lab recorded: for one scenario a sequence
// diagram of the connection's teardown, and for the whole catalog a summary
// table. It knows nothing about sockets; it reads lab.Result values, live
// or loaded back from `teardown lab -json`.
//
// # Reading a diagram
//
// Time flows down. Each actor has a lane, the client (Actors[0]) on the
// left and the server (Actors[1]) on its right; further actors get lanes of
// their own while the width allows, and share the last one (each line then
// names its actor, "c3: …") when it does not. A row is one moment: the time
// in milliseconds since the scenario started, then what happened.
//
//	  t(ms)  client                                       server
//	100.600  close() = ok
//	100.630  FIN-WAIT-1
//	100.640  ───── [F.] seq 4 ack 1 ────────────────────▶
//	100.660                                               CLOSE-WAIT
//
// An arrow is one segment on the wire, labelled the way tcpdump prints it:
// the flags in brackets ([S] SYN, [.] ACK, [P.] data pushed, [F.] FIN,
// [R] reset), the sequence numbers relative to each side's initial one,
// "seq 1:4" for data (first byte, one past the last), "ack" only when the
// ACK flag is set, "len" the payload. A FIN takes one sequence number of
// its own, which is why the answer to "[F.] seq 4" is "[.] ack 5" (RFC 9293
// §3.4, §3.6).
//
// A lane shows its actor's calls as `op(args) = result` — a byte count,
// "EOF" for a read of 0 bytes, "ok", or the errno the kernel answered
// (ECONNRESET, EPIPE) — with the time a call blocked when it is long
// (close() with SO_LINGER waits for the peer's ACK, claim C18), and its TCP
// state changes in ss(8) spelling. A state written "~TIME-WAIT" is
// inferred: Linux has no tracepoint for entering TIME-WAIT, because the full
// socket is replaced by a small timewait socket; the lab infers it from the
// FIN-WAIT-2 → CLOSE transition and confirms it with sock_diag (ss). Lines
// "ss: STATE q R/S timer" are socket-table snapshots (Recv-Q/Send-Q), and
// "»" marks a note. "CLOSE (reset sent)" is a socket that answered with an
// RST — the data loss of claim C21 and of the seed's experiment A
// (seed 003), where data reaching a socket its process already closed is
// refused with a reset (claims C04, C06).
//
// Below the diagram, the scenario's expectations (✓ held, ✗ did not, -
// skipped because packets and states need root and were not recorded) and
// its verdicts: per claim, what the seed said, what this kernel did, and
// why. Options.Lang "zh" translates the fixed words and uses the Chinese
// texts of the verdicts where the scenario has them; widths are counted in
// terminal columns, so Chinese (two columns a character) lines up too.
//
// Options.NormalizeTimes makes output independent of the run: times become
// the row's rank (#1, #2 …), measured durations are rounded to 0.1 s, ports
// and timer expiries are hidden, and within one moment of the scenario
// (events less than 20 ms apart) the actors' calls, whose interleaving
// depends on the scheduler, are listed after the kernel's segments and
// state changes, lane by lane. Golden tests use it; two runs of the same
// scenario then draw the same diagram, as long as the kernel did the same
// thing (five real runs of seed-close did).
package render
