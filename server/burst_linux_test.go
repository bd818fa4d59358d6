package server_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcpteardown/teardown/internal/netns"
)

// burst is a churn client that has n connections open at once without a
// goroutine per connection: the race detector aborts a process above 8,128
// live goroutines, so 10,000 blocking clients cannot run under -race. It
// issues every non-blocking connect first, then one goroutine drives them
// all through one edge-triggered epoll set: writable → the 16-byte request,
// readable → read to EOF, then close.
type burst struct {
	ep    int
	conns map[int]*burstConn // by descriptor: every one still open
	open  int                // connecting or connected, not yet closed
	res   burstResult
	start time.Time // of the first connect
	// Per second since start: handshakes the client saw complete, and
	// connections closed. They show the waves of SYN retransmissions.
	connected, closed []int
}

// burstConn is the state of one client connection.
type burstConn struct {
	sent bool // the request is written
	got  int  // reply bytes read so far
}

// burstResult is what the clients saw.
type burstResult struct {
	Complete int            // exactly replyLen bytes, then EOF
	Peak     int            // connections connecting or connected at the same time
	Failed   map[string]int // by reason; nil when none failed
}

const burstReq, burstReply = 16, 32

func newBurst() (*burst, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &burst{ep: ep, conns: map[int]*burstConn{}}, nil
}

// close releases every descriptor still open, on every path out of a test.
// It may run twice (explicitly, then deferred): a number closed twice could
// by then belong to another descriptor.
func (b *burst) close() {
	for fd := range b.conns {
		unix.Close(fd)
	}
	clear(b.conns)
	if b.ep >= 0 {
		unix.Close(b.ep)
		b.ep = -1
	}
}

// dialAll issues n connects to addr without waiting for any of them.
func (b *burst) dialAll(addr string, n int) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return err
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	b.start = time.Now()
	for range n {
		if err := b.dial(sa); err != nil {
			return fmt.Errorf("connection %d of %d: %w", len(b.conns), n, err)
		}
	}
	return nil
}

// dial starts one non-blocking connect. The socket joins the epoll set
// only after connect: an unconnected TCP socket polls as EPOLLHUP.
func (b *burst) dial(sa *unix.SockaddrInet4) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	b.conns[fd] = &burstConn{} // tracked at once: close() releases it whatever fails next
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		return os.NewSyscallError("connect", err)
	}
	b.open++
	b.res.Peak = max(b.res.Peak, b.open)
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(b.ep, unix.EPOLL_CTL_ADD, fd, &ev))
}

// run drives the connections until every one is closed or the deadline
// passes: a server that stops answering fails the test instead of hanging it.
func (b *burst) run(deadline time.Time) error {
	evs := make([]unix.EpollEvent, 512)
	for b.open > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("deadline passed with %d of %d connections still open", b.open, b.res.Peak)
		}
		n, err := unix.EpollWait(b.ep, evs, 100)
		if err != nil && err != unix.EINTR { // EINTR: the runtime's preemption signal
			return os.NewSyscallError("epoll_wait", err)
		}
		for _, ev := range evs[:max(n, 0)] {
			b.handle(int(ev.Fd))
		}
	}
	return nil
}

// handle advances one connection as far as it can go without blocking:
// edge-triggered, so it must read until EAGAIN.
func (b *burst) handle(fd int) {
	c := b.conns[fd]
	if c == nil {
		return
	}
	if !c.sent {
		if sent, err := b.send(fd); err != nil {
			b.finish(fd, err)
			return
		} else if !sent {
			return // still connecting
		}
		c.sent = true
		b.connected = b.tally(b.connected)
	}
	b.receive(fd, c)
}

// send writes the request once the connect has completed. A write on a
// socket still in SYN-SENT fails with EAGAIN: not yet.
func (b *burst) send(fd int) (bool, error) {
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return false, os.NewSyscallError("getsockopt", err)
	}
	if soerr != 0 {
		return false, os.NewSyscallError("connect", unix.Errno(soerr))
	}
	n, err := unix.Write(fd, make([]byte, burstReq))
	switch {
	case err == unix.EAGAIN:
		return false, nil
	case err != nil:
		return false, os.NewSyscallError("write", err)
	case n != burstReq:
		return false, fmt.Errorf("short write: %d of %d bytes", n, burstReq)
	}
	return true, nil
}

