package mailsyntax

import (
	"encoding/base64"
	"mime"
	"strings"
)

// EncodeText returns s, unstructured text such as a Subject (RFC 5322
// §3.2.5), as is when ASCII, else as RFC 2047 encoded words, which every
// reader decodes. The words are at most 75 characters long and separated
// by spaces (RFC 2047 §2), so that WriteFolded can keep every line short.
func EncodeText(s string) string {
	switch {
	case !IsASCII(s):
		return mime.QEncoding.Encode("utf-8", s)
	case !strings.Contains(s, "=?"):
		return s
	}
	// ASCII a reader would decode as encoded words (RFC 2047 §6.1) is
	// encoded itself: B words of 45 bytes, 72 characters long, within the
	// 75 of RFC 2047 §2. Whole bytes: ASCII has no runes to split.
	const chunk = 45
	var b []byte
	for len(s) > 0 {
		n := min(len(s), chunk)
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, "=?utf-8?b?"...)
		b = base64.StdEncoding.AppendEncode(b, []byte(s[:n]))
		b = append(b, "?="...)
		s = s[n:]
	}
	return string(b)
}
