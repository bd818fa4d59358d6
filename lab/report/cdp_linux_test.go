package report_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: commands on fd 3, replies and events on
// fd 4, each a JSON object ended by a NUL byte). A pipe, not a port: no
// listening socket, nothing another process could attach to, and every
// event of the page reaches the test — console messages, exceptions,
// network requests — instead of being scraped from a log.
type browser struct {
	cmd     *exec.Cmd
	w       *os.File
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan reply
	events  chan event
	session string
	done    chan struct{}
	stderr  strings.Builder
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type event struct {
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	SessionID string          `json:"sessionId"`
}

// chromiumPath finds the browser: Debian's chromium, or another name.
func chromiumPath() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func startBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	path := chromiumPath()
	requireChromium(t, path != "")
	cmdR, cmdW, err := os.Pipe() // we write commands, chromium reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe() // chromium writes fd 4, we read
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, path,
		"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio",
		// The tests may reach loopback only: the browser's own traffic
		// (updates, safe browsing) goes to a closed port and resolves no
		// name; loopback bypasses the proxy, as Chromium does by default.
		"--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	b := &browser{cmd: cmd, w: cmdW, waiting: map[int]chan reply{}, events: make(chan event, 1<<16), done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{b: &b.stderr, mu: &b.mu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	t.Cleanup(func() { b.close(t) })
	return b
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// read dispatches chromium's messages until the pipe closes.
func (b *browser) read(r *os.File) {
	defer close(b.done)
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			reply
			event
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.waiting[m.ID]
			delete(b.waiting, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m.reply
			}
			continue
		}
		// Blocking, never dropping: a lost console error would pass a
		// broken page. The buffer holds far more than a page load makes.
		b.events <- m.event
	}
}

// call sends a command (to the attached page when session is set) and
// waits for its reply.
func (b *browser) call(ctx context.Context, method string, params any, out any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" && !strings.HasPrefix(method, "Target.") && !strings.HasPrefix(method, "Browser.") {
		msg["sessionId"] = b.session
	}
	raw, _ := json.Marshal(msg)
	_, err := b.w.Write(append(raw, 0))
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: chromium exited: %s", method, b.stderrText())
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) stderrText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

// page opens a tab, attaches to it and turns on the domains whose events
// the checks read.
func (b *browser) page(ctx context.Context, width, height int) error {
	var tgt struct{ TargetID string }
	if err := b.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &tgt); err != nil {
		return err
	}
	var att struct{ SessionID string }
	if err := b.call(ctx, "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}, &att); err != nil {
		return err
	}
	b.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := b.call(ctx, m, map[string]any{}, nil); err != nil {
			return err
		}
	}
	return b.call(ctx, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
}

// load navigates to url and waits for its load event; it returns what
// went wrong on the way: console errors, exceptions, log errors, and every
// request for something other than the file itself.
func (b *browser) load(ctx context.Context, url string) (problems []string, err error) {
	b.drain(url, &problems) // events of about:blank
	problems = nil
	if err := b.call(ctx, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return nil, err
	}
	for {
		select {
		case e := <-b.events:
			if e.SessionID != b.session {
				continue
			}
			if e.Method == "Page.loadEventFired" {
				// Events of the page's scripts run before load; a last
				// evaluate is a barrier for anything still queued.
				if err := b.call(ctx, "Runtime.evaluate", map[string]any{"expression": "1"}, nil); err != nil {
					return nil, err
				}
				b.drain(url, &problems)
				return problems, nil
			}
			problems = append(problems, b.problem(e, url)...)
		case <-b.done:
			return nil, errors.New("chromium exited: " + b.stderrText())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// drain collects the problems of the events already received.
func (b *browser) drain(url string, problems *[]string) {
	for {
		select {
		case e := <-b.events:
			if e.SessionID == b.session {
				*problems = append(*problems, b.problem(e, url)...)
			}
		default:
			return
		}
	}
}

// problem says what is wrong with one event, if anything.
func (b *browser) problem(e event, url string) []string {
	var p struct {
		Type      string                            `json:"type"`
		Args      []struct{ Value any }             `json:"args"`
		Entry     struct{ Level, Text, URL string } `json:"entry"`
		Request   struct{ URL string }              `json:"request"`
		Exception struct {
			Text      string                       `json:"text"`
			Exception struct{ Description string } `json:"exception"`
		} `json:"exceptionDetails"`
	}
	_ = json.Unmarshal(e.Params, &p)
	switch e.Method {
	case "Runtime.consoleAPICalled":
		if p.Type == "error" || p.Type == "assert" || p.Type == "warning" {
			return []string{fmt.Sprintf("console.%s: %v", p.Type, p.Args)}
		}
	case "Runtime.exceptionThrown":
		return []string{"exception: " + p.Exception.Text + " " + p.Exception.Exception.Description}
	case "Log.entryAdded":
		if p.Entry.Level == "error" || p.Entry.Level == "warning" {
			return []string{"log " + p.Entry.Level + ": " + p.Entry.Text + " " + p.Entry.URL}
		}
	case "Network.requestWillBeSent":
		if p.Request.URL != url && p.Request.URL != "about:blank" {
			return []string{"request: " + p.Request.URL}
		}
	}
	return nil
}

// eval runs a JavaScript expression in the page and decodes its value.
func (b *browser) eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
	}
	if err := b.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s", expr, r.ExceptionDetails.Text)
	}
	return json.Unmarshal(r.Result.Value, out)
}

// screenshot captures a rectangle of the page (beyond the viewport too)
// as PNG.
func (b *browser) screenshot(ctx context.Context, x, y, w, h float64) ([]byte, error) {
	var r struct{ Data string }
	err := b.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": x, "y": y, "width": w, "height": h, "scale": 1}}, &r)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// close asks chromium to quit, and kills it if it does not.
func (b *browser) close(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.call(ctx, "Browser.close", map[string]any{}, nil)
	b.w.Close()
	select {
	case <-b.done:
	case <-ctx.Done():
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	_ = b.cmd.Wait()
}
