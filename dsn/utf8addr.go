package dsn

import (
	"strings"
	"unicode/utf8"
)

// EncodeUTF8Addr encodes an address for the "utf-8" address type in its
// 7-bit form, utf-8-addr-xtext (RFC 6533 §3): printable ASCII other than
// "\", "+" and "=" stands for itself, every other character becomes
// "\x{HEX}" with uppercase hex digits. The result is safe in an ORCPT
// parameter and in message/delivery-status. s should be valid UTF-8: an
// invalid byte is encoded as U+FFFD.
func EncodeUTF8Addr(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < 0x80 && isQchar(byte(r)) {
			b.WriteByte(byte(r))
			continue
		}
		b.WriteString(`\x{`)
		writeHexRune(&b, r)
		b.WriteByte('}')
	}
	return b.String()
}

// isQchar reports whether c is a QCHAR of RFC 6533 §3: printable ASCII
// except "\", "+" and "=".
func isQchar(c byte) bool { return isXchar(c) && c != '\\' }

// writeHexRune writes r in uppercase hex, at least two digits.
func writeHexRune(b *strings.Builder, r rune) {
	var buf [8]byte
	i := len(buf)
	for v := uint32(r); v > 0 || i > len(buf)-2; v >>= 4 {
		i--
		buf[i] = upperHex[v&0xf]
	}
	b.Write(buf[i:])
}

// DecodeUTF8Addr decodes an address of the "utf-8" address type in any of
// its forms (RFC 6533 §3): "\x{HEX}" escapes become the character they
// name and raw UTF-8 is kept. It rejects malformed escapes, invalid UTF-8,
// surrogates and control characters.
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
			if isControl(r) {
				return "", fieldError(field, "control character "+runeHex(r)+" not allowed (RFC 6533 §3)")
			}
			b.WriteRune(r)
			i += end + 1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return "", fieldError(field, "invalid UTF-8 (RFC 6533 §3)")
		}
		if isControl(r) {
			return "", fieldError(field, "control character "+runeHex(r)+" not allowed (RFC 6533 §3)")
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

// isControl reports the C0 and C1 controls and DEL: none may reach a
// header line, where CR or LF would start a new field.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

func runeHex(r rune) string {
	if r < 0x100 {
		return byteHex(byte(r))
	}
	var b strings.Builder
	b.WriteString("U+")
	writeHexRune(&b, r)
	return b.String()
}
