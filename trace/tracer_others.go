//go:build !linux

package trace

import (
	"context"
	"fmt"

	"github.com/tcpteardown/teardown/internal/sys"
)

func available() error {
	return fmt.Errorf("trace: tracefs state tracing: %w", sys.ErrNotSupported)
}

func start(ctx context.Context, cfg *Config) (*Tracer, error) { return nil, available() }

func cleanup() error { return nil }
