//go:build !linux

package bench

// rssKiB is unknown here: memory figures are then Go's own (GoKiB).
func rssKiB() int64 { return 0 }
