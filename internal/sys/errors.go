package sys

import "errors"

// ErrNotSupported is wrapped by every operation this platform cannot do.
// The root package re-exports it as teardown.ErrNotSupported.
var ErrNotSupported = errors.New("not supported on this platform")
