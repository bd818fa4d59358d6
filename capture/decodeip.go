package capture

import (
	"fmt"
)

// DecodeIP decodes one IP datagram with no link-layer header: the frames of
// pcap files whose link type is RAW, IPV4 or IPV6, and what is left of
// Linux "cooked" (SLL) and BSD loopback frames once their own header is
// skipped. It is Decode without the Ethernet header; Raw is the datagram.
// Added for `teardown explain`, which reads captures made by other tools.
func DecodeIP(datagram []byte) (Segment, error) {
	s := Segment{Raw: datagram, WireLen: len(datagram)}
	if len(datagram) == 0 {
		return s, fmt.Errorf("capture: decode ip: %w", errTruncated)
	}
	var err error
	switch datagram[0] >> 4 {
	case 4:
		err = s.decodeIPv4(datagram)
	case 6:
		err = s.decodeIPv6(datagram)
	default:
		err = errNotIP
	}
	if err != nil {
		return s, fmt.Errorf("capture: decode: %w", err)
	}
	return s, nil
}
