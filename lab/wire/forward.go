package wire

import (
	"fmt"
	"os"
	"time"
)

// pump reads every packet host d.From() sends (on its TUN device in) and
// decides its fate, until the device is closed.
func (w *Wire) pump(d Dir, in *os.File) {
	buf := make([]byte, 65536)
	for {
		n, err := in.Read(buf)
		if err != nil {
			return // closed: the wire is shutting down
		}
		w.handle(d, buf[:n], time.Now())
	}
}

// handle records one packet and passes it on, drops, delays, holds or
// duplicates it.
func (w *Wire) handle(d Dir, pkt []byte, now time.Time) {
	seg := decode(pkt, now)
	frame := seg.Raw
	w.mu.Lock()
	w.conns.observe(&seg, now)
	lost := w.cfg.Link.Loss > 0 && w.rng[d.index()].Float64() < w.cfg.Link.Loss
	v := w.eng.decide(d, &seg)
	e := Event{Time: now, Dir: d, Action: v.act, Seg: seg}
	if v.rule != nil {
		e.Rule = v.rule.st.Text
	}
	if v.act == Forwarded && lost {
		e.Action, e.Rule = Dropped, "loss"
	}
	if e.Action == Held {
		w.eng.held = append(w.eng.held, held{dir: d, frame: frame, seg: seg})
	}
	w.record(e)
	w.mu.Unlock()
	switch e.Action {
	case Forwarded:
		w.send(d, frame, now, 0, nil)
	case Duplicated:
		w.send(d, frame, now, 0, nil)
		w.send(d, frame, now, 0, nil)
	case Delayed:
		w.send(d, frame, now, v.rule.st.Delay, &e)
	}
}

// send delivers frame to the other host now, or after the link's delay
// plus extra. ev, when set, is recorded as Delivered at that time.
func (w *Wire) send(d Dir, frame []byte, now time.Time, extra time.Duration, ev *Event) {
	l := w.lanes[d.index()]
	if !w.delay && extra == 0 && ev == nil {
		_, _ = l.out.Write(frame[ethLen:]) // a write error is a packet lost on a closing wire
		return
	}
	at := now
	if w.cfg.Link.Rate > 0 {
		at = l.serialise(now, len(frame)-ethLen, w.cfg.Link.Rate)
	}
	l.push(at.Add(w.cfg.Link.RTT/2+extra), frame, ev)
}

// Apply runs one wire step: arms a rule (drop, delay, dup, hold), releases
// held packets, cuts or heals the cable, or injects a crafted segment. A
// rule armed before the packets it matches exist applies when they come.
func (w *Wire) Apply(st Step) error {
	switch st.Kind {
	case Drop, Delay, Dup, Hold:
		return w.arm(st)
	case Release:
		w.release()
		return nil
	case Cut, Heal:
		return w.cut(st)
	case Inject:
		return w.inject(st)
	}
	return fmt.Errorf("wire: cannot apply step %q", st.Text)
}

// resolve maps a FROM>TO of actor or host names to a direction.
func (w *Wire) resolve(from, to string) (Dir, error) {
	hf, err := w.hostOf(from)
	if err != nil {
		return DirInvalid, err
	}
	ht, err := w.hostOf(to)
	if err != nil {
		return DirInvalid, err
	}
	d := dirOf(hf, ht)
	if d == DirInvalid {
		return d, fmt.Errorf("wire: %s and %s are both on host %s: no packet between them crosses the wire", from, to, hf)
	}
	return d, nil
}

func (w *Wire) hostOf(name string) (Host, error) {
	if h, ok := w.cfg.Actors[name]; ok && (h == A || h == B) {
		return h, nil
	}
	switch name {
	case "a":
		return A, nil
	case "b":
		return B, nil
	}
	return HostInvalid, fmt.Errorf("wire: unknown actor %q: name an actor placed on host a or b, or the host itself", name)
}

func (w *Wire) arm(st Step) error {
	d, err := w.resolve(st.Match.From, st.Match.To)
	if err != nil {
		return err
	}
	r := &rule{st: st, dir: d, left: max(st.Count, 1)} // a Step built by hand may leave Count 0
	if st.After != nil {
		if r.after, err = w.resolve(st.After.From, st.After.To); err != nil {
			return err
		}
	}
	w.mu.Lock()
	w.eng.arm(r)
	w.mu.Unlock()
	return nil
}

// release delivers what the holds kept, in the order it reached the wire.
func (w *Wire) release() {
	w.mu.Lock()
	kept := w.eng.release()
	w.mu.Unlock()
	now := time.Now()
	for _, h := range kept {
		e := Event{Time: now, Dir: h.dir, Action: Held, Seg: h.seg, Rule: "release"}
		w.lanes[h.dir.index()].push(now, h.frame, &e)
	}
}

func (w *Wire) cut(st Step) error {
	dirs := []Dir{AtoB, BtoA}
	if st.From != "" {
		d, err := w.resolve(st.From, st.To)
		if err != nil {
			return err
		}
		dirs = []Dir{d}
	}
	w.mu.Lock()
	for _, d := range dirs {
		w.eng.cut[d.index()] = st.Kind == Cut
	}
	w.mu.Unlock()
	return nil
}

// inject crafts a segment from the wire's view of the connection between
// the direction's hosts: by default seq is the sender's SND.NXT, ack the
// receiver's SND.NXT (what the sender would acknowledge), the window and
// timestamps the sender's last ones.
func (w *Wire) inject(st Step) error {
	d, err := w.resolve(st.From, st.To)
	if err != nil {
		return err
	}
	flags, err := parseFlags(st.Flags)
	if err != nil {
		return err
	}
	w.mu.Lock()
	src, dst, snd, rcv, ok := w.conns.between(w.Addr(d.From()), w.Addr(d.To()))
	w.mu.Unlock()
	if !ok {
		return fmt.Errorf("wire: inject %s: no TCP connection between hosts %s and %s has crossed the wire yet", st.Text, d.From(), d.To())
	}
	sg := craftFrom(src, dst, snd, rcv)
	sg.flags, sg.payload = flags, st.Len
	sg.seq, sg.ack = st.Seq.apply(sg.seq), st.Ack.apply(sg.ack)
	w.write(d, sg.packet(), st.Text)
	return nil
}

// write puts a crafted packet on the wire towards d.To() at once, and
// records it as Injected.
func (w *Wire) write(d Dir, pkt []byte, rule string) {
	now := time.Now()
	seg := decode(pkt, now)
	w.mu.Lock()
	w.record(Event{Time: now, Dir: d, Action: Injected, Rule: rule, Seg: seg})
	w.mu.Unlock()
	_, _ = w.lanes[d.index()].out.Write(pkt) // as above: lost on a closing wire
}
