// Package sys is the one place that calls golang.org/x/sys/unix: socket
// options, queue ioctls, TCP_INFO, and the other raw system calls the rest of
// teardown needs. Each area keeps its own file (sockopt_linux.go, …); the
// *_others.go files return errors wrapping ErrNotSupported so that the module
// builds everywhere while only Linux does the work.
package sys
