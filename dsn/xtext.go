package dsn

import "strings"

const upperHex = "0123456789ABCDEF"

// EncodeXtext encodes s as xtext (RFC 3461 §4): bytes outside "!" to "~",
// and "+" and "=", become "+" and two uppercase hex digits.
func EncodeXtext(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isXchar(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isXchar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('+')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	return b.String()
}

// isXchar reports whether c stands for itself in xtext (RFC 3461 §4).
func isXchar(c byte) bool { return c >= '!' && c <= '~' && c != '+' && c != '=' }

// DecodeXtext decodes xtext (RFC 3461 §4). It rejects characters outside
// "!" to "~" and a "+" not followed by two hex digits; it accepts lowercase
// hex digits, which some senders write, and a literal "=".
func DecodeXtext(s string) (string, error) {
	return decodeXtext("xtext", s)
}

// decodeXtext is DecodeXtext with the field name errors should carry.
func decodeXtext(field, s string) (string, error) {
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' {
			return "", fieldError(field, "character "+byteHex(c)+" outside ! to ~ (RFC 3461 §4)")
		}
		plus = plus || c == '+'
	}
	if !plus {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '+' {
			b.WriteByte(c)
			continue
		}
		// RFC 3461 §4: hexchar = "+" 2(HEXDIG).
		if i+2 >= len(s) {
			return "", fieldError(field, "truncated + escape (RFC 3461 §4)")
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fieldError(field, "+ not followed by two hex digits (RFC 3461 §4)")
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// byteHex formats c as "0x0a" for error messages.
func byteHex(c byte) string {
	const lowerHex = "0123456789abcdef"
	return string([]byte{'0', 'x', lowerHex[c>>4], lowerHex[c&0xf]})
}
