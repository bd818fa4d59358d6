package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpteardown/teardown/tcpstate"
)

// opSpec says what arguments an operation takes.
type opSpec struct {
	min, max int
	opts     []string // allowed key=value options ("SO_*" allows socket options)
	check    func(st *Step) error
	refs     func(st *Step) []string // actors the step names
}

var ops = map[string]opSpec{
	"listen":      {0, 0, []string{"backlog", "port", "SO_*"}, nil, optRef("port")},
	"udp":         {0, 0, []string{"SO_*"}, nil, nil},
	"connect":     {1, 2, []string{"wait", "SO_*"}, checkConnect, argRef},
	"accept":      {0, 0, []string{"wait", "SO_*"}, nil, nil},
	"write":       {1, 1, []string{"wait"}, checkPayload, nil},
	"send":        {1, 1, nil, checkPayload, nil},
	"sendto":      {2, 2, nil, checkPayload, argRef},
	"read":        {0, 1, []string{"wait", "every"}, checkReadCount, nil},
	"recv":        {0, 0, []string{"wait"}, nil, nil},
	"echo":        {0, 0, []string{"wait"}, nil, nil},
	"shutdown":    {1, 1, nil, checkOneOf("rd", "wr", "rdwr"), nil},
	"close":       {0, 1, nil, checkOneOf("listener"), nil},
	"abort":       {0, 0, nil, nil, nil},
	"linger":      {1, 1, nil, checkLinger, nil},
	"setsockopt":  {2, 2, nil, checkSockopt, nil},
	"ioctl":       {1, 1, []string{"until", "every", "wait"}, checkOneOf("SIOCINQ", "SIOCOUTQ", "SIOCOUTQNSD"), nil},
	"nonblock":    {0, 1, nil, checkOneOf("on", "off"), nil},
	"sleep":       {1, 1, nil, checkDurArg, nil},
	"signal":      {1, 1, nil, checkBarrier, nil},
	"wait":        {1, 2, []string{"wait", "from"}, checkWait, waitRef},
	"dup":         {0, 0, nil, nil, nil},
	"use":         {1, 1, nil, checkOneOf("orig", "dup"), nil},
	"fork-holder": {1, 1, nil, checkDurArg, nil},
	"exit":        {0, 0, nil, nil, nil},
	"kill":        {1, 1, nil, nil, argRef},
	"sigpipe":     {1, 1, nil, checkOneOf("default", "ignore"), nil},
	"disconnect":  {0, 0, nil, nil, nil},
	"getsockname": {0, 0, nil, nil, nil},
	"getpeername": {0, 0, nil, nil, nil},
	"snapshot":    {0, 0, nil, nil, nil},
	"note":        {1, 1, nil, nil, nil},
}

// checkStep validates one step against its spec.
func checkStep(st *Step) error {
	spec, ok := ops[st.Op]
	if !ok {
		return fmt.Errorf("unknown operation %q (see docs/scenario-format.md for the list)", st.Op)
	}
	if len(st.Args) < spec.min || len(st.Args) > spec.max {
		return fmt.Errorf("%s takes %s, got %d", st.Op, argCount(spec), len(st.Args))
	}
	for k, v := range st.Opts {
		if err := checkOpt(spec, k, v); err != nil {
			return fmt.Errorf("%s: %v", st.Op, err)
		}
	}
	if spec.check != nil {
		return spec.check(st)
	}
	return nil
}

func argCount(s opSpec) string {
	if s.min == s.max {
		return fmt.Sprintf("%d argument(s)", s.min)
	}
	return fmt.Sprintf("%d to %d arguments", s.min, s.max)
}

func checkOpt(spec opSpec, k, v string) error {
	switch {
	case k == "wait" || k == "every":
		_, err := ParseDuration(v)
		return err
	case k == "until":
		_, err := parseCount(v)
		return err
	case k == "backlog":
		_, err := parseCountMax(v, MaxBacklog)
		return err
	case strings.HasPrefix(k, "SO_") || strings.HasPrefix(k, "TCP_"):
		if !slices.Contains(spec.opts, "SO_*") {
			return fmt.Errorf("socket options are set in their own `setsockopt` step here")
		}
		return checkSockopt(&Step{Args: []string{k, v}})
	case slices.Contains(spec.opts, k):
		return nil
	}
	return fmt.Errorf("unknown option %s=", k)
}

func StepRefs(st *Step) []string {
	if f := ops[st.Op].refs; f != nil {
		return f(st)
	}
	return nil
}

func argRef(st *Step) []string { return st.Args[:1] }

