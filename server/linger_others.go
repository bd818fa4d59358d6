//go:build !linux

package server

// newLingerer: without epoll, each lingering connection gets a goroutine
// running teardown.Graceful.
func newLingerer(s *Server, b bounds) lingerer { return newGoLingerer(s, b) }
