// Command teardown runs the lab (every seed claim on the real kernel), the
// seed's echo server and client, packet capture, the socket-table watcher and
// the benchmarks. `teardown help` lists the subcommands and the exit codes:
// 0 ok, 1 a failure found, 2 bad usage or a missing privilege, 130
// interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/lab/runner"
)

func main() {
	// A scenario's process actors are this binary started again: run as one
	// when the lab's runner asked for it.
	runner.RunIfChild()
	// SIGINT/SIGTERM cancel ctx: every command cleans up (tracefs instances,
	// namespaces, sockets) and returns; a second Ctrl-C kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	env.TTY, env.Width = terminal(os.Stdout)
	err := cli.Run(ctx, env, os.Args[1:])
	os.Exit(report(os.Stderr, err, ctx.Err() != nil))
}

// terminal reports whether f is a terminal and its width in columns (0 when
// unknown). x/term asks the tty driver (TCGETS), so /dev/null, a character
// device but no terminal, is not taken for one.
func terminal(f *os.File) (tty bool, width int) {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return false, 0
	}
	if w, _, err := term.GetSize(fd); err == nil {
		width = w
	}
	return true, width
}

// report prints err's one line (if it needs one) and returns the exit code.
// A run that Ctrl-C or SIGTERM cut short ends with "teardown: interrupted"
// and 130, as shells report a process killed by SIGINT.
func report(w io.Writer, err error, signalled bool) int {
	code := cli.Code(err)
	switch {
	case err == nil || cli.Quiet(err):
	case signalled && errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "teardown: interrupted")
	default:
		fmt.Fprintf(w, "teardown: %s\n", cli.OneLine(err))
	}
	return code
}
