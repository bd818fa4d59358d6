package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/tcpteardown/teardown/internal/echo"
)

func init() {
	Register(&Command{
		Name:    "client",
		Summary: "the seed's client: send stdin lines; shutdown, close, abort, linger, state (help)",
		Run:     runClient,
	})
}

func runClient(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "client", "[-addr 127.0.0.1:9527] [-close-wait 6s] [-stdin-eof close|shutdown|wait]")
	cfg := echo.ClientConfig{In: env.Stdin, Out: env.Stdout}
	fs.StringVar(&cfg.Addr, "addr", echo.DefaultAddr, "server address")
	fs.DurationVar(&cfg.CloseWait, "close-wait", 6*time.Second, "after the close command, wait this long before exiting, as the seed's client does")
	atEOF := fs.String("stdin-eof", "wait", "what to do when stdin ends without a close or shutdown command: "+
		"`close|shutdown|wait`; wait (for the server to close) is what the seed's client does")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := checkClientFlags(fs.Args(), &cfg, *atEOF); err != nil {
		return err
	}
	// Notes go to stderr, so that stdout holds exactly the seed's lines.
	cfg.Note = func(msg string) {
		fmt.Fprint(env.Stderr, wrap("teardown client: "+msg+" (Ctrl-C quits)", helpWidth, 0))
	}
	if cfg.AtEOF != echo.EOFWait {
		cfg.Note = func(msg string) { fmt.Fprintf(env.Stderr, "teardown client: %s\n", msg) }
	}
	c, err := echo.Dial(ctx, &cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "teardown client: connected %s -> %s (type help for the commands)\n", c.LocalAddr(), cfg.Addr)
	return c.Run(ctx)
}

func checkClientFlags(rest []string, cfg *echo.ClientConfig, atEOF string) error {
	var err error
	switch {
	case len(rest) > 0:
		return Usagef("client: unexpected argument %q (see teardown client -h)", rest[0])
	case cfg.CloseWait < 0:
		return Usagef("client: -close-wait %s is negative", cfg.CloseWait)
	}
	if cfg.AtEOF, err = echo.ParseAtEOF(atEOF); err != nil {
		return Usagef("client: -stdin-eof: %w", err)
	}
	return nil
}
