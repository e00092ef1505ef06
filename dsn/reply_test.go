package dsn

import (
	"strings"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

	"github.com/stretchr/testify/assert"
)

// RFC 3463 §2 and RFC 2034 §4: the enhanced code counts only when its
// class matches the reply code; RFC 3464 §2.3.6: one Diagnostic-Code line.
func TestStatusFromReplyRFC3463Section2(t *testing.T) {
	tests := []struct {
		name      string
		reply     string
		permanent bool
		status    Status
		diag      string
	}{
		{"enhanced code", "550 5.1.1 <bob@example.org>: no such user", false, Status{5, 1, 1}, "550 5.1.1 <bob@example.org>: no such user"},
		{"temporary", "451 4.7.1 greylisted", true, Status{4, 7, 1}, "451 4.7.1 greylisted"},
		{"class mismatch", "550 4.2.2 mailbox full", false, Status{5, 0, 0}, "550 4.2.2 mailbox full"},
		{"no enhanced code", "554 transaction failed", false, Status{5, 0, 0}, "554 transaction failed"},
		{"bad enhanced code", "550 5.01.1 x", false, Status{5, 0, 0}, "550 5.01.1 x"},
		{"success", "250 2.1.5 ok", false, Status{2, 1, 5}, "250 2.1.5 ok"},
		{"code only", "421", false, Status{4, 0, 0}, "421"},
		{"no code, permanent", "connection refused", true, Status{5, 0, 0}, "connection refused"},
		{"no code, temporary", "connection timed out", false, Status{4, 0, 0}, "connection timed out"},
		{"empty", "", true, Status{5, 0, 0}, ""},
		{"3xx is no failure code", "354 go ahead", false, Status{4, 0, 0}, "354 go ahead"},
		{"code glued to text", "550x5.1.1", true, Status{5, 0, 0}, "550x5.1.1"},
		{"multi-line CRLF", "550-5.1.1 The email account does not exist.\r\n550-5.1.1 Please check\r\n550 5.1.1 https://support.example/ x\r\n",
			false, Status{5, 1, 1}, "550-5.1.1 The email account does not exist. 550-5.1.1 Please check 550 5.1.1 https://support.example/ x"},
		{"multi-line LF", "452-4.2.2 over quota\n452 4.2.2 try later", false, Status{4, 2, 2}, "452-4.2.2 over quota 452 4.2.2 try later"},
		{"controls become spaces", "550 5.7.1 bad\x00news\tand\x7fmore", false, Status{5, 7, 1}, "550 5.7.1 bad news and more"},
		{"blank lines dropped", "550 5.1.1 a\r\n\r\n\r\nb", false, Status{5, 1, 1}, "550 5.1.1 a b"},
		{"one line, trimmed", "  550 5.1.1 a  ", false, Status{5, 1, 1}, "550 5.1.1 a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, diag := StatusFromReply(tt.reply, tt.permanent)
			assert.Equal(t, tt.status, st)
			assert.Equal(t, tt.diag, diag)
			assert.Equal(t, -1, strings.IndexFunc(diag, mailsyntax.IsControl), "no control characters")
		})
	}
}

// TestStatusFromReplyOneLine: the common reply, one short line of
// printable ASCII, is its own diagnostic, at no allocation.
func TestStatusFromReplyOneLine(t *testing.T) {
	const reply = "550 5.1.1 <bob@example.org>: no such user"
	allocs := testing.AllocsPerRun(100, func() { StatusFromReply(reply, true) })
	assert.Zero(t, allocs)
}
