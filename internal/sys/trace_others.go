//go:build !linux

package sys

import (
	"os"
	"time"
)

func IsTracefs(dir string) (bool, error)         { return false, notSupported("tracefs") }
func MountTracefs(dir string) error              { return notSupported("tracefs") }
func Writable(dir string) error                  { return notSupported("access") }
func OpenPollable(name string) (*os.File, error) { return nil, notSupported("tracefs") }
func MonoToRealtime(samples int) (offset, bound time.Duration, err error) {
	return 0, 0, notSupported("clock_gettime")
}
