//go:build !linux

package runner

import (
	"os"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/lab"
)

// The recorders (AF_PACKET, tracefs, sock_diag) exist on Linux only.

func startWire(*run) (func(), error)              { return nil, platformErr() }
func listSockets(*run) ([]lab.SockRow, error)     { return nil, platformErr() }
func openPcap(*run) (*os.File, string, error)     { return nil, "", platformErr() }
func writePcap(*os.File, []capture.Segment) error { return platformErr() }
