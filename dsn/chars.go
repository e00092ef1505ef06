package dsn

import "strings"

// This file holds the character classes the checks and the readers share.

// isCtl reports an ASCII control (C0 or DEL): on a header line CR or LF
// would start a new field (RFC 5322 §2.2), and none is text.
func isCtl(c byte) bool { return c < ' ' || c == 0x7f }

// isControl reports the characters RFC 6855 §3 keeps out of names: the C0
// and C1 controls, DEL, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH
// SEPARATOR. None may reach a header line: CR or LF would start a new
// field there, and a reader may take NEL (U+0085) or a separator for a
// line break too.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x2028 || r == 0x2029
}

// checkControls refuses a character of s, valid UTF-8, that isControl
// reports; rule names the RFC section broken.
func checkControls(field, s, rule string) error {
	for _, r := range s {
		if isControl(r) {
			return controlError(field, r, rule)
		}
	}
	return nil
}

// controlError refuses a character isControl reports, naming it.
func controlError(field string, r rune, rule string) error {
	kind := "control character "
	if r > 0xff {
		kind = "line or paragraph separator "
	}
	return fieldError(field, kind+runeHex(r)+" not allowed ("+rule+")")
}

// indexNotPrintable returns the index of the first byte of s that is not
// printable ASCII (space to "~"), or -1.
func indexNotPrintable(s string) int {
	for i := 0; i < len(s); i++ {
		if isCtl(s[i]) || s[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// isAtext reports the atext of RFC 5322 §3.2.3, with UTF-8 bytes when
// utf8OK (RFC 6532 §3.2).
func isAtext(c byte, utf8OK bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 || c >= 0x80 && utf8OK
}

// isDotAtom reports whether s is a dot-atom-text (RFC 5322 §3.2.3): atoms
// of atext joined by single dots.
func isDotAtom(s string, utf8OK bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i], utf8OK) {
			return false
		}
	}
	return true
}

// unbracket removes the angle brackets around a path or message id
// (RFC 5321 §4.1.2, RFC 5322 §3.6.4), when both are there.
func unbracket(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}
