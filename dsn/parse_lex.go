package dsn

import (
	"bytes"
	"strings"
)

// This file holds the lexical helpers Parse shares between message headers
// and the delivery-status body: line splitting, unfolding, RFC 822 comments.

// trimEOL removes a trailing LF or CRLF: real-world bounces use either.
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// isWSP reports RFC 5322 WSP (space and tab).
func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// isBlank reports whether a line holds only whitespace: RFC 3464 §2.1 groups
// are separated by blank lines, and some MTAs leave spaces on them.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// splitField splits "Name: value" into a field name that follows RFC 5322
// §3.6.8 (printable ASCII but colon) and the raw value. ok is false for a
// line that is no header field, such as an mbox "From " line.
func splitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	// Some writers put WSP before the colon (RFC 822 allowed it).
	name = bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return nil, nil, false
		}
	}
	return name, line[i+1:], true
}

// unfold removes the line breaks of a folded field value in place and keeps
// the whitespace after each (RFC 5322 §2.2.3), then trims the value.
func unfold(v []byte) []byte {
	if bytes.IndexByte(v, '\n') >= 0 {
		w := 0
		for _, c := range v {
			if c != '\r' && c != '\n' {
				v[w] = c
				w++
			}
		}
		v = v[:w]
	}
	return bytes.TrimSpace(v)
}

// stripComments removes RFC 822 comments (RFC 5322 §3.2.2: nested
// parentheses, backslash quoting) outside quoted strings and collapses the
// whitespace they leave. It also returns the text of the first comment:
// "dns; helo (192.0.2.1)" carries the client's address there.
func stripComments(s string) (plain, comment string) {
	if strings.IndexByte(s, '(') < 0 {
		return strings.TrimSpace(s), ""
	}
	var b strings.Builder
	depth, start := 0, -1
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case depth == 0 && c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case !quoted && c == '(':
			if depth == 0 {
				start = i + 1
			}
			depth++
		case !quoted && c == ')' && depth > 0:
			depth--
			if depth == 0 && start >= 0 {
				if comment == "" {
					comment = strings.TrimSpace(s[start:i])
				}
				start = -1
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return strings.Join(strings.Fields(b.String()), " "), comment
}

// splitTyped splits a typed value "type; text" (RFC 3464 §2.1: address-type,
// mta-name-type, diagnostic-type) into its type atom, lowercased because type
// names are case-insensitive, and the trimmed text. ok is false when there
// is no semicolon.
func splitTyped(v string) (typ, text string, ok bool) {
	typ, text, ok = strings.Cut(v, ";")
	if !ok {
		return "", strings.TrimSpace(v), false
	}
	return strings.ToLower(strings.TrimSpace(typ)), strings.TrimSpace(text), true
}
