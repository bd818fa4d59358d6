//go:build linux

package teardown_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tcpteardown/teardown"
)

// The examples that read the kernel's view of a connection (Info: TCP_INFO,
// SIOCINQ) run on Linux only.

// After the peer's FIN our side sits in CLOSE-WAIT until we close (C29).
func ExampleInfo() {
	server, client := loopback()
	defer server.Close()
	client.Write([]byte("hello"))
	client.Close()
	io.ReadAll(server) // returns at the FIN
	i, _ := teardown.Info(server)
	fmt.Println(i.State, i.Readable)
	// Output: CLOSE-WAIT 0
}

// WaitAcked returns once the peer's kernel has acknowledged every byte; the
// peer's application may not have read them yet.
func ExampleWaitAcked() {
	server, client := loopback()
	defer server.Close()
	defer client.Close()
	server.Write([]byte("Hi, aaa"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := teardown.WaitAcked(ctx, server)
	i, _ := teardown.Info(client)
	fmt.Println(err, "- unread by the client:", i.Readable)
	// Output: <nil> - unread by the client: 7
}

// A half-close of the reading side is local: the peer is not told.
func ExampleShutdown() {
	server, client := loopback()
	defer server.Close()
	defer client.Close()
	teardown.Shutdown(server, teardown.ShutRead)
	_, err := server.Read(make([]byte, 1))
	i, _ := teardown.Info(client)
	fmt.Println(err, i.State)
	// Output: EOF ESTABLISHED
}
