package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/tcpteardown/teardown/internal/echo"
)

func init() {
	Register(&Command{
		Name:    "serve",
		Summary: `the seed's echo server: "Hi, MSG" after -delay (experiments A and B with "teardown client")`,
		Run:     runServe,
	})
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "serve", "[-addr 127.0.0.1:9527] [-delay 5s] [-once] [-concurrent]")
	cfg := echo.ServerConfig{Out: env.Stdout, Terminal: env.TTY}
	fs.StringVar(&cfg.Addr, "addr", echo.DefaultAddr, "address to listen on")
	fs.DurationVar(&cfg.Delay, "delay", 5*time.Second, "time the server \"works\" before each reply (the window for close or shutdown)")
	fs.BoolVar(&cfg.Once, "once", false, "exit after the first client, as the seed's server does")
	fs.BoolVar(&cfg.Concurrent, "concurrent", false, "serve many clients at once (default: one after another)")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := checkServeFlags(fs.Args(), &cfg); err != nil {
		return err
	}
	srv, err := echo.Listen(ctx, &cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "teardown serve: listening on %s (Ctrl-C to stop)\n", srv.Addr())
	return srv.Serve(ctx)
}

func checkServeFlags(rest []string, cfg *echo.ServerConfig) error {
	switch {
	case len(rest) > 0:
		return Usagef("serve: unexpected argument %q (see teardown serve -h)", rest[0])
	case cfg.Delay < 0:
		return Usagef("serve: -delay %s is negative", cfg.Delay)
	case cfg.Once && cfg.Concurrent:
		return Usagef("serve: -once and -concurrent exclude each other")
	}
	return nil
}
