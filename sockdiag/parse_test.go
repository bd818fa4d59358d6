package sockdiag_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// msg builds an inet_diag_msg the way the kernel lays it out, followed by
// raw attribute bytes.
type msg struct {
	family, state, timer, retrans uint8
	local, remote                 netip.AddrPort
	cookie                        uint64
	expiresMs, rq, wq, uid, inode uint32
	attrs                         []byte
}

func (m msg) bytes() []byte {
	b := make([]byte, 72)
	b[0], b[1], b[2], b[3] = m.family, m.state, m.timer, m.retrans
	binary.BigEndian.PutUint16(b[4:], m.local.Port())
	binary.BigEndian.PutUint16(b[6:], m.remote.Port())
	l, r := m.local.Addr().AsSlice(), m.remote.Addr().AsSlice()
	copy(b[8:], l)
	copy(b[24:], r)
	ne := binary.NativeEndian
	ne.PutUint32(b[44:], uint32(m.cookie))
	ne.PutUint32(b[48:], uint32(m.cookie>>32))
	ne.PutUint32(b[52:], m.expiresMs)
	ne.PutUint32(b[56:], m.rq)
	ne.PutUint32(b[60:], m.wq)
	ne.PutUint32(b[64:], m.uid)
	ne.PutUint32(b[68:], m.inode)
	return append(b, m.attrs...)
}

