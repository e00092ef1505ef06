package dsn

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// msg joins lines with CRLF, as a message on the wire.
func msg(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// report wraps a delivery-status body in a minimal multipart/report.
func report(status string, rest ...string) string {
	return msg(append([]string{
		"From: MAILER-DAEMON@mx.example.net",
		"To: alice@example.org",
		"Subject: Undelivered Mail",
		"Date: Fri, 27 Nov 2026 10:00:00 +0000",
		"Message-ID: <dsn.1@mx.example.net>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"Your message could not be delivered.",
		"--b1",
		"Content-Type: message/delivery-status",
		"",
		status,
	}, rest...)...) + "--b1--\r\n"
}

const basicStatus = "Reporting-MTA: dns; mx.example.net\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; bob@example.com\r\n" +
	"Action: failed\r\n" +
	"Status: 5.1.1\r\n"

func mustParse(t *testing.T, s string) *Report {
	t.Helper()
	r, err := Parse(strings.NewReader(s))
	require.NoError(t, err)
	return r
}

func TestParseBasic(t *testing.T) {
	r := mustParse(t, report(basicStatus))
	assert.Equal(t, "MAILER-DAEMON@mx.example.net", r.From)
	assert.Equal(t, "alice@example.org", r.To)
	assert.Equal(t, "Undelivered Mail", r.Subject)
	assert.Equal(t, "dsn.1@mx.example.net", r.MessageID)
	assert.True(t, r.Date.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)))
	assert.Equal(t, "Your message could not be delivered.", r.Text)
	assert.Equal(t, "mx.example.net", r.ReportingMTA)
	assert.Equal(t, ReturnNone, r.Returned)
	assert.Nil(t, r.ReturnedHeader)
	assert.False(t, r.SMTPUTF8)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, Recipient{
		FinalRecipient: Address{Type: "rfc822", Addr: "bob@example.com"},
		Action:         ActionFailed,
		Status:         Status{5, 1, 1},
	}, r.Recipients[0])
}

