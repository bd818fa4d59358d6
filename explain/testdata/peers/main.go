// Command peers runs the real programs that explain's test captures record
// (make-captures.sh runs it; the tests only read the files):
//
//	peers httpd ADDR       Go net/http: "/" a short reply, "/big" 300 KiB
//	peers abort ADDR       an HTTP request, the first reply bytes, then close with SO_LINGER 0
//	peers lostack ADDR     client FIN, server FIN whose final ACK an nftables rule drops once
//	peers zerowin ADDR     a receiver that never reads: zero windows, then close with unread data
//	peers silent ADDR      data whose ACKs an nftables rule drops: retransmissions, then SO_LINGER 0
//	peers synlost ADDR     a connect whose SYNs an nftables rule drops, given up after 3.5 s
//	peers closewait ADDR   the client half-closes and the server never closes; "ready" on stdout
//	peers crossed ADDR     both sides' first FIN dropped by nftables: the resent FINs cross
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: peers httpd|abort|lostack|zerowin ADDR")
		os.Exit(2)
	}
	var err error
	switch addr := os.Args[2]; os.Args[1] {
	case "httpd":
		err = httpd(addr)
	case "abort":
		err = abort(addr)
	case "lostack":
		err = lostAck(addr)
	case "zerowin":
		err = zeroWin(addr)
	case "silent":
		err = silent(addr)
	case "synlost":
		err = synLost(addr)
	case "closewait":
		err = closeWait(addr)
	case "crossed":
		err = crossed(addr)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// listen without MPTCP: Go may use it by default, and its options would
// only clutter the captures.
func listen(addr string) (net.Listener, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	return lc.Listen(context.Background(), "tcp", addr)
}

// pair listens on addr, connects to it (through d, or a plain dialer) and
// accepts: the client's end and the server's. The listener is closed once
// the connection is accepted (that sends nothing); the ends are the
// caller's.
func pair(addr string, d *net.Dialer) (c, s net.Conn, err error) {
	l, err := listen(addr)
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	if d == nil {
		d = &net.Dialer{}
	}
	if c, err = d.Dial("tcp", addr); err != nil {
		return nil, nil, err
	}
	if s, err = l.Accept(); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, s, nil
}

func httpd(addr string) error {
	l, err := listen(addr)
	if err != nil {
		return err
	}
	big := strings.Repeat("0123456789abcdef", 300<<10/16)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	fmt.Println("ready")
	return http.Serve(l, mux)
}

func abort(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	c.(*net.TCPConn).SetLinger(0) // RST instead of FIN, unread reply discarded (claim C17)
	return c.Close()
}

func lostAck(addr string) error {
	c, s, err := pair(addr, &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 20001}})
	if err != nil {
		return err
	}
	io.WriteString(c, "bye")
	c.(*net.TCPConn).CloseWrite() // the client's FIN: it will hold TIME-WAIT
	if _, err := io.ReadAll(s); err != nil {
		return err
	}
	// Drop the next pure ACK from the client's port: the ACK of the
	// server's FIN. The quota lets exactly one 52-byte ACK match.
	if err := nft("in", "tcp sport 20001 tcp flags == ack quota until 60 bytes drop"); err != nil {
		return err
	}
	s.Close() // the server's FIN, LAST-ACK until its retransmission is acknowledged
	io.ReadAll(c)
	time.Sleep(1500 * time.Millisecond) // the FIN's retransmission comes after the RTO (≥ 200 ms)
	return c.Close()
}

func zeroWin(addr string) error {
	c, s, err := pair(addr, nil)
	if err != nil {
		return err
	}
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write(make([]byte, 8<<20)) // the server never reads: its window closes
	s.(*net.TCPConn).SetLinger(-1)
	s.Close() // unread data in the receive buffer: RST (claim C21)
	time.Sleep(100 * time.Millisecond)
	err = c.Close()
	if err != nil && !isReset(err) {
		return err
	}
	return nil
}

// nft adds a rule to a chain ("in": hook input, after tcpdump's tap on lo;
// "out": hook output, before it) of table inet tdlost, made by the script.
func nft(chain, rule string) error {
	args := append([]string{"add", "rule", "inet", "tdlost", chain}, strings.Fields(rule)...)
	if out, err := exec.Command("nft", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, out)
	}
	return nil
}

// silent: once connected, every segment to the client's port is dropped
// on output, before the capture sees it: the server's ACKs never exist on
// the wire, and the client retransmits its data (at the RTO, 200 ms, then
// doubling) until it aborts with SO_LINGER 0.
func silent(addr string) error {
	c, s, err := pair(addr, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	port := c.LocalAddr().(*net.TCPAddr).Port
	if err := nft("out", fmt.Sprintf("tcp dport %d drop", port)); err != nil {
		return err
	}
	io.WriteString(c, "hello?")
	time.Sleep(1700 * time.Millisecond) // retransmissions at ~0.2, 0.6, 1.4 s
	c.(*net.TCPConn).SetLinger(0)
	return c.Close()
}

// synLost: SYNs to the port are dropped before the capture sees an
// answer. Linux 6.18 resends the SYN every second, not after 1, 2, 4 s:
// net.ipv4.tcp_syn_linear_timeouts (4 here) makes the first retries
// linear.
func synLost(addr string) error {
	_, port, _ := net.SplitHostPort(addr)
	if err := nft("in", "tcp dport "+port+" drop"); err != nil {
		return err
	}
	d := net.Dialer{Timeout: 3500 * time.Millisecond}
	if c, err := d.Dial("tcp", addr); err == nil {
		c.Close()
		return fmt.Errorf("connect succeeded through the drop rule")
	}
	return nil
}

// closeWait: the client sends and half-closes; the server reads to EOF and
// never closes, so it sits in CLOSE-WAIT until the process exits (C29).
func closeWait(addr string) error {
	c, s, err := pair(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	defer s.Close()
	io.WriteString(c, "request")
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(s)
	fmt.Println("ready") // the script stops the capture now
	time.Sleep(time.Second)
	return nil
}

// crossed: the first FIN of each direction is dropped on input (the
// capture, on transmit, still sees it). Each side, still in FIN-WAIT-1,
// then receives the other's resent FIN: FINs crossed, both go through
// CLOSING to TIME-WAIT (RFC 9293 §3.6, simultaneous close).
func crossed(addr string) error {
	_, port, _ := net.SplitHostPort(addr)
	for _, dir := range []string{"sport", "dport"} {
		if err := nft("in", "tcp "+dir+" "+port+" tcp flags & fin == fin quota until 60 bytes drop"); err != nil {
			return err
		}
	}
	c, s, err := pair(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	defer s.Close()
	c.(*net.TCPConn).CloseWrite()
	s.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	io.ReadAll(s)
	time.Sleep(300 * time.Millisecond) // the last ACKs
	return nil
}

func isReset(err error) bool {
	return err == syscall.ECONNRESET || strings.Contains(err.Error(), "reset")
}