// attr encodes one rtattr, padded to 4 bytes.
func attr(typ uint16, v []byte) []byte {
	b := make([]byte, 4, 4+len(v)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// tcpInfo returns a tcp_info of n bytes with rtt (offset 68) and
// rcv_wnd (offset 232, if it fits) set.
func tcpInfo(n int, rttUs, rcvWnd uint32) []byte {
	b := make([]byte, n)
	binary.NativeEndian.PutUint32(b[68:], rttUs)
	if n >= 236 {
		binary.NativeEndian.PutUint32(b[232:], rcvWnd)
	}
	return b
}

func TestParseMsg(t *testing.T) {
	v4 := netip.MustParseAddrPort("127.0.0.1:9527")
	v4peer := netip.MustParseAddrPort("127.0.0.1:56238")
	v6 := netip.MustParseAddrPort("[::1]:9527")
	tests := []struct {
		name    string
		in      []byte
		want    sockdiag.Socket
		wantErr bool
	}{{
		name: "time-wait mini-socket, no attributes",
		in:   msg{family: 2, state: 6, timer: 3, local: v4peer, remote: v4, cookie: 0x100e, expiresMs: 59_500}.bytes(),
		want: sockdiag.Socket{State: tcpstate.TimeWait, Local: v4peer, Remote: v4, Timer: sockdiag.TimerTimeWait, Expires: 59500 * time.Millisecond, Cookie: 0x100e},
	}, {
		name: "orphan FIN-WAIT-2 mini-socket",
		in:   msg{family: 2, state: 5, timer: 3, local: v4peer, remote: v4}.bytes(),
		want: sockdiag.Socket{State: tcpstate.FinWait2, Local: v4peer, Remote: v4, Timer: sockdiag.TimerTimeWait, Orphan: true},
	}, {
		name: "IPv6 close-wait with tcp_info and shutdown",
		in: msg{family: 10, state: 8, timer: 2, retrans: 1, local: v6, remote: v6, cookie: 1<<40 | 7, rq: 1, uid: 1000, inode: 4711,
			attrs: append(attr(2, tcpInfo(280, 50, 65483)), attr(8, []byte{1})...)}.bytes(),
		want: sockdiag.Socket{State: tcpstate.CloseWait, Local: v6, Remote: v6, Timer: sockdiag.TimerKeepalive, Retrans: 1,
			Cookie: 1<<40 | 7, RecvQ: 1, UID: 1000, Inode: 4711, Shutdown: sockdiag.ShutRD,
			Info: &sockdiag.TCPInfo{RTT: 50 * time.Microsecond, RcvWnd: 65483}},
	}, {
		name: "old kernel: short tcp_info leaves the tail zero",
		in:   msg{family: 2, state: 1, local: v4, remote: v4peer, inode: 9, attrs: attr(2, tcpInfo(104, 20, 0))}.bytes(),
		want: sockdiag.Socket{State: tcpstate.Established, Local: v4, Remote: v4peer, Inode: 9, Info: &sockdiag.TCPInfo{RTT: 20 * time.Microsecond}},
	}, {
		name: "unknown attribute is skipped",
		in:   msg{family: 2, state: 10, local: v4, remote: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), wq: 128, inode: 3, attrs: attr(99, []byte{1, 2, 3})}.bytes(),
		want: sockdiag.Socket{State: tcpstate.Listen, Local: v4, Remote: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), SendQ: 128, Inode: 3},
	}, {
		name: "inode 0 in ESTABLISHED: waiting in the accept queue, not an orphan",
		in:   msg{family: 2, state: 1, local: v4, remote: v4peer}.bytes(),
		want: sockdiag.Socket{State: tcpstate.Established, Local: v4, Remote: v4peer},
	}, {
		name: "inode 0 in LAST-ACK: closed by its application",
		in:   msg{family: 2, state: 9, timer: 1, local: v4, remote: v4peer, wq: 1}.bytes(),
		want: sockdiag.Socket{State: tcpstate.LastAck, Local: v4, Remote: v4peer, Timer: sockdiag.TimerOn, SendQ: 1, Orphan: true},
	}, {
		name:    "short message",
		in:      make([]byte, 71),
		wantErr: true,
	}, {
		name:    "unknown family",
		in:      msg{family: 1}.bytes(),
		wantErr: true,
	}, {
		name:    "attribute longer than the message",
		in:      append(msg{family: 2, local: v4, remote: v4}.bytes(), 200, 0, 2, 0),
		wantErr: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sockdiag.ParseMsg(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := gocmp.Diff(tt.want, got, addrPortEqual); diff != "" {
				t.Errorf("ParseMsg (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseMsg: any bytes either decode or return an error, never panic,
// and a decoded row is self-consistent.
func FuzzParseMsg(f *testing.F) {
	v4 := netip.MustParseAddrPort("127.0.0.1:9527")
	f.Add(msg{family: 2, state: 6, timer: 3, local: v4, remote: v4}.bytes())
	f.Add(msg{family: 10, state: 8, local: netip.MustParseAddrPort("[::1]:1"), remote: v4,
		attrs: append(attr(2, tcpInfo(280, 1, 2)), attr(8, []byte{3})...)}.bytes())
	f.Add(append(msg{family: 2}.bytes(), 4, 0, 2, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := sockdiag.ParseMsg(b)
		if err != nil {
			return
		}
		if s.Orphan && s.Inode != 0 {
			t.Errorf("orphan with inode %d", s.Inode)
		}
		if s.Local.Addr().Is4() != s.Remote.Addr().Is4() {
			t.Errorf("mixed families %v %v", s.Local, s.Remote)
		}
		_ = s.String()
	})
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    sockdiag.PortRange
		size    int
		wantErr bool
	}{
		{in: "32768\t60999\n", want: sockdiag.PortRange{Low: 32768, High: 60999}, size: 28232},
		{in: "1024 1024", want: sockdiag.PortRange{Low: 1024, High: 1024}, size: 1},
		{in: "1 65535", want: sockdiag.PortRange{Low: 1, High: 65535}, size: 65535},
		{in: "60999 32768", wantErr: true},
		{in: "0 100", wantErr: true},
		{in: "32768", wantErr: true},
		{in: "1 2 3", wantErr: true},
		{in: "1 65536", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sockdiag.ParsePortRange(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePortRange (-want +got):\n%s", diff)
			}
			if !tt.wantErr && got.Size() != tt.size {
				t.Errorf("Size() = %d, want %d", got.Size(), tt.size)
			}
		})
	}
}

func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"32768\t60999\n", "1 1", "9 8", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := sockdiag.ParsePortRange(s)
		if err == nil && (r.Low == 0 || r.Low > r.High || r.Size() < 1) {
			t.Errorf("ParsePortRange(%q) = %+v without error", s, r)
		}
	})
}

// TestEphemeralPorts reads this machine's range and checks it parses.
func TestEphemeralPorts(t *testing.T) {
	r, err := sockdiag.EphemeralPorts()
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() < 1 {
		t.Errorf("EphemeralPorts() = %+v", r)
	}
}
