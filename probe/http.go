package probe

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Head is the head of an HTTP/1.x response, as far as the probe needs it.
type Head struct {
	Status        int
	Len           int   // bytes of the head, the blank line included
	ContentLength int64 // -1 when not declared
	Chunked       bool
	Close         bool // "Connection: close"
}

// maxHead bounds a response head: beyond it the answer is not HTTP as a
// server would send it.
const maxHead = 64 << 10

// errIncomplete is ParseHead's answer when b holds only part of a head.
var errIncomplete = errors.New("incomplete response head")

// ParseHead parses the response head at the start of b. It returns
// errIncomplete when more bytes are needed, and an error wrapping
// ErrNotHTTP when b cannot start an HTTP/1.x response.
func ParseHead(b []byte) (Head, error) {
	if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("HTTP/")[:n]) {
		return Head{}, fmt.Errorf("answer starts with %q: %w", clip(b, 16), ErrNotHTTP)
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) >= maxHead {
			return Head{}, fmt.Errorf("response head longer than %d bytes: %w", maxHead, ErrNotHTTP)
		}
		return Head{}, errIncomplete
	}
	lines := strings.Split(string(b[:end]), "\r\n")
	h := Head{Len: end + 4, ContentLength: -1}
	if err := h.statusLine(lines[0]); err != nil {
		return Head{}, err
	}
	for _, l := range lines[1:] {
		if err := h.field(l); err != nil {
			return Head{}, err
		}
	}
	return h, nil
}

func (h *Head) statusLine(l string) error {
	proto, rest, _ := strings.Cut(l, " ")
	code, _, _ := strings.Cut(rest, " ")
	if proto != "HTTP/1.0" && proto != "HTTP/1.1" {
		return fmt.Errorf("status line %q: %w", clip([]byte(l), 40), ErrNotHTTP)
	}
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || n < 100 {
		return fmt.Errorf("status line %q: %w", clip([]byte(l), 40), ErrNotHTTP)
	}
	h.Status = n
	h.Close = proto == "HTTP/1.0"
	return nil
}

func (h *Head) field(l string) error {
	name, value, ok := strings.Cut(l, ":")
	if !ok {
		return fmt.Errorf("header line %q has no colon: %w", clip([]byte(l), 40), ErrNotHTTP)
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(name) {
	case "content-length":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 || n > 1<<50 {
			return fmt.Errorf("Content-Length %q: %w", clip([]byte(value), 20), ErrNotHTTP)
		}
		h.ContentLength = n
	case "transfer-encoding":
		h.Chunked = strings.Contains(strings.ToLower(value), "chunked")
	case "connection":
		h.Close = strings.EqualFold(value, "close")
	}
	return nil
}

// Size is the response's whole size (head + declared body), or -1 when the
// body's length is not declared (chunked, or up to the server's FIN).
func (h *Head) Size() int64 {
	switch {
	case h.Status == 204 || h.Status == 304:
		return int64(h.Len)
	case h.Chunked || h.ContentLength < 0:
		return -1
	}
	return int64(h.Len) + h.ContentLength
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// reqOpts shapes one request.
type reqOpts struct {
	method string // default GET
	path   string
	close  bool  // "Connection: close"
	pad    int   // bytes of padding headers, so that one read cannot take the request whole
	body   int64 // declared Content-Length (the body is sent separately)
}

// request builds an HTTP/1.1 request.
func (t *target) request(o reqOpts) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: teardown-probe\r\n", orDefault(o.method, "GET"), o.path, t.host)
	for _, h := range t.cfg.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	if o.body > 0 {
		fmt.Fprintf(&b, "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n", o.body)
	}
	if o.close {
		b.WriteString("Connection: close\r\n")
	}
	padHeaders(&b, o.pad)
	b.WriteString("\r\n")
	return b.Bytes()
}

// padHeaders adds X-Teardown-Pad-N lines of at most 1000 bytes each (every
// server tried accepts lines that long; nginx's default limit is 8 KiB per
// line, Node's 16 KiB for the whole head).
func padHeaders(b *bytes.Buffer, n int) {
	for i := 0; n > 0; i++ {
		line := fmt.Sprintf("X-Teardown-Pad-%d: ", i)
		fill := max(1, min(1000, n)-len(line)-2)
		b.WriteString(line + strings.Repeat("x", fill) + "\r\n")
		n -= len(line) + fill + 2
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
