//go:build !linux

package sys

import "time"

// Epoll stands in for the Linux epoll set; NewEpoll fails here.
type Epoll struct{}

// EpollEvent is one ready descriptor.
type EpollEvent struct {
	Fd  int
	Err bool
}

func NewEpoll(batch int) (*Epoll, error) { return nil, notSupported("epoll") }
func (e *Epoll) Add(fd int) error        { return notSupported("epoll") }
func (e *Epoll) Wait(dst []EpollEvent, timeout time.Duration) ([]EpollEvent, error) {
	return dst, notSupported("epoll")
}
func (e *Epoll) Wake() error  { return notSupported("epoll") }
func (e *Epoll) Close() error { return nil }
