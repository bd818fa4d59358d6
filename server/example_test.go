package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/server"
)

// A line-echo server. When the handler returns, the server sends FIN after
// the reply, discards what the client still sends, and closes at the client's
// FIN, so the client reads the whole reply and then EOF.
func Example() {
	s := &server.Server{
		Handler: server.HandlerFunc(func(ctx context.Context, c net.Conn) {
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "Hi, %s", line)
		}),
		CloseOptions: &teardown.Options{IdleTimeout: 2 * time.Second},
	}
	l, _ := server.Listen(context.Background(), "127.0.0.1:0")
	go s.Serve(l)

	c, _ := net.Dial("tcp", l.Addr().String())
	// Two lines in one write: the second stays unread by the handler, which
	// with a plain close would make the kernel send RST (claim C21).
	fmt.Fprint(c, "alice\nbob\n")
	reply, err := io.ReadAll(c) // to EOF
	c.Close()
	fmt.Printf("%q %v\n", reply, err)

	s.Shutdown(context.Background())
	fmt.Println(s.Stats().ClosedBy)
	// Output:
	// "Hi, alice\n" <nil>
	// map[peer-closed:1]
}
