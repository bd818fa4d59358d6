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
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &ExitError{Code: 2, Err: err}
	}
	return nil
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
