package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// asm is a tiny assembler for classic BPF with named jump targets.
// Conditional jumps only reach 255 instructions ahead; a target further
// away is reached through an unconditional "ja" (32-bit offset) placed right
// after the test, so the program stays correct however many ports it
// checks.
type asm struct {
	steps []step
}

type step struct {
	op     bpf.Instruction // plain instruction, or nil
	label  string          // a label marker when op and cond are nil
	cond   *cond
	farYes bool // reach yes through a trampoline
	farNo  bool
}

// cond is "if A <test> val goto yes else goto no"; "" means the next step.
type cond struct {
	test    bpf.JumpTest
	val     uint32
	yes, no string
}

func (a *asm) op(i bpf.Instruction) { a.steps = append(a.steps, step{op: i}) }
func (a *asm) label(l string)       { a.steps = append(a.steps, step{label: l}) }

func (a *asm) jump(t bpf.JumpTest, v uint32, yes, no string) {
	a.steps = append(a.steps, step{cond: &cond{test: t, val: v, yes: yes, no: no}})
}

func (a *asm) jeq(v uint32, yes, no string)  { a.jump(bpf.JumpEqual, v, yes, no) }
func (a *asm) jset(v uint32, yes, no string) { a.jump(bpf.JumpBitsSet, v, yes, no) }

// size is the number of instructions a step emits.
func (s *step) size() int {
	switch {
	case s.op != nil:
		return 1
	case s.cond == nil:
		return 0
	}
	return 1 + b2i(s.farYes) + b2i(s.farNo)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// layout returns each step's position and each label's.
func (a *asm) layout() (pos []int, labels map[string]int, err error) {
	pos = make([]int, len(a.steps)+1)
	labels = map[string]int{}
	for i := range a.steps {
		s := &a.steps[i]
		if s.op == nil && s.cond == nil {
			if _, dup := labels[s.label]; dup {
				return nil, nil, fmt.Errorf("label %q defined twice", s.label)
			}
			labels[s.label] = pos[i]
		}
		pos[i+1] = pos[i] + s.size()
	}
	return pos, labels, nil
}

// assemble resolves labels, widening far jumps until every conditional
// offset fits in 8 bits.
func (a *asm) assemble() ([]bpf.Instruction, error) {
	for {
		pos, labels, err := a.layout()
		if err != nil {
			return nil, err
		}
		widened, err := a.widen(pos, labels)
		if err != nil {
			return nil, err
		}
		if !widened {
			return a.emit(pos, labels)
		}
	}
}

// widen marks targets out of reach; it reports whether it marked any.
func (a *asm) widen(pos []int, labels map[string]int) (bool, error) {
	widened := false
	for i := range a.steps {
		s := &a.steps[i]
		if s.cond == nil {
			continue
		}
		next := pos[i] + 1
		for _, t := range []struct {
			label string
			far   *bool
		}{{s.cond.yes, &s.farYes}, {s.cond.no, &s.farNo}} {
			d, err := distance(t.label, next, pos[i+1], labels)
			if err != nil {
				return false, err
			}
			if d > 255 && !*t.far {
				*t.far, widened = true, true
			}
		}
	}
	return widened, nil
}

// distance is how many instructions a jump from next-1 skips to reach label
// ("" = the instruction after the step, at after).
func distance(label string, next, after int, labels map[string]int) (int, error) {
	target := after
	if label != "" {
		t, ok := labels[label]
		if !ok {
			return 0, fmt.Errorf("undefined label %q", label)
		}
		target = t
	}
	if target < next {
		return 0, fmt.Errorf("backward jump to %q", label)
	}
	return target - next, nil
}

func (a *asm) emit(pos []int, labels map[string]int) ([]bpf.Instruction, error) {
	var out []bpf.Instruction
	for i := range a.steps {
		s := &a.steps[i]
		switch {
		case s.op != nil:
			out = append(out, s.op)
		case s.cond != nil:
			out = append(out, a.emitCond(s, pos[i], pos[i+1], labels)...)
		}
	}
	return out, nil
}

// emitCond writes the test and its trampolines: with both far,
// "jxx jt 0 jf 1; ja yes; ja no".
func (a *asm) emitCond(s *step, p, after int, labels map[string]int) []bpf.Instruction {
	next := p + 1
	dYes, _ := distance(s.cond.yes, next, after, labels)
	dNo, _ := distance(s.cond.no, next, after, labels)
	j := bpf.JumpIf{Cond: s.cond.test, Val: s.cond.val, SkipTrue: uint8(dYes), SkipFalse: uint8(dNo)}
	var tramp []bpf.Instruction
	if s.farYes {
		j.SkipTrue = 0
		tramp = append(tramp, bpf.Jump{Skip: uint32(dYes - 1)})
	}
	if s.farNo {
		j.SkipFalse = uint8(len(tramp))
		tramp = append(tramp, bpf.Jump{Skip: uint32(dNo - len(tramp) - 1)})
	}
	return append([]bpf.Instruction{j}, tramp...)
}
