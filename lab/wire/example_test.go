package wire_test

import (
	"context"
	"fmt"

	"github.com/tcpteardown/teardown/lab/wire"
)

func ExampleParseStep() {
	for _, line := range []string{
		"drop client>server F.   count=2",
		"delay client>server P. len 1000 200ms",
		"inject client>server R seq=+100000",
	} {
		st, err := wire.ParseStep(line)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(st.Kind, "→", st)
	}
	_, err := wire.ParseStep("drop client>server X")
	fmt.Println(err)
	// Output:
	// drop → drop client>server F. count=2
	// delay → delay client>server P. len 1000 200ms
	// inject → inject client>server R seq=+100000
	// wire: flags are written as tcpdump prints them (S, S., ., P., F., R, R.; a final * for any further flags), got "X"
}

// A wire between a client on host a and a server on host b whose first
// FIN is lost. Sockets are created inside w.NS(wire.A) and w.NS(wire.B)
// with Do; the events tell what the wire did.
func ExampleNew() {
	cfg := &wire.Config{Actors: map[string]wire.Host{"client": wire.A, "server": wire.B}}
	w, err := wire.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err) // not root, no TUN device …
		return
	}
	defer w.Close()
	st, _ := wire.ParseStep("drop client>server F.")
	if err := w.Apply(st); err != nil {
		fmt.Println(err)
	}
	// … listen in w.NS(wire.B), connect from w.NS(wire.A), close …
	for _, e := range w.Events() {
		fmt.Println(e.Action, e.Dir, e.Seg.Flags)
	}
}
