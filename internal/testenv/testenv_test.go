package testenv

import (
	"fmt"
	"syscall"
	"testing"
)

// TestMissingCaps: as root with every capability (CI), nothing is missing;
// the parser reads the real effective set.
func TestMissingCaps(t *testing.T) {
	got := missingCaps()
	if IsRoot() && InCI() && got != "" {
		t.Errorf("CI's root lacks %s", got)
	}
	if !IsRoot() && got == "" {
		t.Errorf("a non-root process reports every needed capability")
	}
}

// TestRequirePermitted: EPERM and EACCES mean "not permitted" (skip, or
// fail under CI); nil passes.
func TestRequirePermitted(t *testing.T) {
	t.Run("nil", func(t *testing.T) { RequirePermitted(t, nil) })
	for _, err := range []error{syscall.EPERM, fmt.Errorf("netns: create: %w", syscall.EACCES)} {
		ft := &fakeTB{TB: t}
		func() {
			defer func() { recover() }()
			RequirePermitted(ft, err)
		}()
		if InCI() != ft.failed || InCI() == ft.skipped {
			t.Errorf("%v: failed=%v skipped=%v under CI=%v", err, ft.failed, ft.skipped, InCI())
		}
	}
}

// fakeTB records how a helper ended t; Skip and Fatal stop the caller by
// panicking (recovered above) as runtime.Goexit would.
type fakeTB struct {
	testing.TB
	failed, skipped bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatal(...any)          { f.failed = true; panic("fatal") }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
func (f *fakeTB) Skip(...any)           { f.skipped = true; panic("skip") }
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true; panic("skip") }
