package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tcpteardown/teardown/probe"
)

// Probe a Go net/http server for the reset problem: with "Connection:
// close" it closes with a plain close(), so a pipelined request it has not
// read makes the kernel reset the reply.
func ExampleRun() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	big := make([]byte, 300<<10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		w.Write(big)
	})}
	go srv.Serve(l)
	defer srv.Close()

	rep, err := probe.Run(context.Background(), &probe.Config{
		Addr:    l.Addr().String(),
		MaxWait: 2 * time.Second,
		Only:    []string{"close-after-reply", "pipelined-close"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range rep.Checks {
		fmt.Println(c.Name, c.Verdict, "rst:", c.RST)
	}
	// Output:
	// close-after-reply ok rst: false
	// pipelined-close fail rst: true
}
