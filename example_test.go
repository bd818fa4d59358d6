package teardown_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown"
)

// loopback returns both ends of a connection on 127.0.0.1.
func loopback() (server, client net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	server, err = ln.Accept()
	if err != nil {
		panic(err)
	}
	return server, client
}

// A server answers and closes gracefully while the client still has an
// unread request in flight: the client gets the whole answer and EOF.
func ExampleGraceful() {
	server, client := loopback()
	defer client.Close()
	client.Write([]byte("request 1\nrequest 2\n")) // pipelined
	server.Write([]byte("answer 1\n"))

	done := make(chan struct{})
	go func() {
		defer close(done)
		b, err := io.ReadAll(client) // ends at the server's FIN
		fmt.Printf("client got %q, err %v\n", b, err)
		client.Close()
	}()
	r, err := teardown.Graceful(context.Background(), server, &teardown.Options{IdleTimeout: 2 * time.Second})
	<-done
	fmt.Println(r.Outcome, r.Drained, "bytes drained, aborted:", r.Aborted, err)
	// Output:
	// client got "answer 1\n", err <nil>
	// peer-closed 20 bytes drained, aborted: false <nil>
}

// Abort resets the connection: the peer's read fails with ECONNRESET.
func ExampleAbort() {
	server, client := loopback()
	defer client.Close()
	teardown.Abort(server)
	_, err := client.Read(make([]byte, 1))
	fmt.Println(errors.Is(err, syscall.ECONNRESET))
	// Output: true
}

// CloseWrite half-closes: the peer reads EOF and can still answer.
func ExampleCloseWrite() {
	server, client := loopback()
	defer server.Close()
	defer client.Close()
	client.Write([]byte("aaa"))
	teardown.CloseWrite(client)
	req, _ := io.ReadAll(server) // "aaa", then EOF
	server.Write([]byte("Hi, " + string(req)))
	server.Close()
	reply, _ := io.ReadAll(client)
	fmt.Println(string(reply))
	// Output: Hi, aaa
}
