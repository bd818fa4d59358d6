package probe

import "errors"

// chunks follows a chunked body (RFC 9112 §7.1) byte by byte, only to know
// where it ends: a reply without Content-Length is whole when its
// last-chunk and trailer section have arrived.
type chunks struct {
	state int
	size  int64 // digits of the current chunk-size line, then bytes left of its data
	line  int   // bytes of the current trailer line
	err   error
}

const (
	chSize    = iota // chunk-size digits
	chExt            // chunk extensions, up to CR LF
	chData           // chunk data
	chDataCR         // CR LF after the data
	chDataLF         //
	chTrailer        // trailer lines after the last chunk, up to an empty line
	chDone
)

var errChunked = errors.New("malformed chunked body")

// feed consumes b and returns the bytes it used (all of them unless the
// body ended inside b).
func (c *chunks) feed(b []byte) int {
	for i := 0; i < len(b); i++ {
		if c.state == chData {
			n := min(int64(len(b)-i), c.size)
			c.size -= n
			i += int(n) - 1
			if c.size == 0 {
				c.state = chDataCR
			}
			continue
		}
		c.step(b[i])
		if c.state == chDone || c.err != nil {
			return i + 1
		}
	}
	return len(b)
}

func (c *chunks) step(x byte) {
	switch c.state {
	case chSize:
		c.sizeDigit(x)
	case chExt:
		if x == '\n' {
			c.endSizeLine()
		}
	case chDataCR:
		c.expect(x, '\r', chDataLF)
	case chDataLF:
		c.expect(x, '\n', chSize)
	case chTrailer:
		c.trailer(x)
	}
}

func (c *chunks) sizeDigit(x byte) {
	switch v := hexVal(x); {
	case v >= 0 && c.size < 1<<55:
		c.size = c.size<<4 | int64(v)
	case x == ';' || x == ' ' || x == '\t' || x == '\r':
		c.state = chExt
	case x == '\n':
		c.endSizeLine()
	default:
		c.err = errChunked
	}
}

func (c *chunks) endSizeLine() {
	if c.size == 0 {
		c.state, c.line = chTrailer, 0
		return
	}
	c.state = chData
}

func (c *chunks) trailer(x byte) {
	switch {
	case x == '\n' && c.line == 0:
		c.state = chDone
	case x == '\n':
		c.line = 0
	case x != '\r':
		c.line++
	}
}

func (c *chunks) expect(x, want byte, next int) {
	if x != want {
		c.err = errChunked
		return
	}
	c.state = next
}

func (c *chunks) done() bool { return c.state == chDone }

func hexVal(x byte) int {
	switch {
	case x >= '0' && x <= '9':
		return int(x - '0')
	case x >= 'a' && x <= 'f':
		return int(x-'a') + 10
	case x >= 'A' && x <= 'F':
		return int(x-'A') + 10
	}
	return -1
}
