package mailsyntax

import "strings"

// ReceivedBy returns the host named by the "by" clause of a Received
// field's value (RFC 5321 §4.4 Stamp), or "".
func ReceivedBy(value string) string {
	plain, _ := StripComments(value)
	words := strings.Fields(plain)
	for i := 0; i+1 < len(words); i++ {
		if strings.EqualFold(words[i], "by") {
			return strings.TrimSuffix(words[i+1], ";")
		}
	}
	return ""
}

// AuthservID returns the authserv-id of an Authentication-Results field's
// value (RFC 8601 §2.2), unquoted, or "".
func AuthservID(value string) string {
	plain, _ := StripComments(value)
	head, _, _ := strings.Cut(plain, ";")
	words := strings.Fields(head)
	if len(words) == 0 {
		return ""
	}
	return strings.Trim(words[0], `"`)
}