// receive reads what has arrived; at EOF the connection is done.
func (b *burst) receive(fd int, c *burstConn) {
	var buf [2 * burstReply]byte
	for {
		n, err := unix.Read(fd, buf[:])
		switch {
		case err == unix.EAGAIN:
			return
		case err != nil: // the reply bytes read before say where it broke
			b.finish(fd, fmt.Errorf("%w after %d reply bytes", os.NewSyscallError("read", err), c.got))
			return
		case n == 0:
			b.finish(fd, c.check())
			return
		}
		c.got += n
	}
}

func (c *burstConn) check() error {
	if c.got != burstReply {
		return fmt.Errorf("reply of %d bytes, want %d", c.got, burstReply)
	}
	return nil
}

// finish closes fd and records how its connection ended.
func (b *burst) finish(fd int, err error) {
	unix.Close(fd)
	delete(b.conns, fd)
	b.open--
	b.closed = b.tally(b.closed)
	if err == nil {
		b.res.Complete++
		return
	}
	if b.res.Failed == nil {
		b.res.Failed = map[string]int{}
	}
	b.res.Failed[err.Error()]++
}

// tally counts one event in the bucket of the current second.
func (b *burst) tally(perSec []int) []int {
	sec := int(time.Since(b.start) / time.Second)
	for len(perSec) <= sec {
		perSec = append(perSec, 0)
	}
	perSec[sec]++
	return perSec
}

// softnetDropped sums, over all CPUs, the packets dropped because a CPU's
// input backlog (net.core.netdev_max_backlog) was full: the second column
// of /proc/net/softnet_stat, in hex. Loopback delivers through it.
func softnetDropped() (uint64, error) {
	data, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0, err
	}
	var sum uint64
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) > 1 {
			n, err := strconv.ParseUint(f[1], 16, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/net/softnet_stat: %w", err)
			}
			sum += n
		}
	}
	return sum, nil
}

// tcpExt reads the kernel's TcpExt counters (/proc/net/netstat): a header
// line of names, then a line of values.
func tcpExt() (map[string]uint64, error) {
	data, err := os.ReadFile("/proc/thread-self/net/netstat") // the calling thread's namespace; /proc/net is the process's
	if err != nil {
		return nil, err
	}
	var lines [][]string
	for line := range strings.Lines(string(data)) {
		if fields := strings.Fields(line); len(fields) > 0 && fields[0] == "TcpExt:" {
			lines = append(lines, fields[1:])
		}
	}
	if len(lines) != 2 || len(lines[0]) != len(lines[1]) {
		return nil, errors.New("/proc/net/netstat: no TcpExt names and values")
	}
	m := map[string]uint64{}
	for i, name := range lines[0] {
		m[name], _ = strconv.ParseUint(lines[1][i], 10, 64)
	}
	return m, nil
}

// kernelCounters is a snapshot of the counters that explain a burst: the
// namespace's TcpExt counters (this test's traffic only) and the machine's
// input backlog drops (everyone's), logged, never asserted.
type kernelCounters struct {
	tcpExt  map[string]uint64
	backlog uint64 // input backlog drops
}

// readKernel reads the counters; /proc/net is the reading thread's
// namespace's.
func readKernel(ns *netns.NS) kernelCounters {
	var k kernelCounters
	ns.Do(func() error { k.tcpExt, _ = tcpExt(); return nil })
	k.backlog, _ = softnetDropped()
	return k
}

// summary says how much the counters of the burst's story grew since k.
func (k kernelCounters) summary(ns *netns.NS) string {
	now := readKernel(ns)
	var parts []string
	for _, name := range []string{"ListenOverflows", "TCPSynRetrans", "TCPReqQFullDoCookies"} {
		parts = append(parts, fmt.Sprintf("%s +%d", name, now.tcpExt[name]-k.tcpExt[name]))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; input backlog drops (machine-wide) +%d", now.backlog-k.backlog)
}

// changed lists every TcpExt counter that grew since k, to explain a failure.
func (k kernelCounters) changed(ns *netns.NS) string {
	now := readKernel(ns)
	var parts []string
	for name, v := range now.tcpExt {
		if d := v - k.tcpExt[name]; d != 0 {
			parts = append(parts, fmt.Sprintf("%s +%d", name, d))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
