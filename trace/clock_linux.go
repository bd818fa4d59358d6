package trace

import (
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// monoToRealtime measures CLOCK_REALTIME − CLOCK_MONOTONIC: trace_pipe
// stamps events with the monotonic clock (trace_clock=mono), packets carry
// realtime stamps. It takes samples monotonic, realtime, monotonic and keeps
// the tightest bracket: the returned bound is half of that bracket, the most
// the offset can be wrong by at the moment of measurement (the clocks drift
// apart later only if NTP steps or slews the wall clock).
func monoToRealtime(samples int) (offset, bound time.Duration, err error) {
	best := time.Duration(-1)
	for i := 0; i < samples; i++ {
		m1, r, m2, err := readClocks()
		if err != nil {
			return 0, 0, err
		}
		width := time.Duration(m2 - m1)
		if best < 0 || width < best {
			best = width
			mid := m1 + (m2-m1)/2
			offset = time.Duration(r - mid)
		}
	}
	return offset, best/2 + 1, nil
}

func readClocks() (m1, r, m2 int64, err error) {
	if m1, err = sys.ClockGettime(sys.CLOCK_MONOTONIC); err != nil {
		return
	}
	if r, err = sys.ClockGettime(sys.CLOCK_REALTIME); err != nil {
		return
	}
	m2, err = sys.ClockGettime(sys.CLOCK_MONOTONIC)
	return
}
