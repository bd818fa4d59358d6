package teardown_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/tcpteardown/teardown"
)

// BenchmarkClose measures one request/answer exchange on a fresh loopback
// connection and its close by each strategy, peer included (it reads to the
// end and closes). Run with a bounded count, e.g. -benchtime=500x: every
// graceful iteration leaves one TIME-WAIT socket for 60 s.
func BenchmarkClose(b *testing.B) {
	strategies := []struct {
		name  string
		close func(net.Conn) error
	}{
		{"close", func(c net.Conn) error { return c.Close() }},
		{"abort", teardown.Abort},
		{"graceful", func(c net.Conn) error {
			_, err := teardown.Graceful(context.Background(), c, nil)
			return err
		}},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	for _, s := range strategies {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				exchange(b, ln, s.close)
			}
		})
	}
}

func exchange(b *testing.B, ln net.Listener, closeFn func(net.Conn) error) {
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		client.Write([]byte("q"))
		io.ReadAll(client)
		client.Close()
	}()
	server.Read(make([]byte, 1))
	server.Write([]byte("a"))
	closeFn(server)
	<-done
}
