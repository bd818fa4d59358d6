package trace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/tcpteardown/teardown/internal/sys"
)

// tracefsRoot is where tracefs is mounted on current kernels (the older
// /sys/kernel/debug/tracing is an automount of the same file system).
const tracefsRoot = "/sys/kernel/tracing"

// events are the tracepoints a tracer enables, as system/event paths.
var events = []string{
	"sock/inet_sock_set_state",
	"tcp/tcp_receive_reset",
	"tcp/tcp_send_reset",
	"tcp/tcp_destroy_sock",
}

// instanceRE matches the names Start gives its instances.
var instanceRE = regexp.MustCompile(`^teardown-(\d+)-(\d+)$`)

var instanceSeq atomic.Uint64

// ensureMounted mounts tracefs when nothing is mounted on tracefsRoot: a
// fresh machine boots without it, and tools (perf, trace-cmd) mount it on
// demand the same way.
func ensureMounted() error {
	ok, err := isTracefs(tracefsRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("trace: %s does not exist: this kernel has no tracefs (CONFIG_TRACING)", tracefsRoot)
	}
	if err != nil || ok {
		return err
	}
	if err := mountTracefs(tracefsRoot); err != nil {
		return mountError(err)
	}
	return nil
}

func mountError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("trace: tracefs is not mounted and mounting it needs root (CAP_SYS_ADMIN): "+
			"run as root, or mount it once with `sudo mount -t tracefs nodev %s`: %w", tracefsRoot, err)
	}
	return fmt.Errorf("trace: mount tracefs on %s: %w", tracefsRoot, err)
}

func available() error {
	if err := ensureMounted(); err != nil {
		return err
	}
	inst := filepath.Join(tracefsRoot, "instances")
	if err := sys.Access(inst, sys.W_OK); err != nil {
		return fmt.Errorf("trace: creating a tracefs instance in %s needs root: run as root (sudo): %w",
			inst, fs.ErrPermission)
	}
	for _, ev := range events {
		if _, err := os.Stat(filepath.Join(tracefsRoot, "events", ev)); err != nil {
			return fmt.Errorf("trace: this kernel has no tracepoint %s: %w", ev, err)
		}
	}
	return nil
}

// newInstance creates instances/teardown-<pid>-<n>. The pid in the name is
// what lets Cleanup tell a live run's instance from a dead one's.
func newInstance() (string, error) {
	for {
		name := fmt.Sprintf("teardown-%d-%d", os.Getpid(), instanceSeq.Add(1))
		dir := filepath.Join(tracefsRoot, "instances", name)
		err := os.Mkdir(dir, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("trace: creating a tracefs instance needs root: run as root (sudo): %w", err)
		}
		if err != nil {
			return "", fmt.Errorf("trace: create instance: %w", err)
		}
		return dir, nil
	}
}

// configure sets the clock, the buffer, the filters and then enables the
// events (a filter written after enabling would let early events through).
func configure(dir string, cfg *Config) error {
	if err := write(dir, "trace_clock", "mono"); err != nil {
		return err
	}
	if err := write(dir, "buffer_size_kb", strconv.Itoa(cfg.BufferKB)); err != nil {
		return err
	}
	for _, ev := range events {
		if err := enable(dir, ev, filterFor(ev, cfg)); err != nil {
			return err
		}
	}
	return nil
}

func filterFor(ev string, cfg *Config) string {
	switch ev {
	case "sock/inet_sock_set_state":
		return cfg.setStateFilter()
	case "tcp/tcp_send_reset":
		return "" // no port fields: filtered in Go
	}
	return cfg.portClause()
}

func enable(dir, ev, filter string) error {
	evDir := filepath.Join("events", ev)
	if filter != "" {
		if err := write(dir, filepath.Join(evDir, "filter"), filter); err != nil {
			return err
		}
	}
	return write(dir, filepath.Join(evDir, "enable"), "1")
}

func write(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value+"\n"), 0); err != nil {
		return fmt.Errorf("trace: set %s to %q: %w", file, value, err)
	}
	return nil
}

// removeInstance removes an instance directory; the kernel frees its
// buffers and disables its events. It fails with EBUSY while any of its
// files is open. An instance already gone is not an error: ENOENT, or
// ENODEV when another process's Cleanup removed it between our listing and
// our rmdir (two test binaries of this module clean up at the same time).
func removeInstance(dir string) error {
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("trace: remove instance: %w", err)
	}
	return nil
}

func cleanup() error {
	if err := ensureMounted(); err != nil {
		return err
	}
	ents, err := os.ReadDir(filepath.Join(tracefsRoot, "instances"))
	if err != nil {
		return fmt.Errorf("trace: list instances: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if stale(e.Name()) {
			errs = append(errs, removeInstance(filepath.Join(tracefsRoot, "instances", e.Name())))
		}
	}
	return errors.Join(errs...)
}

// stale reports whether name is a teardown instance whose process has
// exited. A pid reused by an unrelated process keeps a stale instance
// alive until that process exits too; that is harmless (it only holds a
// buffer).
func stale(name string) bool {
	m := instanceRE.FindStringSubmatch(name)
	if m == nil {
		return false
	}
	pid, err := strconv.Atoi(m[1])
	if err != nil || pid == os.Getpid() {
		return false
	}
	_, err = os.Stat(filepath.Join("/proc", m[1]))
	return errors.Is(err, fs.ErrNotExist)
}