// TestParseFields checks how each field of RFC 3464 §2.2 and §2.3 is read,
// in the forms real MTAs write.
func TestParseFields(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("", 9*3600))
	tests := []struct {
		name   string
		status string
		check  func(t *testing.T, r *Report)
	}{{
		name: "RFC 3464 §2.2 per-message fields",
		status: "Original-Envelope-Id: QQ314159\r\nReporting-MTA: dns; mx.example.net\r\n" +
			"DSN-Gateway: dns; gw.example.net\r\n" +
			"Received-From-MTA: dns; mail.example.org (192.0.2.10)\r\n" +
			"Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n" +
			"X-Postfix-Queue-ID: 4ABC\r\n\r\n" +
			"Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, "QQ314159", r.OriginalEnvelopeID)
			assert.Equal(t, MTA{Name: "mail.example.org", IP: netip.MustParseAddr("192.0.2.10")}, r.ReceivedFromMTA)
			assert.True(t, r.ArrivalDate.Equal(t0))
			assert.Equal(t, "gw.example.net", r.DSNGateway, "RFC 3464 §2.2.3")
			assert.Equal(t, []Field{{"X-Postfix-Queue-ID", "4ABC"}}, r.Extensions)
		},
	}, {
		name: "RFC 3464 §2.3 per-recipient fields",
		status: "Reporting-MTA: dns; mx.example.net\r\n\r\n" +
			"Original-Recipient: rfc822; Bob@Example.com\r\nFinal-Recipient: rfc822; bob@example.com\r\n" +
			"Action: delayed\r\nStatus: 4.4.1\r\nRemote-MTA: dns; mx.example.com\r\n" +
			"Diagnostic-Code: smtp; 451 4.4.1 try later\r\n" +
			"Last-Attempt-Date: Fri, 27 Nov 2026 10:00:00 +0900\r\nFinal-Log-ID: 4ABC.1\r\n" +
			"Will-Retry-Until: Fri, 27 Nov 2026 10:00:00 +0900\r\nX-Display-Name: Bob\r\n",
		check: func(t *testing.T, r *Report) {
			rc := r.Recipients[0]
			assert.Equal(t, Address{"rfc822", "Bob@Example.com"}, rc.OriginalRecipient)
			assert.Equal(t, ActionDelayed, rc.Action)
			assert.Equal(t, Status{4, 4, 1}, rc.Status)
			assert.Equal(t, MTA{Name: "mx.example.com"}, rc.RemoteMTA)
			assert.Equal(t, "smtp", rc.DiagnosticType)
			assert.Equal(t, "451 4.4.1 try later", rc.DiagnosticCode)
			assert.True(t, rc.LastAttemptDate.Equal(t0))
			assert.True(t, rc.WillRetryUntil.Equal(t0))
			assert.Equal(t, "4ABC.1", rc.FinalLogID)
			assert.Equal(t, []Field{{"X-Display-Name", "Bob"}}, rc.Extensions)
		},
	}, {
		name: "RFC 5322 §2.2.3 folded lines keep the whitespace after the break",
		status: "Reporting-MTA: dns;\r\n mx.example.net\r\n\r\nFinal-Recipient: rfc822;\r\n\tbob@example.com\r\n" +
			"Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no\r\n such\r\n  user\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, "mx.example.net", r.ReportingMTA)
			assert.Equal(t, "bob@example.com", r.Recipients[0].FinalRecipient.Addr)
			assert.Equal(t, "550 5.1.1 no such  user", r.Recipients[0].DiagnosticCode)
		},
	}, {
		name: "RFC 5322 §3.2.2 comments in structured fields",
		status: "Reporting-MTA: dns; mx.example.net (Postfix)\r\n\r\n" +
			"Final-Recipient: rfc822; \"bob (not a comment)\"@example.com\r\nAction: failed (bad (nested) mailbox)\r\n" +
			"Status: 5.1.1 (bad destination mailbox address)\r\n" +
			"Diagnostic-Code: smtp; 550 (not a comment)\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, "mx.example.net", r.ReportingMTA)
			rc := r.Recipients[0]
			assert.Equal(t, `"bob (not a comment)"@example.com`, rc.FinalRecipient.Addr)
			assert.Equal(t, ActionFailed, rc.Action)
			assert.Equal(t, Status{5, 1, 1}, rc.Status)
			assert.Equal(t, "550 (not a comment)", rc.DiagnosticCode)
		},
	}, {
		name: "RFC 3464 §2.1 names and type atoms are case-insensitive",
		status: "REPORTING-MTA: DNS; mx.example.net\r\n\r\nfinal-recipient: RFC822; Bob@example.com\r\n" +
			"ACTION: Failed\r\nstatus: 5.1.1\r\nDIAGNOSTIC-CODE: SMTP; 550 no\r\n",
		check: func(t *testing.T, r *Report) {
			rc := r.Recipients[0]
			assert.Equal(t, Address{"rfc822", "Bob@example.com"}, rc.FinalRecipient)
			assert.Equal(t, ActionFailed, rc.Action)
			assert.Equal(t, "smtp", rc.DiagnosticType)
		},
	}, {
		name: "RFC 3464 §2.1 whitespace-only lines between groups, any order, no blank line between recipients",
		status: "Reporting-MTA: dns; mx.example.net\r\n  \r\n\t\r\n" +
			"Status: 5.1.1\r\nAction: failed\r\nFinal-Recipient: rfc822; a@example.com\r\n \r\n" +
			"Final-Recipient: rfc822; b@example.com\r\nOriginal-Recipient: rfc822; B@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n" +
			"Final-Recipient: rfc822; c@example.com\r\nAction: relayed\r\nStatus: 2.0.0\r\n\r\n\r\n",
		check: func(t *testing.T, r *Report) {
			require.Len(t, r.Recipients, 3)
			assert.Equal(t, "a@example.com", r.Recipients[0].FinalRecipient.Addr)
			assert.Equal(t, "B@example.com", r.Recipients[1].OriginalRecipient.Addr)
			assert.Equal(t, Status{5, 2, 2}, r.Recipients[1].Status)
			assert.Equal(t, ActionRelayed, r.Recipients[2].Action)
		},
	}, {
		name: "RFC 3464 §2.1 a blank line inside the per-message group",
		status: "Reporting-MTA: dns; mx.example.net\r\n\r\nArrival-Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n\r\n" +
			"Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\n",
		check: func(t *testing.T, r *Report) {
			assert.True(t, r.ArrivalDate.Equal(t0))
			require.Len(t, r.Recipients, 1)
		},
	}, {
		name:   "RFC 3464 §2.2.2 Reporting-MTA without type, §2.3.2 address without type",
		status: "Reporting-MTA: mx.example.net\r\n\r\nFinal-Recipient: bob@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, "mx.example.net", r.ReportingMTA)
			assert.Equal(t, Address{"rfc822", "bob@example.com"}, r.Recipients[0].FinalRecipient)
		},
	}, {
		name: "RFC 3464 §2.2.4 and §2.3.5 MTA forms",
		status: "Reporting-MTA: dns; mx.example.net\r\nReceived-From-MTA: DNS; [2001:db8::1]\r\n\r\n" +
			"Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; [192.0.2.1]\r\n\r\n" +
			"Final-Recipient: rfc822; b@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; mx.example.com ([IPv6:2001:db8::2])\r\n\r\n" +
			"Final-Recipient: rfc822; c@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; mx.example.com (helo [192.0.2.3])\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, MTA{IP: netip.MustParseAddr("2001:db8::1")}, r.ReceivedFromMTA)
			assert.Equal(t, MTA{IP: netip.MustParseAddr("192.0.2.1")}, r.Recipients[0].RemoteMTA)
			assert.Equal(t, MTA{Name: "mx.example.com", IP: netip.MustParseAddr("2001:db8::2")}, r.Recipients[1].RemoteMTA)
			assert.Equal(t, MTA{Name: "mx.example.com", IP: netip.MustParseAddr("192.0.2.3")}, r.Recipients[2].RemoteMTA)
		},
	}, {
		name:   "RFC 3464 §2.3.4 missing optional fields, Diagnostic-Code without type",
		status: "Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: mailbox full\r\n",
		check: func(t *testing.T, r *Report) {
			assert.Empty(t, r.ReportingMTA)
			assert.Empty(t, r.Recipients[0].DiagnosticType)
			assert.Equal(t, "mailbox full", r.Recipients[0].DiagnosticCode)
		},
	}, {
		name: "RFC 5322 §3.3 dates in real-world forms; unreadable ones left zero",
		status: "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: Fri,27 Nov 2026 10:00:00 +0900 (JST)\r\n\r\n" +
			"Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\n" +
			"Last-Attempt-Date: Fri Nov 27 10:00:00 2026\r\nWill-Retry-Until: tomorrow\r\n",
		check: func(t *testing.T, r *Report) {
			assert.True(t, r.ArrivalDate.Equal(t0))
			assert.Equal(t, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), r.Recipients[0].LastAttemptDate)
			assert.True(t, r.Recipients[0].WillRetryUntil.IsZero())
		},
	}, {
		name:   "bare LF line breaks",
		status: strings.ReplaceAll(basicStatus, "\r\n", "\n"),
		check: func(t *testing.T, r *Report) {
			assert.Equal(t, "bob@example.com", r.Recipients[0].FinalRecipient.Addr)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, report(tt.status)))
		})
	}
}

