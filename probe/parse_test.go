package probe_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcpteardown/teardown/probe"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want probe.Head
		size int64
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", probe.Head{Status: 200, Len: 38, ContentLength: 5}, 43},
		{"close", "HTTP/1.1 404 Not Found\r\nconnection: Close\r\ncontent-length: 0\r\n\r\n", probe.Head{Status: 404, Len: 64, ContentLength: 0, Close: true}, 64},
		{"http/1.0 closes", "HTTP/1.0 200 OK\r\n\r\n", probe.Head{Status: 200, Len: 19, ContentLength: -1, Close: true}, -1},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", probe.Head{Status: 200, Len: 47, ContentLength: -1, Chunked: true}, -1},
		{"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", probe.Head{Status: 304, Len: 49, ContentLength: 99}, 49},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probe.ParseHead([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if s := got.Size(); s != tt.size {
				t.Errorf("Size() = %d, want %d", s, tt.size)
			}
		})
	}
}

func TestParseHeadNotHTTP(t *testing.T) {
	for _, in := range []string{"SSH-2.0-OpenSSH_9.6\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "H\x00"} {
		if _, err := probe.ParseHead([]byte(in)); !errors.Is(err, probe.ErrNotHTTP) {
			t.Errorf("ParseHead(%q) = %v, want ErrNotHTTP", in, err)
		}
	}
	if _, err := probe.ParseHead([]byte("HTTP/1.1 200 OK\r\nServer: x")); err == nil || errors.Is(err, probe.ErrNotHTTP) {
		t.Errorf("a partial head: err %v, want the incomplete error", err)
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`GET / HTTP/1.0\r\n\r\n`, "GET / HTTP/1.0\r\n\r\n"},
		{`a\x00b\\c`, "a\x00b\\c"},
		{`say \"hi\" and 'bye'`, `say "hi" and 'bye'`},
		{`\377\u00e9é`, "\xffé" + "é"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		got, err := probe.Unescape(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `\q`, `\x1`, `trailing\`} {
		if _, err := probe.Unescape(bad); err == nil {
			t.Errorf("Unescape(%q): no error", bad)
		}
	}
}

func TestParseHeader(t *testing.T) {
	got, err := probe.ParseHeader("X-Api-Key:  secret ")
	if err != nil || got != (probe.Header{Name: "X-Api-Key", Value: "secret"}) {
		t.Errorf("ParseHeader = %+v, %v", got, err)
	}
	for _, bad := range []string{"novalue", ": x", "Bad Name: x", "X: a\r\nInjected: 1", "X: a\nb", "Ü: x"} {
		if _, err := probe.ParseHeader(bad); err == nil {
			t.Errorf("ParseHeader(%q): no error", bad)
		}
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.0 404 x\r\nConnection: close\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := probe.ParseHead(b)
		if err != nil {
			return
		}
		if h.Len > len(b) || h.Len < 4 || string(b[h.Len-4:h.Len]) != "\r\n\r\n" {
			t.Fatalf("Len %d does not end at the blank line of %q", h.Len, b)
		}
		if s := h.Size(); s != -1 && s < int64(h.Len) {
			t.Fatalf("Size %d < Len %d", s, h.Len)
		}
	})
}

// FuzzUnescape: text quoted the Go way comes back as the same bytes.
func FuzzUnescape(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("\xff\x00\"'\\é"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		q := strconv.Quote(string(b))
		got, err := probe.Unescape(q[1 : len(q)-1])
		if err != nil || string(got) != string(b) {
			t.Fatalf("Unescape(%s) = %q, %v; want %q", q, got, err, b)
		}
		_, _ = probe.Unescape(string(b)) // raw input: an error, never a panic
	})
}

// FuzzParseHeader: an accepted header can never add a line to a request.
func FuzzParseHeader(f *testing.F) {
	f.Add("X-A: b")
	f.Add("X: a\r\nY: b")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := probe.ParseHeader(s)
		if err == nil && strings.ContainsAny(h.Name+h.Value, "\r\n\x00:") && strings.ContainsAny(h.Name, ":\r\n") {
			t.Fatalf("ParseHeader(%q) = %+v", s, h)
		}
		if err == nil && strings.ContainsAny(h.Value, "\r\n\x00") {
			t.Fatalf("ParseHeader(%q) value holds a line break: %q", s, h.Value)
		}
	})
}
