// Command teardown runs the lab (every seed claim on the real kernel), the
// seed's echo server and client, packet capture, the socket-table watcher and
// the benchmarks. `teardown help` lists the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/sys"
)

func main() {
	// SIGINT/SIGTERM cancel ctx: every command cleans up (tracefs instances,
	// namespaces, sockets) and returns; a second Ctrl-C kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, TTY: cli.IsTerminal(os.Stdout)}
	if env.TTY {
		env.Width = sys.TermWidth(int(os.Stdout.Fd()))
	}
	err := cli.Run(ctx, env, os.Args[1:])
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "teardown: %s\n", cli.OneLine(err))
	}
	os.Exit(cli.Code(err))
}
