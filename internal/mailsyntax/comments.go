package mailsyntax

import "strings"

// StripComments removes RFC 5322 §3.2.2 comments (nested parentheses,
// quoted pairs) outside quoted strings and collapses the white space they
// leave. It also returns the text of the first comment: "dns; helo
// (192.0.2.1)" carries the client's address there.
func StripComments(s string) (plain, comment string) {
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
