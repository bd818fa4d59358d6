// Package bench measures what a data-safe close costs a server, against the
// usual Go alternatives, on loopback (issue 5, `teardown bench`).
//
// Four servers speak the same protocol (read a request of a fixed size,
// write a reply of a fixed size, close) and differ only in how they close:
//
//   - teardown: package server, FIN then a lingering close watched by epoll,
//     no goroutine per lingering connection;
//   - graceful-goroutine: a goroutine per connection running
//     teardown.Graceful (CloseWrite, read to EOF, close);
//   - plain: Close right after the reply. Cheapest, and it loses replies
//     whenever the client's next bytes sit unread (RST, claim C21);
//   - sleep500: net/http's closeWriteAndWait: CloseWrite, sleep 500 ms,
//     Close. Usually safe, but every connection is held half a second.
//
// Each server runs in a child process (`teardown bench server`), so that its
// CPU time (getrusage) and memory (RSS) are its own; the load generator runs
// in the parent. Workloads: churn (conn/s and server CPU per connection),
// pipelined (two requests in one write and a 256 KiB reply: replies lost),
// hold (clients that never close: memory per lingering connection) and
// shutdown (Shutdown under churn: replies lost). Every loop is bounded by a
// count and a time; every figure is also given as a ratio to plain in the
// same run.
package bench
