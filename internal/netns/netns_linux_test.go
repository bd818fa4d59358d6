package netns_test

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/testenv"
)

func newNS(t *testing.T, name string) *netns.NS {
	t.Helper()
	testenv.RequireRoot(t)
	ns, err := netns.NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestPrivateSysctlAndLoopback(t *testing.T) {
	ns := newNS(t, "")
	if err := ns.SetSysctl("net/ipv4/tcp_fin_timeout", "2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := ns.Sysctl("net/ipv4/tcp_fin_timeout"); v != "2" {
		t.Fatalf("namespace tcp_fin_timeout = %q, want 2", v)
	}
	// A listener made inside is invisible from the host.
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:0"); return }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Fatalf("host reached a listener inside the namespace at %v", l.Addr())
	}
	fresh := newNS(t, "fresh")
	if v, err := fresh.Sysctl("net/ipv4/tcp_fin_timeout"); err != nil || v == "2" {
		t.Fatalf("a fresh namespace read tcp_fin_timeout = %q, %v: the sysctl was not private", v, err)
	}
}

// The names a hostile scenario could try: each is refused and no file
// outside /proc/sys/net changes.
func TestSetSysctlRefusesPathsOutsideNet(t *testing.T) {
	ns := newNS(t, "")
	canary := t.TempDir() + "/canary"
	if err := os.WriteFile(canary, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"net/../../../" + canary, "net/../kernel/hostname", "net/./ipv4/tcp_fin_timeout", "/etc/passwd",
		"net//ipv4/tcp_fin_timeout", "kernel/hostname", "net", "net/", "net/ipv4/", "net/IPV4/x",
		"net/ipv4/conf/lo/../../../../" + canary, "net/ipv4\x00/tcp_fin_timeout", "net/ipv4 /x",
		"net/ipv4", // a directory
		"net/ipv4/no_such_sysctl",
	} {
		if err := ns.SetSysctl(name, "1"); err == nil {
			t.Errorf("SetSysctl(%q) succeeded", name)
		}
		if _, err := ns.Sysctl(name); err == nil {
			t.Errorf("Sysctl(%q) succeeded", name)
		}
	}
	if b, _ := os.ReadFile(canary); string(b) != "keep" {
		t.Fatalf("canary changed to %q", b)
	}
	for _, v := range []string{"", "1  2", " 1", "1\n2", string(make([]byte, 65))} {
		if err := ns.SetSysctl("net/ipv4/tcp_fin_timeout", v); err == nil {
			t.Errorf("SetSysctl with value %q succeeded", v)
		}
	}
}

func TestSysctlExists(t *testing.T) {
	for name, want := range map[string]bool{
		"net/ipv4/tcp_fin_timeout": true, "net/ipv4/conf/lo/forwarding": true,
		"net/ipv4": false, "net/ipv4/nope": false,
	} {
		got, err := netns.SysctlExists(name)
		if err != nil || got != want {
			t.Errorf("SysctlExists(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := netns.SysctlExists("net/../etc/passwd"); err == nil {
		t.Error("SysctlExists accepted a name with ..")
	}
}

// threadNS is the inode of the calling thread's network namespace.
func threadNS(t *testing.T) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func nsIno(t *testing.T, ns *netns.NS) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(ns.Handle()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// A panic inside Do reaches the caller, whose thread never left its own
// namespace (the old Do moved the caller's thread and left it inside).
func TestDoPanicLeavesCallerThread(t *testing.T) {
	ns := newNS(t, "")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNS(t)
	var inside uint64
	boom := errors.New("boom")
	func() {
		defer func() {
			p, ok := recover().(*netns.PanicError)
			if !ok || !errors.Is(p, boom) {
				t.Errorf("recovered %v, want a *netns.PanicError wrapping boom", p)
			}
		}()
		ns.Do(func() error {
			inside = threadNS(t)
			panic(boom)
		})
		t.Error("Do returned after a panic")
	}()
	if inside != nsIno(t, ns) {
		t.Errorf("fn ran in namespace %d, want %d", inside, nsIno(t, ns))
	}
	if after := threadNS(t); after != before {
		t.Fatalf("caller's thread moved from namespace %d to %d", before, after)
	}
}

// runtime.Goexit in fn (t.FailNow) ends the caller's goroutine too.
func TestDoGoexitEndsCaller(t *testing.T) {
	ns := newNS(t, "")
	returned := make(chan bool, 1)
	go func() {
		defer func() { returned <- false }()
		ns.Do(func() error { runtime.Goexit(); return nil })
		returned <- true
	}()
	if <-returned {
		t.Fatal("Do returned after fn called runtime.Goexit")
	}
}

// Many goroutines enter two namespaces at once: each call runs in the right
// one, sockets stay where they were made, and no thread of the process is
// left inside (every caller's thread is in the host namespace after).
func TestDoConcurrentTwoNamespaces(t *testing.T) {
	hosts := []*netns.NS{newNS(t, "a"), newNS(t, "b")}
	want := []uint64{nsIno(t, hosts[0]), nsIno(t, hosts[1])}
	runtime.LockOSThread()
	host := threadNS(t)
	runtime.UnlockOSThread()
	const workers, calls = 16, 25
	errc := make(chan error, workers*calls)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // so the check after Do looks at the caller's own thread
			defer runtime.UnlockOSThread()
			for i := range calls {
				k := (w + i) % 2
				var got uint64
				hosts[k].Do(func() error { got = threadNS(t); return nil })
				if got != want[k] {
					errc <- errors.New("Do ran in the wrong namespace")
				}
				if threadNS(t) != host {
					errc <- errors.New("a caller's thread left the host namespace")
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	ns := newNS(t, "")
	again, err := netns.Open(ns.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if nsIno(t, again) != nsIno(t, ns) {
		t.Fatalf("Open(%s) is another namespace", ns.Path())
	}
	if bad, err := netns.Open("/proc/self/ns/uts"); err == nil {
		bad.Close()
		t.Fatal("Open accepted a UTS namespace")
	}
	if bad, err := netns.Open("/etc/hostname"); err == nil {
		bad.Close()
		t.Fatal("Open accepted a regular file")
	}
}

// BenchmarkDo prints what one Do costs (a goroutine, a thread the runtime
// creates and destroys, one setns), next to a plain goroutine round trip.
func BenchmarkDo(b *testing.B) {
	testenv.RequireRoot(b)
	ns, err := netns.New()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	b.Run("Do", func(b *testing.B) {
		for b.Loop() {
			ns.Do(func() error { return nil })
		}
	})
	b.Run("goroutine", func(b *testing.B) {
		for b.Loop() {
			done := make(chan struct{})
			go func() { close(done) }()
			<-done
		}
	})
}

// A global sysctl the kernel shows inside a namespace (net/core/rmem_max)
// is read-only there, even for root: writing it from inside cannot change
// the host (measured on Linux 6.18; docs/security.md).
func TestGlobalSysctlReadOnlyInside(t *testing.T) {
	ns := newNS(t, "")
	host, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.SetSysctl("net/core/rmem_max", "4096"); err == nil {
		t.Error("wrote net/core/rmem_max from inside a namespace")
	}
	if now, _ := os.ReadFile("/proc/sys/net/core/rmem_max"); string(now) != string(host) {
		os.WriteFile("/proc/sys/net/core/rmem_max", host, 0) // put the host's value back
		t.Fatalf("host rmem_max changed from %q to %q", host, now)
	}
}
