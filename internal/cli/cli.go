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

// Exit codes, the same for every command (README "Exit codes").
const (
	ExitOK          = 0   // done, and nothing failed
	ExitFailure     = 1   // a failure was found (a claim did not hold) or an operation failed
	ExitUsage       = 2   // bad flags or arguments, or a missing privilege (as tcpdump and go do)
	ExitInterrupted = 130 // Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it
)

// ExitError carries an exit code other than ExitFailure.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Usagef returns an exit-2 error for bad flags or arguments.
func Usagef(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// Interruptedf returns an exit-130 error that says what an interrupted
// command had done so far.
func Interruptedf(format string, a ...any) error {
	return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf(format, a...)}
}

// Code maps an error to the process exit code. A bare context.Canceled is
// what a command returns when Ctrl-C or SIGTERM cancelled its context.
func Code(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitFailure
}

// Run dispatches args (without the program name) to a subcommand. Without
// arguments it prints the help on stderr and returns a usage error, as go
// does: running every scenario is `teardown lab`, asked for by name.
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		usage(env.Stderr)
		return &ExitError{Code: ExitUsage, Err: errNoCommand}
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			return helpFor(ctx, env, args[1:])
		}
		usage(env.Stdout)
		return nil
	}
	c, ok := commands[name]
	if !ok {
		return unknownCommand(name)
	}
	return c.Run(ctx, env, args[1:])
}

// errNoCommand is Run's error for a bare `teardown`: the help above says
// it all, so main prints nothing more.
var errNoCommand = errors.New("no command given")

// Quiet reports whether err was already explained on the terminal (the
// help for a bare `teardown`, or -h), so that main prints no error line.
func Quiet(err error) bool {
	return errors.Is(err, errNoCommand) || errors.Is(err, flag.ErrHelp)
}

// helpFor runs `teardown help CMD` as `teardown CMD -h`.
func helpFor(ctx context.Context, env *Env, args []string) error {
	if len(args) > 1 {
		return Usagef("help: one command at a time, got %q", args)
	}
	c, ok := commands[args[0]]
	if !ok {
		return unknownCommand(args[0])
	}
	return c.Run(ctx, env, []string{"-h"})
}

func unknownCommand(name string) error {
	if near := closest(name, commandNames()); near != "" {
		return Usagef("unknown command %q: did you mean %q? (teardown help lists the commands)", name, near)
	}
	return Usagef("unknown command %q (teardown help lists the commands)", name)
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, wrap("teardown: close TCP connections without losing data, and see what happens on the wire.", helpWidth, 0))
	fmt.Fprint(w, "\nUsage: teardown COMMAND [flags]      (teardown COMMAND -h for its flags)\n")
	fmt.Fprint(w, "\nCommands:\n")
	for _, n := range commandNames() {
		fmt.Fprint(w, hangingWrap(fmt.Sprintf("  %-8s ", n), commands[n].Summary, helpWidth))
	}
	fmt.Fprint(w, "\n"+wrap(exitCodes, helpWidth, 0))
}

// exitCodes is the last paragraph of `teardown help`.
const exitCodes = "Exit codes: 0 ok, 1 a failure found (a claim that did not hold, an error), " +
	"2 bad usage or a missing privilege, 130 interrupted (Ctrl-C, SIGTERM)."

// NewFlagSet returns a flag set for Parse: a bad flag becomes one error
// line (main prints it), and -h prints the command's help on stdout.
func NewFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("teardown "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // flag would print the error and the whole usage: Parse returns them instead
	fs.Usage = func() { printHelp(env.Stdout, fs, synopsis) }
	return fs
}

// Parse parses args and turns a flag error into a usage error (exit 2).
// Flags may come anywhere among the arguments, as users of go, git and ss
// expect (`lab run seed-close -json`); "--" ends the flags. The arguments
// that are not flags are left in order, read with fs.Args.
//
// The flag package calls fs.Usage for -h and for every bad flag; Parse
// prints the help only for -h and turns a bad flag into one usage error
// that names the command's -h.
func Parse(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	if help == nil {
		help = func() {}
	}
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	err := parseAnywhere(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	case err != nil:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w (see %s -h)", err, fs.Name())}
	}
	return nil
}

// parseAnywhere is Parse without the error handling.
func parseAnywhere(fs *flag.FlagSet, args []string) error {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
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

// OneLine flattens an error to the single line the user sees.
func OneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
