package mailsyntax

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// IsWSP reports RFC 5322 WSP: space and tab.
func IsWSP(c byte) bool { return c == ' ' || c == '\t' }

// IsCtl reports an ASCII control (C0 or DEL): on a header line CR or LF
// would start a new field (RFC 5322 §2.2), and none is text.
func IsCtl(c byte) bool { return c < ' ' || c == 0x7f }

// IsControl reports the characters RFC 6855 §3 keeps out of names: the C0
// and C1 controls, DEL, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH
// SEPARATOR. None may reach a header line: CR or LF would start a new
// field there, and a reader may take NEL (U+0085) or a separator for a
// line break too.
func IsControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x2028 || r == 0x2029
}

// IndexControl returns the index of the first character of s that
// IsControl reports, or -1.
func IndexControl(s string) int { return strings.IndexFunc(s, IsControl) }

// IndexNotPrintable returns the index of the first byte of s that is not
// printable ASCII (space to "~"), or -1.
func IndexNotPrintable(s string) int {
	for i := 0; i < len(s); i++ {
		if IsCtl(s[i]) || s[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// IsASCII reports whether s holds only ASCII. Byte slices, which may be a
// whole header or body, are checked 32 bytes at a time, then eight.
func IsASCII[T string | []byte](s T) bool {
	const highBits = 0x8080808080808080
	if b, ok := any(s).([]byte); ok {
		le := binary.LittleEndian
		for ; len(b) >= 32; b = b[32:] {
			if (le.Uint64(b)|le.Uint64(b[8:])|le.Uint64(b[16:])|le.Uint64(b[24:]))&highBits != 0 {
				return false
			}
		}
		for ; len(b) >= 8; b = b[8:] {
			if le.Uint64(b)&highBits != 0 {
				return false
			}
		}
		s = T(b)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// IsAtext reports the atext of RFC 5322 §3.2.3, with UTF-8 bytes when
// utf8OK (RFC 6532 §3.2).
func IsAtext(c byte, utf8OK bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 || c >= 0x80 && utf8OK
}

// IsDotAtom reports whether s is a dot-atom-text (RFC 5322 §3.2.3): atoms
// of atext joined by single dots.
func IsDotAtom(s string, utf8OK bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !IsAtext(s[i], utf8OK) {
			return false
		}
	}
	return true
}

// Unbracket removes the angle brackets around a path or message id
// (RFC 5321 §4.1.2, RFC 5322 §3.6.4), when both are there.
func Unbracket(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// CheckControls refuses a character of s, valid UTF-8, that IsControl
// reports; rule names the RFC section broken.
func CheckControls(s, rule string) error {
	if i := IndexControl(s); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return ControlError(r, rule)
	}
	return nil
}

// ControlError refuses r, a character IsControl reports, naming it.
func ControlError(r rune, rule string) error {
	if r > 0xff {
		return fmt.Errorf("line or paragraph separator %U not allowed (%s)", r, rule)
	}
	return fmt.Errorf("control character %#02x not allowed (%s)", r, rule)
}
