package mailsyntax

import "strings"

// StripComments removes RFC 5322 §3.2.2 comments (nested parentheses,
// quoted pairs) outside quoted strings and collapses the white space they
// leave. It also returns the text of the first comment: "dns; helo
// (192.0.2.1)" carries the client's address there. An unclosed comment
// runs to the end.
func StripComments(s string) (plain, comment string) {
	if strings.IndexByte(s, '(') < 0 {
		return strings.TrimSpace(s), ""
	}
	var b strings.Builder
	quoted, found := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case c == '(' && !quoted:
			end, closed := commentEnd(s, i)
			if closed && !found {
				comment, found = strings.TrimSpace(s[i+1:end-1]), true
			}
			b.WriteByte(' ')
			i = end - 1
		default:
			b.WriteByte(c)
		}
	}
	return strings.Join(strings.Fields(b.String()), " "), comment
}

// SkipCFWS returns the index after the comments and folding white space
// (RFC 5322 §3.2.2) that start at s[i], and whether a comment ran to the
// end of s unclosed.
func SkipCFWS(s string, i int) (next int, unclosed bool) {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case '(':
			end, closed := commentEnd(s, i)
			if !closed {
				return len(s), true
			}
			i = end
		default:
			return i, false
		}
	}
	return i, false
}

// commentEnd returns the index after the comment that starts at s[i], a
// "(", nested comments and quoted pairs included; closed is false when it
// runs to the end of s.
func commentEnd(s string, i int) (end int, closed bool) {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(s), false
}
