package wire_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/safefile"
	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/lab/wire"
)

// stageEnv tells a re-executed test binary which part of
// TestWithoutRoot it plays.
const stageEnv = "WIRE_TEST_STAGE"

// TestWithoutRoot runs the test binary as user nobody, which asks
// Preflight and then tries New inside a user namespace of its own. What
// New does there must be what Preflight promised: a working wire, or one
// line that says what to do.
func TestWithoutRoot(t *testing.T) {
	switch os.Getenv(stageEnv) {
	case "nobody":
		asNobody()
		return
	case "userns":
		inUserNS()
		return
	}
	testenv.RequireRoot(t)
	bin := copyBinary(t)
	cmd := exec.Command(bin, "-test.run=^TestWithoutRoot$")
	cmd.Env = append(os.Environ(), stageEnv+"=nobody")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	pre, got := lineAfter(string(out), "preflight: "), lineAfter(string(out), "new: ")
	t.Logf("preflight: %s; new in a user namespace: %s", pre, got)
	switch {
	case pre == "ok" && got != "ok":
		t.Errorf("Preflight allowed a wire without root, but New failed: %s", got)
	case pre != "ok" && got == "ok":
		t.Errorf("Preflight refused (%s), but New worked", pre)
	case pre != "ok" && !strings.Contains(got, "/dev/net/tun") && !strings.Contains(pre, "user namespaces"):
		t.Errorf("New failed with %q, which does not say what to do", got)
	}
}

func lineAfter(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			return s
		}
	}
	return "(missing)"
}

// asNobody reports Preflight and re-executes itself in a user namespace.
func asNobody() {
	pre := "ok"
	if err := wire.Preflight(); err != nil {
		pre = err.Error()
	}
	fmt.Println("preflight: " + pre)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutRoot$")
	cmd.Env = append(os.Environ(), stageEnv+"=userns")
	cmd.SysProcAttr = wire.UserNS()
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Printf("new: user namespace: %v\n", err)
	}
	os.Stdout.Write(out)
}

// inUserNS builds a wire as the user namespace's root.
func inUserNS() {
	w, err := wire.New(context.Background(), nil)
	if err != nil {
		fmt.Println("new: " + err.Error())
		return
	}
	defer w.Close()
	if err := roundTrip(w); err != nil {
		fmt.Println("new: built, but TCP across it failed: " + err.Error())
		return
	}
	fmt.Println("new: ok")
}

// roundTrip connects from host a to host b through the wire and echoes
// one byte: the wire built in a user namespace does forward.
func roundTrip(w *wire.Wire) error {
	var ln net.Listener
	err := w.NS(wire.B).Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(w.Addr(wire.B), 0).String())
		return err
	})
	if err != nil {
		return err
	}
	defer ln.Close()
	var c net.Conn
	err = w.NS(wire.A).Do(func() (err error) {
		c, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadFull(s, make([]byte, 1))
	return err
}

// copyBinary puts the test binary where user nobody may run it (go test
// builds it under a root-only directory).
func copyBinary(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := safefile.Create(filepath.Join(dir, "wire.test"), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return dst.Name()
}