// TestParseStructure checks where Parse finds the report in the MIME tree
// (RFC 6522 §3, RFC 2046 §5.1) and what it reads of the returned content
// (RFC 3462 §2, RFC 6533 §6).
func TestParseStructure(t *testing.T) {
	t.Run("RFC 2046 §5.1 report nested in multipart/mixed, text in multipart/alternative", func(t *testing.T) {
		r := mustParse(t, msg(
			"From: postmaster@mx.example.net",
			`Content-Type: multipart/mixed; boundary="outer"`,
			"",
			"preamble",
			"--outer",
			`Content-Type: multipart/report; report-type=delivery-status; boundary="inner"`,
			"",
			"--inner",
			`Content-Type: multipart/alternative; boundary="alt"`,
			"",
			"--alt",
			"Content-Type: text/plain; charset=utf-8",
			"Content-Transfer-Encoding: quoted-printable",
			"",
			"Caf=C3=A9 closed.",
			"Second line.",
			"--alt",
			"Content-Type: text/html",
			"",
			"<p>Café closed.</p>",
			"--alt--",
			"--inner",
			"Content-Type: message/delivery-status",
			"",
			strings.TrimSuffix(basicStatus, "\r\n"),
			"--inner--",
			"epilogue",
			"--outer",
			"Content-Type: text/plain",
			"",
			"footer",
			"--outer--",
		))
		assert.Equal(t, "Café closed.\nSecond line.", r.Text)
		assert.Equal(t, "bob@example.com", r.Recipients[0].FinalRecipient.Addr)
	})
	t.Run("RFC 2045 §6.8 base64 delivery-status part", func(t *testing.T) {
		enc := base64.StdEncoding.EncodeToString([]byte(basicStatus))
		r := mustParse(t, msg(
			`Content-Type: multipart/report; report-type=delivery-status; boundary=b`,
			"",
			"--b",
			"Content-Type: message/delivery-status",
			"Content-Transfer-Encoding: base64",
			"",
			enc[:40],
			enc[40:],
			"--b--",
		))
		assert.Equal(t, Status{5, 1, 1}, r.Recipients[0].Status)
	})
	t.Run("RFC 2045 §6.7 quoted-printable delivery-status part", func(t *testing.T) {
		r := mustParse(t, msg(
			`Content-Type: multipart/report; report-type=delivery-status; boundary=b`,
			"",
			"--b",
			"Content-Type: message/delivery-status",
			"Content-Transfer-Encoding: quoted-printable",
			"",
			"Reporting-MTA: dns; mx.example=2Enet",
			"",
			"Final-Recipient: rfc822; bob@exa=",
			"mple.com",
			"Action: failed",
			"Status: 5.1.1",
			"--b--",
		))
		assert.Equal(t, "mx.example.net", r.ReportingMTA)
		assert.Equal(t, "bob@example.com", r.Recipients[0].FinalRecipient.Addr)
	})
	t.Run("RFC 6533 §6 global delivery-status with utf-8 addresses", func(t *testing.T) {
		r := mustParse(t, msg(
			`Content-Type: multipart/report; report-type=global-delivery-status; boundary=b`,
			"",
			"--b",
			"Content-Type: message/global-delivery-status",
			"",
			"Reporting-MTA: dns; mx.example.net",
			"",
			`Original-Recipient: utf-8; j\x{F6}rg@example.com`,
			"Final-Recipient: utf-8; jörg@example.com",
			"Action: failed",
			"Status: 5.1.1",
			"--b",
			"Content-Type: message/global-headers",
			"",
			"Subject: Grüße",
			"Message-ID: <m1@example.org>",
			"--b--",
		))
		assert.True(t, r.SMTPUTF8)
		assert.Equal(t, Address{"utf-8", "jörg@example.com"}, r.Recipients[0].OriginalRecipient)
		assert.Equal(t, Address{"utf-8", "jörg@example.com"}, r.Recipients[0].FinalRecipient)
		assert.Equal(t, ReturnHeaders, r.Returned)
		assert.Equal(t, "Grüße", r.ReturnedHeader.Get("Subject"))
	})
	t.Run("RFC 3462 §2 returned full message: header only is read", func(t *testing.T) {
		r := mustParse(t, report(basicStatus,
			"--b1",
			"Content-Type: message/rfc822",
			"",
			"Message-ID: <orig.1@example.org>",
			"Subject: Hello",
			"  world",
			"From: Alice <alice@example.org>",
			`Content-Type: multipart/mixed; boundary="b1x"`,
			"",
			"--b1x",
			"",
			"body, with a line that looks like a delimiter of its own:",
			"--b1x--",
		))
		assert.Equal(t, ReturnFull, r.Returned)
		assert.Equal(t, "<orig.1@example.org>", r.ReturnedHeader.Get("Message-Id"))
		assert.Equal(t, "Hello world", r.ReturnedHeader.Get("Subject"))
		assert.Equal(t, "Alice <alice@example.org>", r.ReturnedHeader.Get("From"))
	})
	t.Run("RFC 3462 §2 returned headers, base64 encoded", func(t *testing.T) {
		r := mustParse(t, report(basicStatus,
			"--b1",
			"Content-Type: text/rfc822-headers",
			"Content-Transfer-Encoding: base64",
			"",
			base64.StdEncoding.EncodeToString([]byte("Message-ID: <orig.2@example.org>\r\nSubject: Hi\r\n")),
		))
		assert.Equal(t, ReturnHeaders, r.Returned)
		assert.Equal(t, "<orig.2@example.org>", r.ReturnedHeader.Get("Message-Id"))
	})
	t.Run("mbox From line and RFC 2047 subject", func(t *testing.T) {
		r := mustParse(t, "From MAILER-DAEMON Fri Nov 27 10:00:00 2026\n"+
			strings.Replace(report(basicStatus), "Subject: Undelivered Mail", "Subject: =?utf-8?q?Unzustellbar:_Gr=C3=BC=C3=9Fe?=", 1))
		assert.Equal(t, "Unzustellbar: Grüße", r.Subject)
		assert.Equal(t, "MAILER-DAEMON@mx.example.net", r.From)
	})
}

