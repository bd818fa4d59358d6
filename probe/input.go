package probe

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Unescape turns the text of -send into bytes: Go's escapes (\r \n \t \\
// \" \xNN \uNNNN \NNN) are decoded, every other character is kept as is.
func Unescape(s string) ([]byte, error) {
	var out []byte
	for len(s) > 0 {
		if strings.HasPrefix(s, `\"`) || strings.HasPrefix(s, `\'`) {
			out, s = append(out, s[1]), s[2:]
			continue
		}
		r, multi, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return nil, fmt.Errorf("bad escape at %q: use Go escapes such as \\r\\n, \\x00, \\\\", clip([]byte(s), 8))
		}
		if multi || r >= 0x80 && !strings.HasPrefix(s, `\x`) && !isOctal(s) {
			out = append(out, string(r)...)
		} else {
			out = append(out, byte(r))
		}
		s = tail
	}
	if len(out) == 0 {
		return nil, errors.New("empty -send text")
	}
	return out, nil
}

// isOctal reports whether s starts with a \NNN escape (a byte, not a rune).
func isOctal(s string) bool { return len(s) > 1 && s[0] == '\\' && s[1] >= '0' && s[1] <= '7' }

// ParseHeader parses one -header value, "Name: value". The name must be an
// HTTP token and neither part may hold CR or LF, so that a header cannot
// smuggle a line into the request.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, fmt.Errorf("header %q: want \"Name: value\"", clip([]byte(s), 40))
	}
	value = strings.TrimSpace(value)
	if name == "" || strings.IndexFunc(name, notToken) >= 0 {
		return Header{}, fmt.Errorf("header name %q: only letters, digits and !#$%%&'*+-.^_`|~ are allowed", clip([]byte(name), 40))
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return Header{}, fmt.Errorf("header %s: the value may not contain CR, LF or NUL", name)
	}
	return Header{Name: name, Value: value}, nil
}

// notToken reports whether r may not appear in an HTTP token (RFC 9110 §5.6.2).
func notToken(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	case r < 0x80 && strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		return false
	}
	return true
}

// validPath accepts an origin-form request target: it starts with "/" and
// holds no space or control character (it goes verbatim on the request line).
func validPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return fmt.Errorf("path %q: want an absolute path such as /index.html, without spaces or control characters", clip([]byte(p), 40))
	}
	return nil
}
