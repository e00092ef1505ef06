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