// TestParseNotDSN checks that messages that are no delivery status
// notification (RFC 3464 §2, RFC 6522 §3) give ErrNotDSN.
func TestParseNotDSN(t *testing.T) {
	tests := map[string]string{
		"RFC 3834 auto-reply": msg("From: bob@example.com", "Auto-Submitted: auto-replied", "Subject: Out of office", "", "I am away."),
		"RFC 5965 feedback report": msg(
			`Content-Type: multipart/report; report-type=feedback-report; boundary=b`, "",
			"--b", "Content-Type: text/plain", "", "abuse report",
			"--b", "Content-Type: message/feedback-report", "", "Feedback-Type: abuse",
			"--b--"),
		"plain-text bounce":                 msg("From: MAILER-DAEMON@example.net", "Subject: failure notice", "", "Hi. This is the qmail-send program.", "<bob@example.com>:", "Sorry, no mailbox here by that name."),
		"multipart without a report":        msg(`Content-Type: multipart/mixed; boundary=b`, "", "--b", "Content-Type: message/rfc822", "", "Subject: forwarded", "", "x", "--b--"),
		"report inside a forwarded message": msg(`Content-Type: message/rfc822`, "", strings.TrimSuffix(report(basicStatus), "\r\n")),
		"empty input":                       "",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(in))
			require.ErrorIs(t, err, ErrNotDSN)
			assert.True(t, strings.HasPrefix(err.Error(), "dsn: not a DSN: "), err.Error())
		})
	}
}

