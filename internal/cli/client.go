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
	fs := NewFlagSet(env, "client", "[-addr 127.0.0.1:9527] [-close-wait 6s]")
	cfg := echo.ClientConfig{In: env.Stdin, Out: env.Stdout}
	fs.StringVar(&cfg.Addr, "addr", echo.DefaultAddr, "server address")
	fs.DurationVar(&cfg.CloseWait, "close-wait", 6*time.Second, "after the close command, wait this long before exiting, as the seed's client does")
	if err := Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return Usagef("client: unexpected argument %q (see teardown client -h)", fs.Arg(0))
	case cfg.CloseWait < 0:
		return Usagef("client: -close-wait %s is negative", cfg.CloseWait)
	}
	c, err := echo.Dial(ctx, &cfg)
	if err != nil {
		return err
	}
	// On stderr, so that stdout holds exactly the seed's lines.
	fmt.Fprintf(env.Stderr, "teardown client: connected %s -> %s (type help for the commands)\n", c.LocalAddr(), cfg.Addr)
	return c.Run(ctx)
}
