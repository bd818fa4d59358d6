package netns

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/tcpteardown/teardown/internal/sys"
)

// DoFD runs fn on an OS thread inside the network namespace nsfd (a
// descriptor of it) and returns fn's error. A namespace belongs to a thread,
// not to a process or a goroutine: setns(2) moves only the calling thread,
// and sockets fn creates stay in that namespace for their whole life.
//
// The thread is never handed back to other goroutines: fn runs on a fresh
// goroutine locked to its thread, which stays locked, so when the goroutine
// ends the Go runtime terminates the thread (runtime.LockOSThread: "If the
// calling goroutine exits without unlocking the thread, the thread will be
// terminated"). Nothing has to move the thread back, so neither a panic in fn
// nor a failed setns back can leave any code running in the wrong
// namespace. The cost is one thread creation and exit per call: about
// 80 µs on a loaded 2-core machine (BenchmarkDo).
//
// A panic in fn is raised again in the caller (as a *PanicError holding
// the value and the stack where it happened); runtime.Goexit in fn (t.Fatal)
// ends the caller's goroutine too.
func DoFD(nsfd int, fn func() error) error {
	return OnOwnThread(func() error {
		if err := sys.Setns(nsfd, sys.CLONE_NEWNET); err != nil {
			return err
		}
		return fn()
	})
}

// OnOwnThread runs fn on a new goroutine locked to an OS thread that is
// thrown away afterwards, for calls that change per-thread state the rest
// of the program must never inherit (unshare(CLONE_NEWNET), setns). Panics
// and runtime.Goexit propagate to the caller as DoFD describes.
func OnOwnThread(fn func() error) error {
	done := make(chan outcome, 1)
	go runLocked(fn, done)
	o := <-done
	switch {
	case o.goexit:
		runtime.Goexit()
	case o.panic != nil:
		panic(o.panic)
	}
	return o.err
}

type outcome struct {
	err    error
	panic  *PanicError
	goexit bool
}

func runLocked(fn func() error, done chan<- outcome) {
	runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
	var o outcome
	returned := false
	defer func() {
		if !returned {
			// Since Go 1.21 panic(nil) recovers as *runtime.PanicNilError, so
			// nil here means runtime.Goexit.
			if v := recover(); v != nil {
				o.panic = &PanicError{Value: v, Stack: debug.Stack()}
			} else {
				o.goexit = true
			}
		}
		done <- o
	}()
	o.err = fn()
	returned = true
}

// PanicError is a panic raised by a function that ran on its own thread
// (DoFD, OnOwnThread, NS.Do), raised again in the caller.
type PanicError struct {
	Value any
	Stack []byte // of the goroutine that panicked
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("%v [on a namespace thread]\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// ReadFileIn reads path as a thread inside network namespace nsfd sees it
// (0: the caller's namespace). Files under /proc/sys/net belong to the
// namespace of whoever opens them, so the namespace is entered just for
// the open.
func ReadFileIn(nsfd int, path string) ([]byte, error) {
	if nsfd <= 0 {
		return os.ReadFile(path)
	}
	var f *os.File
	err := DoFD(nsfd, func() (err error) { f, err = os.Open(path); return err })
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
