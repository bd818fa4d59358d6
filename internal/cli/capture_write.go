package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tcpteardown/teardown/capture"
	"github.com/tcpteardown/teardown/internal/safefile"
)

// flushEvery is how often a buffered -w file is flushed while packets
// keep coming or not, so that `tail -f`-style readers and a crash lose at
// most a second (tcpdump without -U flushes only when its buffer fills).
const flushEvery = time.Second

// pcapOut is the -w file. Packets are buffered and flushed every second,
// at the end and when a signal ends the capture (-U: after every packet);
// a flush per packet cost capture ~5× tcpdump -U (issue 11). A file that
// fails to be written is removed (a truncated capture misleads more than
// none); a capture that ends cleanly keeps its file even with no packets,
// as tcpdump does, so `tcpdump -r` always works on it. Only regular files
// are ever created (safefile: no symlink is followed, no device written).
type pcapOut struct {
	path      string
	f         *os.File // nil for -w - (stdout)
	w         *capture.Writer
	perPacket bool
	start     time.Time

	mu   sync.Mutex // the writer, between the capture loop and the flusher
	ferr error      // the flusher's first error
	stop chan struct{}
	done chan struct{}
}

func createPcap(env *Env, o *captureOpts, c *capture.Capture) (*pcapOut, error) {
	if o.write == "" {
		return nil, nil
	}
	out := &pcapOut{path: o.write, perPacket: o.unbuffered, start: time.Now()}
	var dst io.Writer = env.Stdout
	if o.write != "-" {
		f, err := safefile.Create(o.write, 0o644)
		if err != nil {
			return nil, fmt.Errorf("capture: -w: %w", err)
		}
		out.f, dst = f, f
	}
	fi := &capture.FileInfo{PcapNG: strings.HasSuffix(strings.ToLower(o.write), ".pcapng"), Interface: c.Interface(),
		SnapLen: c.SnapLen()}
	w, err := capture.NewFileWriter(dst, fi)
	if err != nil {
		out.discard()
		return nil, fmt.Errorf("capture: -w %s: %w", o.write, err)
	}
	out.w = w
	if !out.perPacket {
		out.stop, out.done = make(chan struct{}), make(chan struct{})
		go out.flusher()
	}
	return out, nil
}

// flusher flushes every flushEvery until finish stops it.
func (o *pcapOut) flusher() {
	defer close(o.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			o.mu.Lock()
			if err := o.w.Flush(); err != nil && o.ferr == nil {
				o.ferr = err
			}
			o.mu.Unlock()
		}
	}
}

// writeFrame is write for an undecoded frame.
func (o *pcapOut) writeFrame(f capture.Frame) error {
	return o.put(func() error { return o.w.WriteFrame(f) })
}

// write appends a frame (and with -U flushes it). An error of the
// background flush surfaces here, on the next packet.
func (o *pcapOut) write(seg capture.Segment) error {
	if o == nil {
		return nil
	}
	return o.put(func() error { return o.w.Write(seg) })
}

// put runs one write under the lock, after the background flush's error
// (if any) and before a per-packet flush (-U).
func (o *pcapOut) put(write func() error) error {
	o.mu.Lock()
	err := o.ferr
	if err == nil {
		err = write()
	}
	if err == nil && o.perPacket {
		err = o.w.Flush()
	}
	o.mu.Unlock()
	if err != nil {
		return fmt.Errorf("capture: -w %s: %w", o.path, err)
	}
	return nil
}

// finish stops the flusher, writes the kernel's counters (pcapng), flushes
// and closes the file, or removes it when failed.
func (o *pcapOut) finish(failed bool, st capture.Stats) error {
	if o == nil {
		return nil
	}
	if o.stop != nil {
		close(o.stop)
		<-o.done
	}
	if failed {
		o.discard()
		return nil
	}
	err := errors.Join(o.ferr, o.w.WriteStats(o.start, time.Now(), st), o.w.Close())
	if o.f != nil {
		err = errors.Join(err, o.f.Close())
	}
	if err != nil {
		o.discard()
		return fmt.Errorf("capture: -w %s: %w (file removed)", o.path, err)
	}
	return nil
}

// discard closes and removes the file (safefile made sure it is a
// regular file of ours).
func (o *pcapOut) discard() {
	if o.f == nil {
		return
	}
	o.f.Close()
	_ = os.Remove(o.path) // the write error is the one to report
}
