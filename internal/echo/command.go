package echo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown"
)

// Op is what one line of the client's input asks for.
type Op int

// The client's operations. A line whose first word is not a command name is
// text to send, as in the seed's client.
const (
	OpInvalid  Op = iota
	OpSend        // send the line
	OpShutdown    // shutdown(2) in direction How
	OpClose       // close(2), then wait
	OpAbort       // SO_LINGER {1,0} + close: RST
	OpLinger      // set SO_LINGER for the later close
	OpState       // print teardown.Info
	OpHelp        // list the commands
)

var opNames = [...]string{"invalid", "send", "shutdown", "close", "abort", "linger", "state", "help"}

// String returns the command's name ("send" for text).
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Command is one parsed input line.
type Command struct {
	Op     Op
	Text   string        // OpSend: the line, without its line ending
	How    teardown.How  // OpShutdown
	Linger time.Duration // OpLinger: <0 off, 0 abortive close, >0 blocking close
}

// Help lists the client's commands, one per line, in 80 columns.
const Help = `any other line         send it ("now sending LINE", then "send bytes: N")
shutdown [rd|wr|rdwr]  shutdown(2), default wr: FIN after the queued data;
                       after wr or rdwr, no more input is read
close                  close(2), wait -close-wait, exit
abort                  RST instead of FIN (SO_LINGER {1,0} + close), exit
linger N|off           SO_LINGER for a later close: N seconds (0: RST), or off
state                  one line from TCP_INFO and the queue ioctls
help                   this list
`

// ParseLine turns one input line into a Command. The line ending ("\n" or
// "\r\n") is dropped; everything else of a text line is sent unchanged. A
// known command word with arguments it does not take is an error, so that a
// typo such as `shutdown wrr` is not sent to the server as text.
func ParseLine(line string) (Command, error) {
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	f := strings.Fields(line)
	if len(f) == 0 {
		return Command{Op: OpSend, Text: line}, nil
	}
	parse, ok := parsers[f[0]]
	if !ok {
		return Command{Op: OpSend, Text: line}, nil
	}
	c, err := parse(f[1:])
	if err != nil {
		return Command{}, fmt.Errorf("unknown command %q: %w (help lists the commands)", line, err)
	}
	return c, nil
}

var parsers = map[string]func(args []string) (Command, error){
	"shutdown": parseShutdown,
	"close":    bare(OpClose),
	"abort":    bare(OpAbort),
	"linger":   parseLinger,
	"state":    bare(OpState),
	"help":     bare(OpHelp),
}

// bare parses a command that takes no argument.
func bare(op Op) func([]string) (Command, error) {
	return func(args []string) (Command, error) {
		if len(args) > 0 {
			return Command{}, fmt.Errorf("%s takes no argument", op)
		}
		return Command{Op: op}, nil
	}
}

func parseShutdown(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{Op: OpShutdown, How: teardown.ShutWrite}, nil // the seed's shutdown(fd, 1)
	}
	for _, h := range []teardown.How{teardown.ShutRead, teardown.ShutWrite, teardown.ShutBoth} {
		if len(args) == 1 && args[0] == h.String() {
			return Command{Op: OpShutdown, How: h}, nil
		}
	}
	return Command{}, fmt.Errorf("shutdown takes rd, wr or rdwr")
}

// maxLinger bounds `linger N`: the kernel caps SO_LINGER at MAX_SCHEDULE_TIMEOUT
// anyway, and an hour is already far beyond any useful close.
const maxLinger = time.Hour

func parseLinger(args []string) (Command, error) {
	if len(args) == 1 && args[0] == "off" {
		return Command{Op: OpLinger, Linger: -1}, nil
	}
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err == nil && n >= 0 && time.Duration(n)*time.Second <= maxLinger {
			return Command{Op: OpLinger, Linger: time.Duration(n) * time.Second}, nil
		}
	}
	return Command{}, fmt.Errorf("linger takes whole seconds 0..%d or off", int(maxLinger/time.Second))
}
