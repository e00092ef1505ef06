package mailsyntax

import "strings"

// IsMsgID reports whether id, a message identifier without its angle
// brackets, is id-left "@" id-right (RFC 5322 §3.6.4): a dot-atom-text,
// then a dot-atom-text or a no-fold-literal; with utf8OK, the dot-atoms
// may hold UTF-8 (RFC 6532 §3.2), which the caller checks for validity.
func IsMsgID(id string, utf8OK bool) bool {
	left, right, ok := strings.Cut(id, "@")
	return ok && IsDotAtom(left, utf8OK) && (IsDotAtom(right, utf8OK) || isNoFoldLiteral(right))
}

// isNoFoldLiteral reports whether s is "[" *dtext "]" (RFC 5322 §3.6.4).
func isNoFoldLiteral(s string) bool {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; c < '!' || c > '~' || c == '[' || c == ']' || c == '\\' {
			return false
		}
	}
	return true
}
