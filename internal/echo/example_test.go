package echo_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/internal/echo"
)

// Experiment B of seed 003 in a few lines: the client half-closes after
// "aaa", still receives the late reply, and both sides see a clean end.
func Example() {
	ctx := context.Background()
	var serverOut, clientOut bytes.Buffer
	srv, err := echo.Listen(ctx, &echo.ServerConfig{Addr: "127.0.0.1:0", Once: true, Out: &serverOut})
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error)
	go func() { served <- srv.Serve(ctx) }()

	c, err := echo.Dial(ctx, &echo.ClientConfig{
		Addr: srv.Addr().String(),
		In:   strings.NewReader("aaa\nshutdown\n"),
		Out:  &clientOut,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Run(ctx)
	<-served
	fmt.Print("client:\n", clientOut.String(), "server:\n", serverOut.String())
	// Output:
	// client:
	// now sending aaa
	// send bytes: 3
	// Hi, aaa
	// server terminated
	// server:
	// received 3 bytes: aaa
	// send bytes: 7
	// client closed
}

func ExampleParseLine() {
	for _, line := range []string{"hello\n", "shutdown\n", "shutdown rd\n", "linger 5\n", "shutdown sideways\n"} {
		cmd, err := echo.ParseLine(line)
		switch {
		case err != nil:
			fmt.Println(err)
		case cmd.Op == echo.OpSend:
			fmt.Printf("send %q\n", cmd.Text)
		case cmd.Op == echo.OpShutdown:
			fmt.Println("shutdown", cmd.How)
		case cmd.Op == echo.OpLinger:
			fmt.Println("linger", cmd.Linger)
		}
	}
	// Output:
	// send "hello"
	// shutdown wr
	// shutdown rd
	// linger 5s
	// unknown command "shutdown sideways": shutdown takes rd, wr or rdwr (help lists the commands)
}
