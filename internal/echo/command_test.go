package echo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown"
	"github.com/tcpteardown/teardown/internal/echo"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    echo.Command
		wantErr string
	}{
		{name: "text", line: "aaa\n", want: echo.Command{Op: echo.OpSend, Text: "aaa"}},
		{name: "text keeps spaces", line: "  a b \r\n", want: echo.Command{Op: echo.OpSend, Text: "  a b "}},
		{name: "empty line is sent", line: "\n", want: echo.Command{Op: echo.OpSend, Text: ""}},
		{name: "command word inside text", line: "please close\n", want: echo.Command{Op: echo.OpSend, Text: "please close"}},
		{name: "shutdown is SHUT_WR", line: "shutdown\n", want: echo.Command{Op: echo.OpShutdown, How: teardown.ShutWrite}},
		{name: "shutdown rd", line: "shutdown rd", want: echo.Command{Op: echo.OpShutdown, How: teardown.ShutRead}},
		{name: "shutdown rdwr", line: "shutdown rdwr\n", want: echo.Command{Op: echo.OpShutdown, How: teardown.ShutBoth}},
		{name: "close", line: "close\n", want: echo.Command{Op: echo.OpClose}},
		{name: "abort", line: "abort\n", want: echo.Command{Op: echo.OpAbort}},
		{name: "state", line: " state \n", want: echo.Command{Op: echo.OpState}},
		{name: "help", line: "help\n", want: echo.Command{Op: echo.OpHelp}},
		{name: "linger seconds", line: "linger 5\n", want: echo.Command{Op: echo.OpLinger, Linger: 5 * time.Second}},
		{name: "linger 0 is abortive", line: "linger 0\n", want: echo.Command{Op: echo.OpLinger, Linger: 0}},
		{name: "linger off", line: "linger off\n", want: echo.Command{Op: echo.OpLinger, Linger: -1}},
		{name: "bad direction", line: "shutdown wrr\n", wantErr: `unknown command "shutdown wrr": shutdown takes rd, wr or rdwr (help lists the commands)`},
		{name: "negative linger", line: "linger -1\n", wantErr: `unknown command "linger -1": linger takes whole seconds 0..3600 or off (help lists the commands)`},
		{name: "huge linger", line: "linger 99999999999999999999\n", wantErr: `unknown command "linger 99999999999999999999": linger takes whole seconds 0..3600 or off (help lists the commands)`},
		{name: "close with argument", line: "close now\n", wantErr: `unknown command "close now": close takes no argument (help lists the commands)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := echo.ParseLine(tt.line)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseLine(%q) error = %v, want %q", tt.line, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLine(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// FuzzParseLine checks the parser's promises on any input: text is sent
// unchanged but for its line ending, commands are named by their first
// word, errors are one line starting with "unknown command".
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"aaa\n", "shutdown rdwr\n", "linger 7", "linger off\r\n", "close now", "\n", "state\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := echo.ParseLine(line)
		bare := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case err != nil:
			if !strings.HasPrefix(err.Error(), "unknown command ") {
				t.Errorf("ParseLine(%q) error %q does not start with \"unknown command \"", line, err)
			}
		case cmd.Op == echo.OpSend:
			if cmd.Text != bare {
				t.Errorf("ParseLine(%q) sends %q, want %q", line, cmd.Text, bare)
			}
		default:
			if f := strings.Fields(bare); len(f) == 0 || f[0] != cmd.Op.String() {
				t.Errorf("ParseLine(%q) = %v, but the first word is not %q", line, cmd, cmd.Op)
			}
			if cmd.Op == echo.OpLinger && cmd.Linger > time.Hour {
				t.Errorf("ParseLine(%q) linger %s beyond the bound", line, cmd.Linger)
			}
		}
	})
}
