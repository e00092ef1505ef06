package dsn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// RFC 5322 §3.6.4, §2.1.1: the original's Message-ID goes in In-Reply-To
// and References only when it is one plain id that fits on a line; any
// other leaves both out, and the DSN stays well formed.
func TestComposeHostileOriginalMessageIDRFC5322Section3_6_4(t *testing.T) {
	const domain = "@example.org"
	longest := strings.Repeat("x", maxLineLen-len("In-Reply-To: <>")-len(domain)) + domain
	for _, tt := range []struct {
		name     string
		field    string // the original's Message-ID field(s), line breaks and all
		want     string // In-Reply-To and References; "" for neither
		smtputf8 bool
	}{
		{"plain", "Message-ID: <ok@example.org>\r\n", "<ok@example.org>", false},
		{"folded before the id", "Message-ID:\r\n\t<ok@example.org>\r\n", "<ok@example.org>", false},
		{"blank continuation line", "Message-ID: <ok@example.org>\r\n \r\n", "<ok@example.org>", false},
		{"comment hiding another id", "Message-ID: (<evil@example.net>) <ok@example.org>\r\n", "<ok@example.org>", false},
		{"longest that fits a line", "Message-ID: <" + longest + ">\r\n", "<" + longest + ">", false},
		{"UTF-8 with SMTPUTF8", "Message-ID: <réunion@exemple.fr>\r\n", "<réunion@exemple.fr>", true},

		{"one octet too long for a line", "Message-ID: <x" + longest + ">\r\n", "", false},
		{"far too long", "Message-ID: <" + strings.Repeat("x", 5000) + domain + ">\r\n", "", false},
		{"long no-fold literal", "Message-ID: <a@[" + strings.Repeat("1", 1000) + "]>\r\n", "", false},
		{"space inside", "Message-ID: <a b@example.org>\r\n", "", false},
		{"no angle brackets", "Message-ID: ok@example.org\r\n", "", false},
		{"no id-right", "Message-ID: <ok@>\r\n", "", false},
		{"empty", "Message-ID: <>\r\n", "", false},
		{"quoted id-left", "Message-ID: <\"a b\"@example.org>\r\n", "", false},
		{"NUL", "Message-ID: <a\x00b@example.org>\r\n", "", false},
		{"escape sequence", "Message-ID: <a\x1b[31m@example.org>\r\n", "", false},
		{"DEL", "Message-ID: <a\x7fb@example.org>\r\n", "", false},
		{"bare CR inside", "Message-ID: <a\r@example.org>\r\n", "", false},
		{"bare CR before a continuation", "Message-ID: <a@example.org>\r Bcc: victim@example.net\r\n", "", false},
		// A lone CR breaks the line, as everywhere (mailsyntax): the Bcc is a
		// field of its own, and the id stands alone.
		{"bare CR before a field", "Message-ID: <a@example.org>\rBcc: victim@example.net\r\n", "<a@example.org>", false},
		{"bare LF before a continuation", "Message-ID: <a@example.org>\n Bcc: victim@example.net\r\n", "", false},
		{"folded inside the id", "Message-ID: <a@\r\n example.org>\r\n", "", false},
		{"field in id-right", "Message-ID: <a@example.org\r\n Bcc: victim@example.net>\r\n", "", false},
		{"two ids", "Message-ID: <a@example.org> <b@example.org>\r\n", "", false},
		{"two ids glued", "Message-ID: <a@example.org><b@example.org>\r\n", "", false},
		{"two ids and a comma", "Message-ID: <a@example.org>, <b@example.org>\r\n", "", false},
		{"two fields", "Message-ID: <a@example.org>\r\nMessage-ID: <b@example.org>\r\n", "", false},
		{"UTF-8 in a plain report", "Message-ID: <réunion@exemple.fr>\r\n", "", false},
		{"invalid UTF-8", "Message-ID: <a\xffb@example.org>\r\n", "", true},
		{"NEL", "Message-ID: <a\u0085b@example.org>\r\n", "", true},
		{"C1 CSI", "Message-ID: <a\u009b31m@example.org>\r\n", "", true},
		{"LINE SEPARATOR", "Message-ID: <a\u2028b@example.org>\r\n", "", true},
		{"PARAGRAPH SEPARATOR", "Message-ID: <a@exa\u2029mple.org>\r\n", "", true},
	} {
		r := failureReport()
		r.SMTPUTF8 = tt.smtputf8
		// composeOK reads the DSN back: CRLF lines of at most 998 octets,
		// none with a control or Unicode line break in the header.
		rb, _, _ := composeOK(t, r, tt.field+"Subject: s\r\n\r\nbody\r\n", testOptions())
		var want []string
		if tt.want != "" {
			want = []string{tt.want}
		}
		assert.Equal(t, want, rb.header["In-Reply-To"], tt.name)
		assert.Equal(t, want, rb.header["References"], tt.name)
		assert.Equal(t, "<dsn-1@mx.hosted.example>", rb.header.Get("Message-ID"), tt.name)
	}
}
