package runner

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpteardown/teardown/internal/sys"
)

// Starting a child process forks this one, and until the child's exec
// closes them (they are all close-on-exec) the child holds a reference to
// every open socket — of every scenario running in parallel, not only its
// own. A close(2) in that window only drops one reference: no FIN, no
// linger wait; the socket really closes later, in the child, whose exec
// then blocks for the linger time. Seen in TestCatalog: linger-nonblock's
// close returned in 2 µs instead of 2 s, and exit-fin's child connected
// 2 s late. So a socket's close and a child's start never overlap:
// closeSock passes the gate unless a start is under way, startChild waits
// until no close is in flight. A close that lingers delays only child
// starts (scenario setup, outside any timeline), never other closes.
var (
	forking sync.Mutex   // held by startChild across fork and exec
	closing atomic.Int32 // closes between the gate and their return
)

// closeSock is close(2) for the lab's sockets.
// Callers that drop its error release a descriptor on a cleanup path; a
// close the scenario asks for is a step, and its result is recorded.
func closeSock(fd int) error {
	return closeGated(func() error { return sys.Close(fd) })
}

// closeGated runs a close through the gate. The state tracer needs it too:
// it closes its trace_pipe and then removes its tracefs instance, and
// rmdir fails with EBUSY while a forked child not yet exec'd still holds
// the pipe: TestCatalog left an instance behind that way.
func closeGated(close func() error) error {
	forking.Lock()
	closing.Add(1)
	forking.Unlock()
	defer closing.Add(-1)
	return close()
}

// startWhenNoClose runs start (a fork and exec) when no close is in flight,
// keeping new closes out until it returns. It waits at most maxWait for
// lingering closes, then starts anyway.
func startWhenNoClose(start func() error) error {
	deadline := time.Now().Add(maxCloseWait)
	for {
		for closing.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
		forking.Lock()
		if closing.Load() == 0 || !time.Now().Before(deadline) {
			break
		}
		forking.Unlock()
	}
	defer forking.Unlock()
	return start()
}

// maxCloseWait bounds how long a child start waits for closes: the longest
// linger time of the catalog is a few seconds.
const maxCloseWait = 10 * time.Second
