package dsn

import (
	"strings"
	"unicode/utf8"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// EncodeUTF8Addr encodes an address for the "utf-8" address type in its
// 7-bit form, utf-8-addr-xtext (RFC 6533 §3): printable ASCII other than
// "\", "+" and "=" stands for itself, every other character becomes
// "\x{HEX}" with uppercase hex digits. The result is safe in an ORCPT
// parameter and in message/delivery-status. s should be valid UTF-8: an
// invalid byte is encoded as U+FFFD.
func EncodeUTF8Addr(s string) string {
	return string(appendUTF8Addr(make([]byte, 0, len(s)), s, false))
}

// appendUTF8Addr appends s as utf-8-addr-xtext, or with unitext as the
// utf-8-addr-unitext of message/global-delivery-status, where UTF-8 other
// than controls stands for itself (RFC 6533 §3, QUCHAR). Either way a "\"
// of the address is escaped, so it never reads back as an escape.
func appendUTF8Addr(b []byte, s string, unitext bool) []byte {
	for _, r := range s {
		if !escapesRune(r, unitext) {
			b = utf8.AppendRune(b, r)
			continue
		}
		b = append(b, `\x{`...)
		b = appendHexRune(b, r)
		b = append(b, '}')
	}
	return b
}

// utf8AddrLen is the length of appendUTF8Addr's output, without writing it.
func utf8AddrLen(s string, unitext bool) int {
	n := 0
	for _, r := range s {
		if escapesRune(r, unitext) {
			n += len(`\x{}`) + 2 // appendHexRune's two digits, and more:
			for v := uint32(r) >> 8; v > 0; v >>= 4 {
				n++
			}
		} else {
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// escapesRune reports whether r is written as "\x{HEX}" (RFC 6533 §3).
func escapesRune(r rune, unitext bool) bool {
	if r < 0x80 {
		return !isQchar(byte(r))
	}
	return !unitext || mailsyntax.IsControl(r)
}

// isUTF8Type reports whether a is written with the utf-8 address type
// (RFC 6533 §3): it has that type, or it is an rfc822 address holding
// UTF-8, which an rfc822 address cannot (RFC 3464 §2.3.2).
func isUTF8Type(a Address) bool {
	switch {
	case strings.EqualFold(a.Type, "utf-8"):
		return true
	case a.Type == "" || strings.EqualFold(a.Type, "rfc822"):
		return !mailsyntax.IsASCII(a.Addr)
	}
	return false
}

// isQchar reports whether c is a QCHAR of RFC 6533 §3: printable ASCII
// except "\", "+" and "=".
func isQchar(c byte) bool { return isXchar(c) && c != '\\' }

// appendHexRune appends r in uppercase hex, at least two digits.
func appendHexRune(b []byte, r rune) []byte {
	var buf [8]byte
	i := len(buf)
	for v := uint32(r); v > 0 || i > len(buf)-2; v >>= 4 {
		i--
		buf[i] = upperHex[v&0xf]
	}
	return append(b, buf[i:]...)
}

// DecodeUTF8Addr decodes an address of the "utf-8" address type in any of
// its forms (RFC 6533 §3): "\x{HEX}" escapes become the character they
// name and raw UTF-8 is kept. It rejects malformed escapes, invalid UTF-8,
// surrogates, control characters and the line and paragraph separators
// U+2028 and U+2029.
func DecodeUTF8Addr(s string) (string, error) {
	return decodeUTF8Addr("utf-8 address", s)
}

func decodeUTF8Addr(field, s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], `\x{`) {
			end := strings.IndexByte(s[i:], '}')
			r, ok := hexRune(s[i+3 : i+max(end, 3)])
			if end < 0 || !ok {
				return "", fieldError(field, `malformed \x{HEX} escape (RFC 6533 §3)`)
			}
			if mailsyntax.IsControl(r) {
				return "", controlError(field, r, "RFC 6533 §3")
			}
			b.WriteRune(r)
			i += end + 1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return "", fieldError(field, "invalid UTF-8 (RFC 6533 §3)")
		}
		if mailsyntax.IsControl(r) {
			return "", controlError(field, r, "RFC 6533 §3")
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String(), nil
}

// hexRune parses the HEXPOINT of RFC 6533 §3: 1 to 6 hex digits naming a
// Unicode scalar value.
func hexRune(h string) (rune, bool) {
	if len(h) == 0 || len(h) > 6 {
		return 0, false
	}
	var r rune
	for i := 0; i < len(h); i++ {
		d, ok := unhex(h[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, utf8.ValidRune(r) && r != 0
}