func optRef(k string) func(*Step) []string {
	return func(st *Step) []string {
		if v, ok := st.Opts[k]; ok {
			return []string{v}
		}
		return nil
	}
}

func waitRef(st *Step) []string { return optRef("from")(st) }

func checkOneOf(words ...string) func(*Step) error {
	return func(st *Step) error {
		if len(st.Args) > 0 && !slices.Contains(words, st.Args[0]) {
			return fmt.Errorf("%s takes one of %s, got %q", st.Op, strings.Join(words, "|"), st.Args[0])
		}
		return nil
	}
}

func checkConnect(st *Step) error {
	if len(st.Args) == 2 && st.Args[1] != "nonblock" {
		return fmt.Errorf("connect ACTOR [nonblock], got %q", st.Args[1])
	}
	return nil
}

// checkPayload accepts "text" (always text, even "123"), a bare byte
// count or a bare `fill` (write until EAGAIN). Text is bounded by the line.
func checkPayload(st *Step) error {
	i := len(st.Args) - 1 // sendto ACTOR PAYLOAD
	if st.Word(i, "fill") && st.Op == "write" {
		return nil
	}
	if _, ok := st.Size(i); ok {
		_, err := parseCountMax(st.Args[i], MaxPayload)
		return err
	}
	return nil // text
}

func checkReadCount(st *Step) error {
	if len(st.Args) == 0 || st.Word(0, "eof") {
		return nil
	}
	_, err := parseCountMax(st.Args[0], MaxReadCount)
	return err
}

func checkLinger(st *Step) error {
	if st.Args[0] == "off" {
		return nil
	}
	// A later close(2) may block this long: bounded like every wait.
	n, err := strconv.Atoi(st.Args[0])
	if err != nil || n < 0 || n > int(MaxDuration/time.Second) {
		return fmt.Errorf("linger takes seconds 0..%d or off, got %q", int(MaxDuration/time.Second), st.Args[0])
	}
	return nil
}

func checkSockopt(st *Step) error {
	if !slices.Contains(SockOptNames, st.Args[0]) {
		return fmt.Errorf("socket option %q unknown; known: %s", st.Args[0], strings.Join(SockOptNames, " "))
	}
	_, err := parseCount(st.Args[1])
	return err
}

// SockOptNames are applied in this order. The timers of a vanished peer
// come last: TCP_USER_TIMEOUT (RFC 5482: how long sent data may stay
// unacknowledged before the connection is dropped with ETIMEDOUT),
// SO_KEEPALIVE with TCP_KEEPIDLE/KEEPINTVL/KEEPCNT (RFC 1122 §4.2.3.6:
// probes of an idle connection), TCP_LINGER2 (an orphan's FIN-WAIT-2
// lifetime, tcp_fin_timeout for one socket).
var SockOptNames = []string{"SO_RCVBUF", "SO_SNDBUF", "SO_REUSEADDR", "SO_REUSEPORT", "SO_KEEPALIVE", "TCP_NODELAY",
	"TCP_USER_TIMEOUT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_LINGER2"}

func checkDurArg(st *Step) error {
	_, err := ParseDuration(st.Args[0])
	return err
}

func checkBarrier(st *Step) error {
	if !nameRE.MatchString(st.Args[0]) {
		return fmt.Errorf("barrier names are lower-case words, got %q", st.Args[0])
	}
	return nil
}

// checkWait accepts `wait NAME`, `wait state STATE`, `wait packet FLAGS`.
func checkWait(st *Step) error {
	switch {
	case len(st.Args) == 1:
		return checkBarrier(st)
	case st.Args[0] == "state":
		_, err := tcpstate.Parse(st.Args[1])
		return err
	case st.Args[0] == "packet":
		return checkFlags(st.Args[1])
	}
	return fmt.Errorf("expected `wait NAME`, `wait state STATE` or `wait packet FLAGS`")
}

func checkFlags(f string) error {
	if strings.Trim(strings.TrimSuffix(f, "*"), "SFRPUEW.") != "" || f == "" {
		return fmt.Errorf("packet flags are written as tcpdump prints them (S, S., ., P., F., R, R.), got %q", f)
	}
	return nil
}

// ParseDuration accepts Go durations between 0 and MaxDuration: every wait is
// bounded.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxDuration {
		return 0, fmt.Errorf("expected a duration such as 300ms (at most %v), got %q", MaxDuration, s)
	}
	return d, nil
}

// parseCount accepts counts up to MaxCount (64 MiB).
func parseCount(s string) (int, error) { return parseCountMax(s, MaxCount) }

func parseCountMax(s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > limit {
		return 0, fmt.Errorf("expected a count 0..%d, got %q", limit, s)
	}
	return n, nil
}
