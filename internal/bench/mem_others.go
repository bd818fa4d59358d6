//go:build !linux

package bench

// rssKiB is unknown here: memory figures are then Go's own (GoKiB).
func rssKiB() int64 { return 0 }

// threads is unknown here.
func threads() int64 { return 0 }
