package trace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// clockSamples is how many (mono, real, mono) triples monoToRealtime
// reads; the tightest one wins.
const clockSamples = 16

func start(ctx context.Context, cfg *Config) (*Tracer, error) {
	if err := ensureMounted(); err != nil {
		return nil, err
	}
	if cfg.FinTimeout == 0 {
		cfg.FinTimeout = finTimeout()
	}
	_ = cleanup() // best effort: a stale instance only holds memory
	dir, err := newInstance()
	if err != nil {
		return nil, err
	}
	t, pipe, err := open(dir, cfg)
	if err != nil {
		return nil, errors.Join(err, removeInstance(dir))
	}
	// Add before the watcher exists: a Close it triggers at once must
	// still wait for the goroutines run is about to start.
	t.wg.Add(2)
	stop := context.AfterFunc(ctx, func() { _ = t.shutdown() }) // Close reports how cleanup went
	t.stopAfter.Store(&stop)
	t.run(pipe)
	return t, nil
}

// open configures the instance and opens its trace_pipe.
func open(dir string, cfg *Config) (*Tracer, io.Reader, error) {
	if err := configure(dir, cfg); err != nil {
		return nil, nil, err
	}
	off, bound, err := monoToRealtime(clockSamples)
	if err != nil {
		return nil, nil, fmt.Errorf("trace: measure clocks: %w", err)
	}
	pipe, err := sys.OpenPollable(filepath.Join(dir, "trace_pipe"))
	if err != nil {
		return nil, nil, fmt.Errorf("trace: %w", err)
	}
	t := &Tracer{
		dir:       dir,
		clock:     Clock{Offset: off, Bound: bound},
		cfg:       *cfg,
		events:    make(chan Transition, 4096),
		fins:      make(chan finEvidence),
		done:      make(chan struct{}),
		closePipe: pipe.Close,
		remove:    func() error { return removeInstance(dir) },
	}
	return t, pipe, nil
}

// finTimeout reads net.ipv4.tcp_fin_timeout of the caller's namespace; 0
// (the Inferrer's default, 60 s) if it cannot.
func finTimeout() time.Duration {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_fin_timeout")
	if err != nil {
		return 0
	}
	sec, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return time.Duration(sec) * time.Second
}