// TestParseMalformed checks that a report breaking RFC 3464 gives an error
// naming the field and the rule.
func TestParseMalformed(t *testing.T) {
	rcpt := "Reporting-MTA: dns; mx.example.net\r\n\r\n"
	tests := []struct{ name, status, want string }{
		{"RFC 3464 §2.1 no recipient", "Reporting-MTA: dns; mx.example.net\r\n", "no per-recipient fields"},
		{"RFC 3464 §2.3.2 Final-Recipient missing", rcpt + "Action: failed\r\nStatus: 5.0.0\r\n", "Final-Recipient: missing"},
		{"RFC 3464 §2.3.2 empty address", rcpt + "Final-Recipient: rfc822;\r\nAction: failed\r\nStatus: 5.0.0\r\n", "Final-Recipient: no address"},
		{"RFC 3464 §2.3.3 Action missing", rcpt + "Final-Recipient: rfc822; a@b\r\nStatus: 5.0.0\r\n", "Action: missing"},
		{"RFC 3464 §2.3.3 unknown action", rcpt + "Final-Recipient: rfc822; a@b\r\nAction: bounced\r\nStatus: 5.0.0\r\n", `"bounced": not one of`},
		{"RFC 3464 §2.3.4 Status missing", rcpt + "Final-Recipient: rfc822; a@b\r\nAction: failed\r\n", "Status: missing"},
		{"RFC 3463 §2 bad status", rcpt + "Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 550\r\n", "Status"},
		{"RFC 6533 §3 bad utf-8 escape", rcpt + "Final-Recipient: utf-8; a\\x{ZZ}@b\r\nAction: failed\r\nStatus: 5.0.0\r\n", `\x{HEX}`},
		{"RFC 3464 §2.1 8-bit address in message/delivery-status", rcpt + "Final-Recipient: rfc822; jörg@b\r\nAction: failed\r\nStatus: 5.0.0\r\n", "8-bit address"},
		{"RFC 3464 §2.3.3 Action missing from a recipient after no blank line", rcpt + "Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0\r\nFinal-Recipient: rfc822; c@d\r\n", "Recipients[1].Action: missing"},
		{"RFC 3464 §2.1 line that is no field", rcpt + "Final-Recipient: rfc822; a@b\r\nno colon here\r\n", "no header field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(report(tt.status)))
			require.ErrorIs(t, err, ErrInvalidField)
			assert.False(t, errors.Is(err, ErrNotDSN))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	t.Run("RFC 2045 §6.8 bad base64", func(t *testing.T) {
		_, err := Parse(strings.NewReader(msg(
			`Content-Type: message/delivery-status`, "Content-Transfer-Encoding: base64", "", "!!!!")))
		require.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), "base64")
	})
	t.Run("delivery-status part over the limit", func(t *testing.T) {
		big := strings.Repeat("X-Padding: "+strings.Repeat("x", 1000)+"\r\n", maxStatusLen/1000)
		_, err := Parse(strings.NewReader(report(basicStatus + big)))
		require.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), "larger than "+statusLimit())
	})
}

