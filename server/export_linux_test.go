package server

// SkipSYNFilter makes Shutdown drain with IP_MINTTL, as an unprivileged
// process does, until restore is called. Not safe while a server drains.
func SkipSYNFilter() (restore func()) {
	skipSYNFilter = true
	return func() { skipSYNFilter = false }
}
