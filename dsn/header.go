package dsn

import (
	"io"
	"strconv"
	"strings"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// Header is a message header as written: its fields in the order they
// came, names as written, values unfolded as net/mail gives them (each
// line trimmed, the lines joined by one space, RFC 5322 §2.2.3). The order
// matters to readers of trace fields: Received fields are prepended, one
// per hop, so the first is the last hop's (RFC 5321 §4.4).
type Header []Field

// Get returns the value of the first field named name, in any case
// (RFC 5322 §1.2.2), or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field named name, in any case, in
// order; nil when there is none.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// WriteTo writes the header as a message header: "Name: value" lines with
// CRLF, in order, and the empty line that ends a header (RFC 5322 §2.1),
// so that it can stand for the original's header, as in
// policy.OriginalBytes. A line over 998 octets is folded before spaces
// (RFC 5322 §2.1.1, §2.2.3); shorter ones are written as they are. A name
// that is no field name (RFC 5322 §3.6.8) or a value holding CR or LF,
// which would start another field, gives a *FieldError and nothing is
// written.
func (h Header) WriteTo(w io.Writer) (int64, error) {
	for i, f := range h {
		field := "Header[" + strconv.Itoa(i) + "]"
		if !isHeaderName(f.Name) {
			return 0, fieldError(field+".Name", quoteASCII(f.Name)+" is no field name: printable ASCII but colon (RFC 5322 §3.6.8)")
		}
		if strings.ContainsAny(f.Value, "\r\n") {
			return 0, fieldError(field+".Value", "CR or LF would start another field (RFC 5322 §2.2)")
		}
	}
	s := sink{w: w, buf: make([]byte, 4096)}
	var line []byte
	for _, f := range h {
		line = append(append(append(line[:0], f.Name...), ": "...), f.Value...)
		if len(line) <= maxLineLen {
			s.Write(line)
			s.WriteString("\r\n")
		} else {
			mailsyntax.WriteFolded(&s, line, len(f.Name)+1)
		}
	}
	s.WriteString("\r\n")
	err := s.flush()
	return s.n, err
}

// isHeaderName reports a field name of RFC 5322 §3.6.8: printable ASCII
// but colon, at least one character.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}
