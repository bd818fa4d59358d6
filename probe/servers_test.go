package probe_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpteardown/teardown/internal/testenv"
	"github.com/tcpteardown/teardown/server"
)

// largeSize is the reply the checks need in flight: 300 KiB, as in the
// measurements of issue 15.
const largeSize = 300 << 10

var small = []byte("hello from the probe's test server\n")

// listen opens a loopback listener on plain TCP (no MPTCP, ARCHITECTURE.md).
func listen(t testing.TB) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// body is what the test servers serve at a path: /large is 300 KiB.
func body(path string) []byte {
	if path == "/large" {
		return []byte(strings.Repeat("x", largeSize))
	}
	return small
}

// startNetHTTP serves with Go's net/http in-process, with Content-Length.
func startNetHTTP(t *testing.T) string {
	l := listen(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body(r.URL.Path)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

// startOwnServer serves a minimal HTTP/1.1 (one request per connection,
// "Connection: close") on this module's server package, whose close path
// lingers: FIN, then read and discard until the client's FIN.
func startOwnServer(t *testing.T) string { return startOwnServerB(t) }

func startOwnServerB(t testing.TB) string {
	l := listen(t)
	srv := &server.Server{Handler: server.HandlerFunc(ownHandler)}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

// ownHandler answers one request with "Connection: close".
func ownHandler(ctx context.Context, c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	path, ok := readRequestHead(bufio.NewReader(c))
	if !ok {
		return
	}
	b := body(path)
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(b))
	c.Write(b)
}

// readRequestHead reads one request head (a body, if any, is left unread)
// and returns its path.
func readRequestHead(r *bufio.Reader) (string, bool) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", false
	}
	f := strings.Fields(line)
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		if l == "\r\n" {
			break
		}
	}
	if len(f) < 2 {
		return "", false
	}
	return f[1], true
}

// docroot writes index.html and large into a temporary directory.
func docroot(t *testing.T) string {
	dir := t.TempDir()
	for name, b := range map[string][]byte{"index.html": small, "large": body("/large")} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tool finds a program the test needs: skips locally, fails under CI=true.
func tool(t *testing.T, name string, alt ...string) string {
	t.Helper()
	for _, p := range append([]string{name}, alt...) {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testenv.Require(t, false, name+" is not installed (apt-get install "+map[string]string{"nginx": "nginx-light", "node": "nodejs", "python3": "python3"}[name]+")")
	return ""
}

// freePort picks a loopback port nobody listens on, for servers that take
// their port from a file or the command line.
func freePort(t *testing.T) string {
	l := listen(t)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startProcess runs a server and kills it when the test ends.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

// waitListening waits until addr accepts a connection: the servers started
// as processes say nothing when they are ready. Bounded at 10 s.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on %s never listened: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startPython runs `python3 -m http.server` on a docroot; it prints a line
// once it listens.
func startPython(t *testing.T) string {
	py := tool(t, "python3")
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(py, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", docroot(t), port)
	waitLine(t, cmd, "Serving HTTP")
	return addr
}

// waitLine starts cmd and waits for a line of its stdout that contains want.
func waitLine(t *testing.T, cmd *exec.Cmd, want string) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startProcess(t, cmd)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				lines <- sc.Text()
				break
			}
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("%s exited before saying %q", cmd.Path, want)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not say %q within 10 s", cmd.Path, want)
	}
	return ""
}

// nodeServer is Node's http module with Content-Length on every reply.
const nodeServer = `
const http = require('http');
const small = Buffer.from(process.argv[1]);
const large = Buffer.alloc(300 * 1024, 'x');
const srv = http.createServer((req, res) => {
  const b = req.url === '/large' ? large : small;
  res.setHeader('Content-Length', b.length);
  res.end(b);
});
srv.listen(0, '127.0.0.1', () => console.log('listening ' + srv.address().port));
`

func startNode(t *testing.T) string {
	node := tool(t, "node", "nodejs")
	cmd := exec.Command(node, "-e", nodeServer, string(small))
	line := waitLine(t, cmd, "listening ")
	return "127.0.0.1:" + strings.TrimPrefix(line, "listening ")
}

// startNginx runs nginx from a config written here, in the foreground,
// with lingering_close set to mode.
func startNginx(t *testing.T, mode string) string {
	bin := tool(t, "nginx", "/usr/sbin/nginx")
	dir, root := t.TempDir(), docroot(t)
	addr := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  lingering_close %[2]s;
  server { listen %[3]s; root %[4]s; }
}
`, dir, mode, addr, root)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log")))
	waitListening(t, addr)
	return addr
}