// failingReader returns data, then an error other than io.EOF.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestParseReadError(t *testing.T) {
	_, err := Parse(failingReader{strings.NewReader(report(basicStatus))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk on fire")
	assert.False(t, errors.Is(err, ErrNotDSN))
}

// patternReader yields n bytes of a repeated body line without holding them.
type patternReader struct {
	line []byte
	n    int64
	off  int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	w := 0
	for w < len(b) && p.n > 0 {
		c := copy(b[w:], p.line[p.off:])
		if int64(c) > p.n {
			c = int(p.n)
		}
		w += c
		p.n -= int64(c)
		p.off = (p.off + c) % len(p.line)
	}
	return w, nil
}

// TestParseMemoryBounded parses a report returning a 64 MB original, with
// lines both short and longer than the read buffer, and checks that what
// Parse allocates does not grow with it.
func TestParseMemoryBounded(t *testing.T) {
	size := int64(64 << 20)
	if testing.Short() {
		size = 8 << 20
	}
	head := report(basicStatus, "--b1", "Content-Type: message/rfc822", "", "Subject: big", "")
	tail := "\r\n--b1--\r\n"
	line := []byte(strings.Repeat("y", 9000) + "\r\n" + strings.Repeat("z", 70) + "\r\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	body := &patternReader{line: line, n: size}
	r, err := Parse(io.MultiReader(strings.NewReader(head), body, strings.NewReader(tail)))
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Zero(t, body.n, "Parse stopped before the end of the returned content")
	assert.Equal(t, ReturnFull, r.Returned)
	assert.Equal(t, "big", r.ReturnedHeader.Get("Subject"))
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10), "Parse allocated in proportion to the returned content")
}

func TestParseLongLines(t *testing.T) {
	// A header field and a text line longer than the read buffer.
	long := strings.Repeat("a", 10000)
	r := mustParse(t, strings.Replace(report(basicStatus), "Subject: Undelivered Mail", "Subject: "+long, 1))
	assert.Equal(t, long, r.Subject)
	var b bytes.Buffer
	b.WriteString(strings.Replace(report(basicStatus), "Your message could not be delivered.", long, 1))
	r = mustParse(t, b.String())
	assert.Equal(t, long, r.Text)

	// A field over maxFieldLen is cut, not held whole.
	huge := strings.Repeat("b", 100<<10)
	r = mustParse(t, strings.Replace(report(basicStatus), "Subject: Undelivered Mail", "Subject: "+huge, 1))
	assert.Less(t, len(r.Subject), maxFieldLen)
	assert.True(t, strings.HasPrefix(huge, r.Subject))
}

func ExampleParse() {
	bounce := "From: MAILER-DAEMON@mx.example.net\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n" +
		"\r\n" +
		"--b\r\n" +
		"Content-Type: message/delivery-status\r\n" +
		"\r\n" +
		"Reporting-MTA: dns; mx.example.net\r\n" +
		"\r\n" +
		"Final-Recipient: rfc822; bob@example.com\r\n" +
		"Action: failed\r\n" +
		"Status: 5.1.1 (bad destination mailbox address)\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n" +
		"--b--\r\n"
	r, err := Parse(strings.NewReader(bounce))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rc := range r.Recipients {
		fmt.Println(rc.FinalRecipient.Addr, rc.Action, rc.Status, rc.DiagnosticCode)
	}

	_, err = Parse(strings.NewReader("Subject: Out of office\r\n\r\nI am away.\r\n"))
	fmt.Println(errors.Is(err, ErrNotDSN))
	// Output:
	// bob@example.com failed 5.1.1 550 5.1.1 no such user
	// true
}

// TestParseFuzzFindings keeps the cases FuzzRoundTrip found.
func TestParseFuzzFindings(t *testing.T) {
	t.Run("From that net/mail cannot read: the address in angle brackets", func(t *testing.T) {
		r := mustParse(t, strings.Replace(report(basicStatus), "From: MAILER-DAEMON@mx.example.net", "From: Mail Delivery System <postmaster@.>", 1))
		assert.Equal(t, "postmaster@.", r.From)
	})
	t.Run("bare CR in the text is a line break", func(t *testing.T) {
		r := mustParse(t, strings.Replace(report(basicStatus), "Your message could not be delivered.", "a\rb\r\nc", 1))
		assert.Equal(t, "a\nb\nc", r.Text)
	})
}

func TestParseTextLatin1(t *testing.T) {
	in := strings.Replace(report(basicStatus), "Content-Type: text/plain\r\n", "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n", 1)
	in = strings.Replace(in, "Your message could not be delivered.", "Caf=E9 ferm=E9.", 1)
	assert.Equal(t, "Café fermé.", mustParse(t, in).Text)
}
