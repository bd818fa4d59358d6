package probe

import (
	"testing"
)

func TestChunks(t *testing.T) {
	tests := []struct {
		name string
		in   string
		used int // bytes up to the end of the body; -1 when it has not ended
	}{
		{"two chunks", "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\nNEXT", 29},
		{"trailer", "A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", 28},
		{"unfinished", "5\r\nhel", -1},
		{"uppercase hex", "1F\r\n" + string(make([]byte, 31)) + "\r\n0\r\n\r\n", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for split := 0; split <= len(tt.in); split++ {
				var c chunks
				used := c.feed([]byte(tt.in[:split]))
				if !c.done() {
					used = split + c.feed([]byte(tt.in[split:]))
				}
				if !c.done() {
					used = -1
				}
				if used != tt.used {
					t.Fatalf("split at %d: used %d, want %d", split, used, tt.used)
				}
			}
		})
	}
	var c chunks
	c.feed([]byte("5\r\nhelloXX"))
	if c.err == nil {
		t.Error("data not followed by CRLF: no error")
	}
}

// FuzzChunks: a body fed in two pieces ends where it ends when fed whole.
func FuzzChunks(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), 3)
	f.Add([]byte("ffffffffffffffffff\r\n"), 1)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		var whole, parts chunks
		n := whole.feed(b)
		split = min(max(split, 0), len(b))
		m := parts.feed(b[:split])
		if !parts.done() && parts.err == nil {
			m = split + parts.feed(b[split:])
		}
		if whole.done() != parts.done() || whole.done() && n != m {
			t.Fatalf("%q split at %d: whole %v/%d, parts %v/%d", b, split, whole.done(), n, parts.done(), m)
		}
		if n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
	})
}
