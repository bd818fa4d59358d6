package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tcpteardown/teardown/internal/cli"
	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

// `watch -netns` looks into another network namespace, like `ss -N`: a
// listener and one connection made inside a private namespace are seen
// there and not from the host.
func TestWatchNetNS(t *testing.T) {
	testenv.RequireRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	var l net.Listener
	var c net.Conn
	err = ns.Do(func() (err error) {
		if l, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return err
		}
		c, err = net.Dial("tcp4", l.Addr().String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	path := fmt.Sprintf("/proc/self/fd/%d", ns.Handle())
	got, raw := runWatch(t, "-port", port, "-once", "-json", "-netns", path)
	want := map[string]int{"LISTEN": 1, "ESTABLISHED": 2}
	if diff := gocmp.Diff(want, got.Counts); diff != "" {
		t.Errorf("watch -netns counts (-want +got):\n%s\n%s", diff, raw)
	}
	host, _ := runWatch(t, "-port", port, "-once", "-json")
	if host.Counts["LISTEN"] != 0 || host.Counts["ESTABLISHED"] != 0 {
		t.Errorf("the host's table shows the namespace's sockets: %v", host.Counts)
	}
}

// A namespace that does not exist is one error line with the way to find
// the right name, exit 1, nothing on stdout.
func TestWatchNetNSMissing(t *testing.T) {
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	err := cli.Run(context.Background(), env, []string{"watch", "-port", "80", "-once", "-netns", "teardown-no-such-ns"})
	if cli.Code(err) != 1 || !strings.Contains(cli.OneLine(err), "ip netns list") || strings.Contains(cli.OneLine(err), "\n") {
		t.Errorf("err = %q (exit %d), want exit 1 naming `ip netns list` on one line", cli.OneLine(err), cli.Code(err))
	}
	if out.Len() != 0 {
		t.Errorf("printed %q on stdout", out.String())
	}
}
