//go:build !linux

package testenv

// inPrivateNetwork: network namespaces are Linux's; tests run here.
func inPrivateNetwork() (int, bool) { return 0, false }
