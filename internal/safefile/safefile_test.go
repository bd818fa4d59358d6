package safefile_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tcpteardown/teardown/internal/safefile"
)

func TestCreateRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out.pcap")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	f, err := safefile.Create(link, 0o644)
	if err == nil {
		f.Close()
		t.Fatal("Create followed a symbolic link")
	}
	if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("error %q does not say why", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("link target changed: %q", b)
	}
}

func TestCreateReplacesRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.pcap")
	if err := os.WriteFile(path, []byte("an old capture, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := safefile.Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	f.Close()
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("got %q, want %q", b, "new")
	}
}

func TestCreateRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	f, err := safefile.Create(path, 0o644)
	if err == nil {
		f.Close()
		t.Fatal("Create opened a FIFO for writing")
	}
}

func TestCreateInNumbersAndNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for range 3 {
		f, p, err := safefile.CreateIn(dir, "seed-close.pcap", 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(p)
		f.Close()
		paths = append(paths, filepath.Base(p))
	}
	want := []string{"seed-close.pcap", "seed-close-2.pcap", "seed-close-3.pcap"}
	for i := range want {
		if paths[i] != want[i] {
			t.Errorf("run %d wrote %s, want %s", i+1, paths[i], want[i])
		}
	}
}

func TestCreateInDoesNotFollowLinkOrEscape(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	os.Symlink(victim, filepath.Join(dir, "x.pcap"))
	f, p, err := safefile.CreateIn(dir, "x.pcap", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("capture")
	f.Close()
	if filepath.Base(p) != "x-2.pcap" {
		t.Errorf("wrote %s, want x-2.pcap beside the link", p)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("link target changed: %q", b)
	}
	for _, bad := range []string{"../x.pcap", "..", ".", "", "a/b.pcap", "a\x00b"} {
		if f, _, err := safefile.CreateIn(dir, bad, 0o644); err == nil {
			f.Close()
			t.Errorf("CreateIn accepted %q", bad)
		}
	}
}
