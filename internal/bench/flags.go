package bench

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Flags defines the flags of `teardown bench server` on fs, filling c, and
// returns the -control flag. Check validates them after parsing.
func (c *ServerConfig) Flags(fs *flag.FlagSet) (control *bool) {
	fs.StringVar(&c.Addr, "addr", "", "address to listen on, e.g. 127.0.0.1:8000")
	fs.IntVar(&c.Req, "req", 16, "request size: bytes read before replying")
	fs.IntVar(&c.Reply, "reply", 32, "reply size in bytes")
	fs.StringVar(&c.Close, "close", CloseTeardown, "close strategy: teardown, graceful, plain, sleep500")
	fs.DurationVar(&c.Idle, "idle", 5*time.Second, "lingering close: idle timeout")
	fs.DurationVar(&c.Linger, "linger", 30*time.Second, "lingering close: total time")
	fs.Int64Var(&c.MaxDrain, "max-drain", 1<<20, "lingering close: byte budget (<0 unlimited)")
	return fs.Bool("control", false, "read commands (stats, shutdown D) on stdin and answer JSON lines; EOF stops")
}

// Check validates a parsed ServerConfig and normalises Close.
func (c *ServerConfig) Check() error {
	name, ok := CloseName(c.Close)
	switch {
	case c.Addr == "":
		return fmt.Errorf("-addr is required, e.g. -addr 127.0.0.1:8000")
	case !ok:
		return fmt.Errorf("unknown -close %q (have teardown, graceful, plain, sleep500)", c.Close)
	case c.Req <= 0 || c.Reply < 0:
		return fmt.Errorf("-req must be positive and -reply not negative")
	}
	c.Close = name
	return nil
}

// CloseName accepts a strategy by its -close name or its table label.
func CloseName(s string) (string, bool) {
	if s == "graceful-goroutine" {
		return CloseGraceful, true
	}
	return s, slices.Contains(Closes, s)
}

// ParseLists fills cfg.Workloads and cfg.Servers from comma-separated lists.
func (cfg *Config) ParseLists(workloads, servers string) error {
	cfg.Workloads = strings.Split(workloads, ",")
	for _, w := range cfg.Workloads {
		if !slices.Contains(Workloads, w) {
			return fmt.Errorf("unknown workload %q (have %s)", w, strings.Join(Workloads, ", "))
		}
	}
	cfg.Servers = nil
	for _, s := range strings.Split(servers, ",") {
		c, ok := CloseName(s)
		if !ok {
			return fmt.Errorf("unknown server %q (have plain, teardown, graceful-goroutine, sleep500)", s)
		}
		cfg.Servers = append(cfg.Servers, c)
	}
	return nil
}

// ParseCommand parses a control line of `teardown bench server -control`:
// "stats" or "shutdown DURATION".
func ParseCommand(line string) (verb string, d time.Duration, err error) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	switch verb {
	case "stats":
		if arg != "" {
			return "", 0, fmt.Errorf("stats takes no argument, got %q", arg)
		}
		return verb, 0, nil
	case "shutdown":
		d, err := time.ParseDuration(strings.TrimSpace(arg))
		if err != nil || d <= 0 {
			return "", 0, fmt.Errorf("shutdown needs a positive duration, got %q", arg)
		}
		return verb, d, nil
	}
	return "", 0, fmt.Errorf("unknown command %q", line)
}
