package sockdiag

import (
	"errors"
	"fmt"
)

// dumpAttempts bounds the retries when the kernel reports that its tables
// changed during a dump (busy hosts with connection churn).
const dumpAttempts = 3

func list(f Filter) ([]Socket, error) {
	var socks []Socket
	for _, fam := range []uint8{afInet, afInet6} {
		s, err := dumpFamily(f, fam)
		if err != nil {
			return nil, err
		}
		socks = append(socks, s...)
	}
	return socks, nil
}

// dumpFamily asks again when the dump was interrupted; after the last
// attempt it returns what it got, which is still a fair picture of a table
// that keeps changing.
func dumpFamily(f Filter, fam uint8) ([]Socket, error) {
	req := append(request(fam, stateMask(f.States)), bytecodeAttr(f.Ports)...)
	for attempt := 1; ; attempt++ {
		socks, err := dumpOnce(f, req)
		if errors.Is(err, errDumpInterrupted) && attempt < dumpAttempts {
			continue
		}
		if err != nil && !errors.Is(err, errDumpInterrupted) {
			return nil, fmt.Errorf("sockdiag: list TCP sockets: %w", err)
		}
		return socks, nil
	}
}

func dumpOnce(f Filter, req []byte) ([]Socket, error) {
	var socks []Socket
	err := dump(f.NetNS, req, func(msg []byte) error {
		s, err := parseMsg(msg)
		if err != nil {
			return err
		}
		if f.Match(s) {
			socks = append(socks, s)
		}
		return nil
	})
	return socks, err
}
