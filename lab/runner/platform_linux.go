package runner

// platformErr is nil where the lab can run: it needs Linux's socket
// options, ioctls and TCP_INFO.
func platformErr() error { return nil }
