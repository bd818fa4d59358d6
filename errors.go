package teardown

import "github.com/tcpteardown/teardown/internal/sys"

// ErrNotSupported is wrapped by every operation that needs Linux.
var ErrNotSupported = sys.ErrNotSupported
