// Package cli implements teardown's subcommands, one file each. A file
// registers its command in init; cmd/teardown/main.go only wires signals,
// standard streams and exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Env is what a command gets from the process: its streams and whether
// stdout is a terminal (for colour and in-place updates).
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	Width          int // columns of the terminal on stdout; 0 when unknown or not a terminal
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string // one line for `teardown help`
	Run     func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]*Command{}

// Register adds a subcommand; called from init in each command's file.
func Register(c *Command) {
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// ExitError carries an exit code: 2 for usage and missing privileges
// (as tcpdump and go do), 1 for everything else.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Usagef returns an exit-2 error for bad flags or arguments.
func Usagef(format string, a ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, a...)}
}

// Code maps an error to the process exit code.
func Code(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	return 1
}

// Run dispatches args (without the program name) to a subcommand.
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		args = []string{"lab"}
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(env.Stdout)
		return nil
	}
	c, ok := commands[name]
	if !ok {
		usage(env.Stderr)
		return Usagef("unknown command %q: see the list above", name)
	}
	return c.Run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "teardown: close TCP connections without losing data, and see what happens on the wire.")
	fmt.Fprintln(w, "\nUsage: teardown <command> [flags]   (teardown <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].Summary)
	}
}

// NewFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage on the command's stderr.
func NewFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("teardown "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: teardown %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args and turns a flag error into a usage error (exit 2).
// Flags may come anywhere among the arguments, as users of go, git and ss
// expect (`lab run seed-close -json`); "--" ends the flags. The arguments
// that are not flags are left in order, read with fs.Args.
func Parse(fs *flag.FlagSet, args []string) error {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &ExitError{Code: 2, Err: err}
		}
		left := fs.Args()
		if endedByDashDash(fs, args, len(args)-len(left)) {
			rest = append(rest, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
	return fs.Parse(append([]string{"--"}, rest...))
}

// endedByDashDash reports whether flag parsing of args stopped because it
// consumed a "--" at args[k-1] (and not because "--" was a flag's value).
func endedByDashDash(fs *flag.FlagSet, args []string, k int) bool {
	if k == 0 || args[k-1] != "--" {
		return false
	}
	if k == 1 {
		return true
	}
	prev := strings.TrimLeft(args[k-2], "-")
	if !strings.HasPrefix(args[k-2], "-") || strings.Contains(prev, "=") {
		return true
	}
	f := fs.Lookup(prev)
	if f == nil {
		return true
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return isBool && b.IsBoolFlag() // a bool flag takes no value: "--" ended the flags
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// OneLine flattens an error to the single line the user sees.
func OneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
