package runner

import (
	"context"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/lab"
	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/trace"
)

// startWireTrace records a wire scenario: the wire hands every packet to
// the run as it handles it (addWireEvent), so only the states are traced.
// Tracepoints are global across namespaces: addTransition keeps the
// transitions of the run's ports on the wire's addresses. The tracer
// starts in host a's namespace, whose tcp_fin_timeout decides its
// TIME-WAIT inference.
func startWireTrace(r *run, ports []uint16) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	var t *trace.Tracer
	err := r.inHost(r.s.Actors[0].Name, func() (err error) {
		t, err = trace.Start(ctx, &trace.Config{Ports: ports})
		return err
	})
	r.mu.Lock()
	r.wireOn = true
	r.mu.Unlock()
	if err != nil {
		// In a user namespace tracefs belongs to the real root: the wire
		// still records every packet, only the states are missing.
		cancel()
		r.noStates = true
		r.notes = append(r.notes, "states were not traced (conditions on them are unknown): "+err.Error())
		return r.stopWireEvents, nil
	}
	done := make(chan struct{})
	go func() { defer close(done); readTransitions(t, r) }()
	return func() {
		r.stopWireEvents()
		if err := closeGated(t.Close); err != nil {
			r.notes = append(r.notes, "state tracer: "+err.Error())
		}
		cancel()
		<-done
		if n := t.Lost(); n > 0 {
			r.lose(func(l *lab.Loss) { l.TraceLost = n })
		}
	}, nil
}

// listOurSockets reads the socket table of the scenario's namespace, or of
// both hosts of its wire.
func listOurSockets(r *run) ([]sockdiag.Socket, error) {
	nss := []*netns.NS{r.ns}
	if r.w != nil {
		nss = r.wireNamespaces()
	}
	var all []sockdiag.Socket
	for _, ns := range nss {
		f := sockdiag.Filter{Ports: r.ports()}
		if ns != nil {
			f.NetNS = int(ns.Handle())
		}
		socks, err := sockdiag.List(f)
		if err != nil {
			return nil, err
		}
		all = append(all, socks...)
	}
	return all, nil
}
