package dsn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"net/textproto"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testZone = time.FixedZone("", -5*3600)

func testOptions() ComposeOptions {
	return ComposeOptions{
		Now:       func() time.Time { return time.Date(2026, 11, 27, 10, 30, 0, 0, testZone) },
		MessageID: func() string { return "dsn-1@mx.hosted.example" },
		Boundary:  "=_report_boundary",
	}
}

const testOriginal = "Return-Path: <alice@example.org>\r\n" +
	"From: Alice <alice@example.org>\r\n" +
	"To: bob@hosted.example\r\n" +
	"Subject: Lunch\r\n" +
	"Message-ID: <lunch-1@example.org>\r\n" +
	"Date: Fri, 27 Nov 2026 09:59:58 -0500\r\n" +
	"\r\n" +
	"See you at noon.\r\n"

// failureReport is one failed recipient, as after a remote 5xx reply.
func failureReport() *Report {
	return &Report{
		To:              "alice@example.org",
		ReportingMTA:    "mx.hosted.example",
		ReceivedFromMTA: MTA{Name: "mail.example.org", IP: netip.MustParseAddr("192.0.2.10")},
		ArrivalDate:     time.Date(2026, 11, 27, 10, 0, 0, 0, testZone),
		Recipients: []Recipient{{
			FinalRecipient:  Address{Type: "rfc822", Addr: "bob@hosted.example"},
			Action:          ActionFailed,
			Status:          Status{5, 1, 1},
			RemoteMTA:       MTA{Name: "store.hosted.example", IP: netip.MustParseAddr("2001:db8::25")},
			DiagnosticCode:  "550 5.1.1 <bob@hosted.example>: no such user",
			LastAttemptDate: time.Date(2026, 11, 27, 10, 0, 5, 0, testZone),
		}},
	}
}

// composeOK composes r and reads the result back.
func composeOK(t testing.TB, r *Report, original string, opts ComposeOptions) (*readBack, Envelope, []byte) {
	t.Helper()
	var orig io.Reader
	if original != "" {
		orig = strings.NewReader(original)
	}
	var buf bytes.Buffer
	env, err := Compose(&buf, r, orig, opts)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), env.Size, "Envelope.Size counts the bytes written")
	return readBackDSN(t, buf.Bytes()), env, buf.Bytes()
}

// RFC 3461 §6.2, RFC 5321 §4.5.5: MAIL FROM:<> and one RCPT, the return
// path without source route; the To field is the same address.
func TestComposeEnvelopeRFC3461Section6_2(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.org":                   "alice@example.org",
		"<alice@example.org>":                 "alice@example.org",
		"<@relay.example,@b.example:alice@d>": "alice@d",
		"@relay.example:Alice@Example.ORG":    "Alice@Example.ORG",
		`"alice smith"@example.org`:           `"alice smith"@example.org`,
	} {
		r := failureReport()
		r.To = in
		rb, env, _ := composeOK(t, r, "", testOptions())
		assert.Equal(t, "", env.MailFrom)
		assert.Equal(t, want, env.RcptTo, in)
		assert.Equal(t, "<"+want+">", rb.header.Get("To"), in)
		assert.Equal(t, ReturnNone, env.Returned)
	}
}

// RFC 3464 §2, RFC 5322 §3.6, RFC 3834 §5: the DSN's own header.
func TestComposeHeaderRFC5322Section3_6(t *testing.T) {
	rb, _, _ := composeOK(t, failureReport(), testOriginal, testOptions())
	h := rb.header
	assert.Equal(t, "Mail Delivery System <postmaster@mx.hosted.example>", h.Get("From"))
	assert.Equal(t, "Undelivered Mail Returned to Sender", h.Get("Subject"))
	assert.Equal(t, "Fri, 27 Nov 2026 10:30:00 -0500", h.Get("Date"))
	assert.Equal(t, "<dsn-1@mx.hosted.example>", h.Get("Message-ID"))
	assert.Equal(t, "<lunch-1@example.org>", h.Get("In-Reply-To"))
	assert.Equal(t, "<lunch-1@example.org>", h.Get("References"))
	assert.Equal(t, "auto-replied", h.Get("Auto-Submitted"))
	assert.Equal(t, "1.0", h.Get("MIME-Version"))
	_, err := h.AddressList("From")
	assert.NoError(t, err)
	_, err = h.Date()
	assert.NoError(t, err)

	// RFC 5322 §3.6.4: no In-Reply-To without a usable Message-ID.
	for _, orig := range []string{"Subject: x\r\n\r\nbody\r\n", "Message-ID: not-an-id\r\n\r\n", "Message-ID: <a b@c>\r\n\r\n"} {
		rb, _, _ := composeOK(t, failureReport(), orig, testOptions())
		assert.Empty(t, rb.header.Get("In-Reply-To"), orig)
		assert.Empty(t, rb.header.Get("References"), orig)
	}
	// A folded Message-ID is unfolded.
	folded := "Message-ID:\r\n <folded@example.org>\r\nSubject: x\r\n\r\n"
	rb, _, _ = composeOK(t, failureReport(), folded, testOptions())
	assert.Equal(t, "<folded@example.org>", rb.header.Get("In-Reply-To"))
	assert.Equal(t, folded[:len(folded)-2], string(rb.returned().body), "the returned header is intact")

	// The caller's own values win.
	r := failureReport()
	r.From = "MAILER-DAEMON <mailer-daemon@mx.hosted.example>"
	r.Subject = "Échec de remise"
	r.Date = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600+1800))
	r.MessageID = "<own@mx.hosted.example>"
	rb, _, _ = composeOK(t, r, "", ComposeOptions{})
	assert.Equal(t, r.From, rb.header.Get("From"))
	subject, err := new(mime.WordDecoder).DecodeHeader(rb.header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, r.Subject, subject)
	assert.Equal(t, "Fri, 02 Jan 2026 03:04:05 +0530", rb.header.Get("Date"))
	assert.Equal(t, "<own@mx.hosted.example>", rb.header.Get("Message-ID"))

	// Defaults without options: a random id at the reporting MTA, now.
	rb, _, _ = composeOK(t, failureReport(), "", ComposeOptions{})
	assert.Regexp(t, `^<[0-9a-f]{32}@mx\.hosted\.example>$`, rb.header.Get("Message-ID"))
	date, err := rb.header.Date()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), date, time.Hour)
}

// RFC 3464 §2.1.5: dates with numeric zones, never "UT" or "GMT".
func TestComposeDatesNumericZoneRFC3464Section2_1_5(t *testing.T) {
	r := delayedReport()
	r.ArrivalDate = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rb, _, raw := composeOK(t, r, "", testOptions())
	dateRE := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$`)
	values := []string{rb.header.Get("Date"), rb.groups[0].Get("Arrival-Date"),
		rb.recipient(0).Get("Last-Attempt-Date"), rb.recipient(0).Get("Will-Retry-Until")}
	for _, v := range values {
		assert.Regexp(t, dateRE, v)
		_, err := mail.ParseDate(v)
		assert.NoError(t, err)
	}
	assert.Equal(t, "Fri, 27 Nov 2026 10:00:00 +0000", rb.groups[0].Get("Arrival-Date"))
	assert.NotContains(t, string(raw), "UTC")
}

func delayedReport() *Report {
	r := failureReport()
	rc := &r.Recipients[0]
	rc.Action = ActionDelayed
	rc.Status = Status{4, 4, 1}
	rc.DiagnosticCode = "451 4.4.1 connection timed out"
	rc.WillRetryUntil = time.Date(2026, 12, 2, 10, 0, 0, 0, testZone)
	return r
}

// The default Subject follows the most serious action reported.
func TestComposeSubjectByAction(t *testing.T) {
	for _, tt := range []struct {
		actions []Action
		subject string
	}{
		{[]Action{ActionFailed}, "Undelivered Mail Returned to Sender"},
		{[]Action{ActionDelivered, ActionFailed}, "Undelivered Mail Returned to Sender"},
		{[]Action{ActionDelayed}, "Delayed Mail (still being retried)"},
		{[]Action{ActionRelayed, ActionDelayed}, "Delayed Mail (still being retried)"},
		{[]Action{ActionDelivered}, "Successful Mail Delivery Report"},
		{[]Action{ActionExpanded, ActionRelayed}, "Successful Mail Delivery Report"},
	} {
		r := failureReport()
		r.Recipients = nil
		for _, a := range tt.actions {
			r.Recipients = append(r.Recipients, Recipient{FinalRecipient: Address{Addr: "x@hosted.example"}, Action: a})
		}
		rb, _, _ := composeOK(t, r, "", testOptions())
		assert.Equal(t, tt.subject, rb.header.Get("Subject"), tt.actions)
	}
}

// RFC 3464 §2.2 and §2.3: the fields, in order, and only those the rules
// allow.
func TestComposeFieldsRFC3464Section2_2And2_3(t *testing.T) {
	r := failureReport()
	r.OriginalEnvelopeID = "QQ314159"
	r.DSNGateway = "gw.hosted.example" // RFC 3464 §2.2.3: after Reporting-MTA
	r.Extensions = []Field{{"X-Queue-ID", "4F2A1"}}
	r.Recipients[0].OriginalRecipient = Address{"rfc822", "Bob@Hosted.Example"}
	r.Recipients[0].FinalLogID = "4F2A1.bob"
	r.Recipients = append(r.Recipients,
		Recipient{ // delayed, no remote answer yet: no Remote-MTA, no Diagnostic-Code
			FinalRecipient: Address{Addr: "carol@hosted.example"},
			Action:         ActionDelayed,
			WillRetryUntil: time.Date(2026, 12, 2, 10, 0, 0, 0, testZone),
			Extensions:     []Field{{"X-Attempts", "3"}},
		},
		Recipient{ // a local diagnostic of another type is written
			FinalRecipient: Address{Addr: "dave@hosted.example"},
			Action:         ActionFailed,
			Status:         Status{5, 2, 2},
			DiagnosticType: "X-Postfix",
			DiagnosticCode: "mailbox full",
		},
	)
	rb, _, _ := composeOK(t, r, testOriginal, testOptions())
	assert.Equal(t, [][]string{
		{"Original-Envelope-Id", "Reporting-MTA", "DSN-Gateway", "Received-From-MTA", "Arrival-Date", "X-Queue-ID"},
		{"Original-Recipient", "Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date", "Final-Log-ID"},
		{"Final-Recipient", "Action", "Status", "Will-Retry-Until", "X-Attempts"},
		{"Final-Recipient", "Action", "Status", "Diagnostic-Code"},
	}, rb.order)
	g := rb.groups[0]
	assert.Equal(t, "QQ314159", g.Get("Original-Envelope-Id"))
	assert.Equal(t, "dns; mx.hosted.example", g.Get("Reporting-MTA"))
	assert.Equal(t, "dns; gw.hosted.example", g.Get("DSN-Gateway"))
	assert.Equal(t, "dns; mail.example.org (192.0.2.10)", g.Get("Received-From-MTA"))
	g = rb.recipient(0)
	assert.Equal(t, "rfc822; Bob@Hosted.Example", g.Get("Original-Recipient"))
	assert.Equal(t, "rfc822; bob@hosted.example", g.Get("Final-Recipient"))
	assert.Equal(t, "failed", g.Get("Action"))
	assert.Equal(t, "5.1.1", g.Get("Status"))
	assert.Equal(t, "dns; store.hosted.example (2001:db8::25)", g.Get("Remote-MTA"))
	assert.Equal(t, "smtp; 550 5.1.1 <bob@hosted.example>: no such user", g.Get("Diagnostic-Code"))
	g = rb.recipient(1)
	assert.Equal(t, "4.0.0", g.Get("Status"), "a zero Status is X.0.0 from the action (RFC 3463 §3.1)")
	g = rb.recipient(2)
	assert.Equal(t, "X-Postfix; mailbox full", g.Get("Diagnostic-Code"))

	// The text part gives every recipient's reason.
	text := string(rb.parts[0].body)
	assert.Contains(t, text, "<bob@hosted.example>: failed (5.1.1): 550 5.1.1 <bob@hosted.example>: no such user\r\n")
	assert.Contains(t, text, "<carol@hosted.example>: delayed (4.0.0), retrying until Wed, 02 Dec 2026 10:00:00 -0500\r\n")
	assert.Contains(t, text, "<dave@hosted.example>: failed (5.2.2): mailbox full\r\n")

	// An MTA known by its address only is an address literal.
	r = failureReport()
	r.Recipients[0].RemoteMTA = MTA{IP: netip.MustParseAddr("198.51.100.7")}
	rb, _, _ = composeOK(t, r, "", testOptions())
	assert.Equal(t, "dns; [198.51.100.7]", rb.recipient(0).Get("Remote-MTA"))
}

// RFC 3464 §2.3.3 and §2.3.4: the status class agrees with the action.
func TestComposeActionStatusRFC3464Section2_3_4(t *testing.T) {
	for _, tt := range []struct {
		action Action
		status Status
		ok     bool
	}{
		{ActionFailed, Status{5, 1, 1}, true},
		{ActionFailed, Status{4, 4, 7}, true}, // retries ran out
		{ActionFailed, Status{2, 0, 0}, false},
		{ActionDelayed, Status{4, 4, 1}, true},
		{ActionDelayed, Status{5, 1, 1}, false},
		{ActionDelayed, Status{2, 0, 0}, false},
		{ActionDelivered, Status{2, 0, 0}, true},
		{ActionDelivered, Status{5, 0, 0}, false},
		{ActionRelayed, Status{2, 0, 0}, true},
		{ActionRelayed, Status{4, 0, 0}, false},
		{ActionExpanded, Status{2, 1, 5}, true},
		{ActionExpanded, Status{5, 1, 5}, false},
		{ActionFailed, Status{3, 0, 0}, false},
		{ActionFailed, Status{5, 1000, 0}, false},
		{"bounced", Status{5, 0, 0}, false},
		{"", Status{5, 0, 0}, false},
	} {
		r := failureReport()
		r.Recipients[0].Action = tt.action
		r.Recipients[0].Status = tt.status
		if tt.ok {
			rb, _, _ := composeOK(t, r, "", testOptions())
			assert.Equal(t, tt.status.String(), rb.recipient(0).Get("Status"))
			continue
		}
		_, err := Compose(io.Discard, r, nil, testOptions())
		require.Error(t, err, "%s %v", tt.action, tt.status)
		assert.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), "Recipients[0].")
	}
}

// RFC 3461 §4.3 and §6.2, RFC 6522 §3: what is returned of the original.
func TestComposeReturnedRFC3461Section4_3(t *testing.T) {
	big := testOriginal + strings.Repeat("x", 5000) + "\r\n"
	eightBitBody := strings.Replace(testOriginal, "noon.", "noon, café.", 1)
	eightBitHeader := strings.Replace(testOriginal, "Subject: Lunch", "Subject: Café", 1)
	latin1Header := strings.Replace(testOriginal, "Subject: Lunch", "Subject: Caf\xe9", 1)
	nulBody := testOriginal + "bin\x00ary\r\n"
	nulHeader := "X-Bin: a\x00b\r\n" + testOriginal
	longBody := testOriginal + strings.Repeat("x", 999) + "\r\n"
	longBody998 := testOriginal + strings.Repeat("x", 998) + "\r\n"
	hugeHeader := "Subject: x\r\nX: " + strings.Repeat("a", 2<<20) + "\r\n\r\nbody\r\n"
	smtputf8 := failureReport()
	smtputf8.SMTPUTF8 = true
	delivered := failureReport()
	delivered.Recipients[0].Action = ActionDelivered
	delivered.Recipients[0].Status = Status{2, 0, 0}
	for _, tt := range []struct {
		name     string
		r        *Report
		original string
		opts     ComposeOptions
		returned ReturnedContent
		ctype    string
		cte      string
		content  string
	}{
		{"RET=HDRS", nil, testOriginal, ComposeOptions{Ret: RetHdrs}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		{"RET absent", nil, testOriginal, ComposeOptions{}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		{"RET absent, default full", nil, testOriginal, ComposeOptions{DefaultReturn: ReturnFull}, ReturnFull, "message/rfc822", "", testOriginal},
		{"RET absent, default none", nil, testOriginal, ComposeOptions{DefaultReturn: ReturnNone}, ReturnNone, "", "", ""},
		{"RET=HDRS beats default", nil, testOriginal, ComposeOptions{Ret: RetHdrs, DefaultReturn: ReturnFull}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		{"RET=FULL", nil, testOriginal, ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "", testOriginal},
		{"RET=FULL within limit", nil, testOriginal, ComposeOptions{Ret: RetFull, ReturnSizeLimit: int64(len(testOriginal))}, ReturnFull, "message/rfc822", "", testOriginal},
		{"RET=FULL over limit", nil, big, ComposeOptions{Ret: RetFull, ReturnSizeLimit: 1000}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(big)},
		{"RET=FULL one byte over", nil, testOriginal, ComposeOptions{Ret: RetFull, ReturnSizeLimit: int64(len(testOriginal)) - 1}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		{"RET=FULL, no failure", delivered, testOriginal, ComposeOptions{Ret: RetFull}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		{"no original", nil, "", ComposeOptions{Ret: RetFull}, ReturnNone, "", "", ""},
		{"8-bit body", nil, eightBitBody, ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "8bit", eightBitBody},
		{"8-bit body, 7-bit path", nil, eightBitBody, ComposeOptions{Ret: RetFull, SevenBit: true}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(eightBitBody)},
		{"7-bit body, 7-bit path", nil, testOriginal, ComposeOptions{Ret: RetFull, SevenBit: true}, ReturnFull, "message/rfc822", "", testOriginal},
		{"7-bit path over the scan limit", nil, testOriginal + strings.Repeat("y", sevenBitScanLimit), ComposeOptions{Ret: RetFull, SevenBit: true}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(testOriginal)},
		// RFC 6533 §6: the global types only for SMTPUTF8; without it an
		// 8-bit header goes 8bit, or quoted-printable toward a 7-bit path.
		{"UTF-8 header", nil, eightBitHeader, ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "8bit", eightBitHeader},
		{"UTF-8 header, headers only", nil, eightBitHeader, ComposeOptions{}, ReturnHeaders, "text/rfc822-headers", "8bit", headerLinesOf(eightBitHeader)},
		{"UTF-8 header, 7-bit path", nil, eightBitHeader, ComposeOptions{Ret: RetFull, SevenBit: true}, ReturnHeaders, "text/rfc822-headers", "quoted-printable", headerLinesOf(eightBitHeader)},
		{"UTF-8 header, SMTPUTF8", smtputf8, eightBitHeader, ComposeOptions{Ret: RetFull}, ReturnFull, "message/global", "8bit", eightBitHeader},
		{"UTF-8 header, SMTPUTF8, headers only", smtputf8, eightBitHeader, ComposeOptions{}, ReturnHeaders, "message/global-headers", "8bit", headerLinesOf(eightBitHeader)},
		{"UTF-8 header, SMTPUTF8, 7-bit path", smtputf8, eightBitHeader, ComposeOptions{Ret: RetFull, SevenBit: true}, ReturnHeaders, "message/global-headers", "quoted-printable", headerLinesOf(eightBitHeader)},
		// RFC 2045 §2.8, §2.9: NUL or a line over 998 bytes is binary,
		// which SMTP cannot carry: headers only, never a changed body.
		{"NUL in body", nil, nulBody, ComposeOptions{Ret: RetFull}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(nulBody)},
		{"NUL in body, within limit", nil, nulBody, ComposeOptions{Ret: RetFull, ReturnSizeLimit: 1 << 20}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(nulBody)},
		{"line over 998 in body", nil, longBody, ComposeOptions{Ret: RetFull}, ReturnHeaders, "text/rfc822-headers", "", headerLinesOf(longBody)},
		{"line of 998 in body", nil, longBody998, ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "", longBody998},
		{"NUL in header", nil, nulHeader, ComposeOptions{}, ReturnHeaders, "text/rfc822-headers", "quoted-printable", headerLinesOf(nulHeader)},
		// RFC 5322 §2.1: a lone CR ends a line, as crlfWriter writes it, so
		// the empty line of a CR-only original ends its header.
		{"CR-only original, headers only", nil, "Subject: x\rFoo: y\r\rsecret body\r", ComposeOptions{Ret: RetHdrs}, ReturnHeaders, "text/rfc822-headers", "", "Subject: x\r\nFoo: y\r\n"},
		{"CR-only original, full", nil, "Subject: x\r\rbody\r", ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "", "Subject: x\r\n\r\nbody\r\n"},
		{"CR then CRLF", nil, "Subject: x\r\r\nbody", ComposeOptions{Ret: RetHdrs}, ReturnHeaders, "text/rfc822-headers", "", "Subject: x\r\n"},
		{"LF then CR", nil, "Subject: x\n\rbody", ComposeOptions{Ret: RetHdrs}, ReturnHeaders, "text/rfc822-headers", "", "Subject: x\r\n"},
		// An odd original is no reason for no report: a header over 1 MB
		// returns nothing.
		{"header over 1 MB", nil, hugeHeader, ComposeOptions{Ret: RetFull}, ReturnNone, "", "", ""},
		{"Latin-1 header", nil, latin1Header, ComposeOptions{}, ReturnHeaders, "text/rfc822-headers", "8bit", headerLinesOf(latin1Header)},
		{"Latin-1 header, 7-bit path", nil, latin1Header, ComposeOptions{SevenBit: true}, ReturnHeaders, "text/rfc822-headers", "quoted-printable", headerLinesOf(latin1Header)},
		{"header only", nil, "Subject: no body\r\n", ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "", "Subject: no body\r\n\r\n"},
		{"header without final newline", nil, "Subject: cut", ComposeOptions{}, ReturnHeaders, "text/rfc822-headers", "", "Subject: cut\r\n"},
		{"no header", nil, "\r\nbody only\r\n", ComposeOptions{Ret: RetFull}, ReturnFull, "message/rfc822", "", "\r\nbody only\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r == nil {
				r = failureReport()
			}
			opts := tt.opts
			opts.Boundary = "=_report_boundary"
			rb, env, _ := composeOK(t, r, tt.original, opts)
			assert.Equal(t, tt.returned, env.Returned)
			part := rb.returned()
			if tt.returned == ReturnNone {
				assert.Nil(t, part)
				return
			}
			require.NotNil(t, part)
			assert.Equal(t, tt.ctype, part.contentType)
			assert.Equal(t, tt.cte, part.header.Get("Content-Transfer-Encoding"))
			assert.Equal(t, tt.content, string(part.body))
			if part.contentType == "message/rfc822" {
				m, err := mail.ReadMessage(bytes.NewReader(part.body))
				require.NoError(t, err, "the returned message keeps its structure")
				assert.NotNil(t, m)
			}
		})
	}
}

// headerLinesOf returns the header lines of a CRLF message.
func headerLinesOf(m string) string {
	if i := strings.Index(m, "\r\n\r\n"); i >= 0 {
		return m[:i+2]
	}
	return m
}

// RFC 5322 §2.1 and RFC 2046 §5.2.1: the returned message has CRLF line
// endings whatever the original had.
func TestComposeLineEndingsRFC5322Section2_1(t *testing.T) {
	for name, in := range map[string]string{
		"LF":    "Subject: lf\nMessage-ID: <lf@x>\n\nline 1\nline 2\n",
		"CR":    "Subject: cr\rMessage-ID: <cr@x>\n\nline 1\rline 2\r",
		"mixed": "Subject: mixed\r\nX: y\n\r\nline 1\r\nline 2\nline 3\r\r\nend",
		"CRLF":  "Subject: crlf\r\n\r\nline 1\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			rb, _, _ := composeOK(t, failureReport(), in, ComposeOptions{Ret: RetFull})
			want := strings.NewReplacer("\r\n", "\r\n", "\r", "\r\n", "\n", "\r\n").Replace(in)
			assert.Equal(t, want, string(rb.returned().body))
		})
	}
	// RFC 5321 §4.5.3.1.6: a line SMTP cannot carry is broken, with a
	// space, as Postfix does (found by FuzzCompose), where Compose does not
	// hold the original whole to return headers only: in the header, and
	// in a body streamed past its buffer.
	header := "Subject: " + strings.Repeat("s", 1000) + "\r\n\r\n"
	wantHeader := "Subject: " + strings.Repeat("s", 989) + "\r\n " + strings.Repeat("s", 11) + "\r\n\r\n"
	rb, env, _ := composeOK(t, failureReport(), header+strings.Repeat("x", 2000)+"\r\n", ComposeOptions{Ret: RetFull})
	assert.Equal(t, ReturnHeaders, env.Returned)
	assert.Equal(t, wantHeader[:len(wantHeader)-2], string(rb.returned().body))
	long := strings.Repeat("y\r\n", 4<<10) + strings.Repeat("x", 2000) + "\r\n"
	rb, env, _ = composeOK(t, failureReport(), header+long, ComposeOptions{Ret: RetFull})
	assert.Equal(t, ReturnFull, env.Returned)
	assert.Equal(t, "8bit", rb.returned().header.Get("Content-Transfer-Encoding"))
	assert.Equal(t, wantHeader+strings.Repeat("y\r\n", 4<<10)+
		strings.Repeat("x", 998)+"\r\n "+strings.Repeat("x", 997)+"\r\n "+strings.Repeat("x", 5)+"\r\n",
		string(rb.returned().body))
}

// RFC 5322 §2.1 and RFC 5321 §4.5.3.1.6: CRLF line endings, lines of at
// most 998 bytes.
func TestCRLFWriterChunks(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a\rb\nc\r\nd\r\r\ne\n\nf\r", "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\nf\r\n"},
		{strings.Repeat("x", 2000) + "\n" + strings.Repeat("y", 998) + "\r\nz",
			strings.Repeat("x", 998) + "\r\n " + strings.Repeat("x", 997) + "\r\n " + strings.Repeat("x", 5) + "\r\n" +
				strings.Repeat("y", 998) + "\r\nz"},
		{strings.Repeat("w", 997) + "\r\r", strings.Repeat("w", 997) + "\r\n\r\n"},
	} {
		testCRLFSplits(t, tt.in, tt.want)
	}
}

// testCRLFSplits checks that every split of the input in three writes
// gives the same output: state carries across writes.
func testCRLFSplits(t *testing.T, in, want string) {
	var at []int // every split of a short input; for a long one, some and those around 998
	step := max(1, len(in)/40)
	for i := 0; i <= len(in); i += step {
		at = append(at, i)
	}
	for i := 995; i <= 1001 && i <= len(in); i++ {
		at = append(at, i)
	}
	for _, i := range at {
		for _, j := range at {
			if j < i {
				continue
			}
			var out bytes.Buffer
			s := &sink{w: &out, buf: make([]byte, 64)}
			c := crlfWriter{w: s}
			c.Write([]byte(in[:i]))
			c.Write([]byte(in[i:j]))
			c.Write([]byte(in[j:]))
			c.close()
			require.NoError(t, s.flush())
			require.Equal(t, want, out.String(), "split at %d, %d", i, j)
		}
	}
}

// RFC 3464 §2.1, RFC 5322 §2.2: nothing from the input may start a new
// field or line: controls are rejected, naming the field and the rule.
func TestComposeRejectsHostileInputRFC3464Section2_1(t *testing.T) {
	for _, tt := range []struct {
		field  string
		mutate func(r *Report)
	}{
		{"To", func(r *Report) { r.To = "alice@example.org\r\nBcc: victim@example.net" }},
		{"To", func(r *Report) { r.To = "" }},
		{"To", func(r *Report) { r.To = "<>" }},
		{"To", func(r *Report) { r.To = "a<b>@c" }},
		{"From", func(r *Report) { r.From = "x\n@y" }},
		{"Subject", func(r *Report) { r.Subject = "hi\r\nX-Evil: 1" }},
		{"MessageID", func(r *Report) { r.MessageID = "a b@c" }},
		{"ReportingMTA", func(r *Report) { r.ReportingMTA = "" }},
		{"ReportingMTA", func(r *Report) { r.ReportingMTA = "mx.example\r\nX: y" }},
		{"ReportingMTA", func(r *Report) { r.ReportingMTA = "mx example" }},
		{"ReportingMTA", func(r *Report) { r.ReportingMTA = "mx;example" }},
		{"ReceivedFromMTA.Name", func(r *Report) { r.ReceivedFromMTA.Name = "helo\x00" }},
		{"ReceivedFromMTA.Name", func(r *Report) { r.ReceivedFromMTA.Name = "evil (comment)" }},
		{"OriginalEnvelopeID", func(r *Report) { r.OriginalEnvelopeID = "id\r\nX: y" }},
		{"OriginalEnvelopeID", func(r *Report) { r.OriginalEnvelopeID = "idé" }},
		{"OriginalEnvelopeID", func(r *Report) { r.OriginalEnvelopeID = strings.Repeat("e", 101) }},
		{"Extensions[0].Name", func(r *Report) { r.Extensions = []Field{{"X Bad", "v"}} }},
		{"Extensions[0].Name", func(r *Report) { r.Extensions = []Field{{"X-Bad:", "v"}} }},
		{"Extensions[0].Name", func(r *Report) { r.Extensions = []Field{{`"`, "0"}} }}, // found by FuzzCompose
		{"Extensions[0].Value", func(r *Report) { r.Extensions = []Field{{"X-Ok", "v\n"}} }},
		{"Recipients", func(r *Report) { r.Recipients = nil }},
		{"Recipients[0].FinalRecipient", func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "" }},
		{"Recipients[0].FinalRecipient", func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "bob@x\r\nAction: delivered" }},
		{"Recipients[0].FinalRecipient.Type", func(r *Report) { r.Recipients[0].FinalRecipient.Type = "rfc822;x" }},
		{"Recipients[0].OriginalRecipient", func(r *Report) { r.Recipients[0].OriginalRecipient = Address{"rfc822", "a\x00b"} }},
		{"Recipients[0].DiagnosticCode", func(r *Report) { r.Recipients[0].DiagnosticCode = "550 no\nStatus: 2.0.0" }},
		{"Recipients[0].DiagnosticCode", func(r *Report) { r.Recipients[0].DiagnosticCode = "bad \x85 C1" }},
		{"Recipients[0].DiagnosticCode", func(r *Report) { r.Recipients[0].DiagnosticCode = "bad \xff UTF-8" }},
		{"Recipients[0].DiagnosticCode", func(r *Report) { r.Recipients[0].DiagnosticCode = strings.Repeat("w", 1000) }},
		{"Recipients[0].DiagnosticType", func(r *Report) { r.Recipients[0].DiagnosticType = "smtp; x" }},
		{"Recipients[0].RemoteMTA.Name", func(r *Report) { r.Recipients[0].RemoteMTA.Name = "mx\r" }},
		{"Recipients[0].FinalLogID", func(r *Report) { r.Recipients[0].FinalLogID = "id\r\n" }},
		{"Recipients[0].WillRetryUntil", func(r *Report) { r.Recipients[0].WillRetryUntil = time.Now() }},
		{"Recipients[0].Extensions[1].Value", func(r *Report) {
			r.Recipients[0].Extensions = []Field{{"X-A", "ok"}, {"X-B", "\x1b[31m"}}
		}},
		{"Recipients[1].Action", func(r *Report) {
			r.Recipients = append(r.Recipients, Recipient{FinalRecipient: Address{Addr: "c@d"}})
		}},
	} {
		r := failureReport()
		tt.mutate(r)
		var out bytes.Buffer
		_, err := Compose(&out, r, strings.NewReader(testOriginal), testOptions())
		require.Error(t, err, tt.field)
		assert.ErrorIs(t, err, ErrInvalidField, tt.field)
		var fe *FieldError
		require.True(t, errors.As(err, &fe))
		assert.Equal(t, tt.field, fe.Field)
		assert.Regexp(t, `\(RFC \d+ §[\d.]+(, RFC \d+ §[\d.]+)?\)$`, err.Error(), "names the rule")
		assert.NotContains(t, err.Error(), "\n")
		assert.Zero(t, out.Len(), "nothing written on error")
	}
}

// RFC 5322 §2.2.3: unfolding drops white space at a value's ends, so
// Compose refuses it where the value must read back as written, and
// RFC 3464 §2.3.2: a blank address is none.
func TestComposeRefusesPaddedValuesRFC5322Section2_2_3(t *testing.T) {
	for _, tt := range []struct {
		field, rule string
		mutate      func(r *Report)
	}{
		// RFC 5321 §4.1.2: no space in a Mailbox outside a quoted string.
		{"To", "RFC 5321 §4.1.2", func(r *Report) { r.To = " alice@example.org" }},
		{"To", "RFC 1035 §2.3.1", func(r *Report) { r.To = "<alice@example.org >" }},
		{"OriginalEnvelopeID", "RFC 5322 §2.2.3", func(r *Report) { r.OriginalEnvelopeID = "QQ31 " }},
		{"Extensions[0].Value", "RFC 5322 §2.2.3", func(r *Report) { r.Extensions = []Field{{"X-A", " v"}} }},
		{"Extensions[0].Value", "RFC 5322 §2.2.3", func(r *Report) { r.Extensions = []Field{{"X-A", " "}} }},
		{"Recipients[0].FinalRecipient", "RFC 3464 §2.3.2", func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "  " }},
		{"Recipients[0].FinalRecipient", "RFC 5322 §2.2.3", func(r *Report) { r.Recipients[0].FinalRecipient.Addr = "bob@hosted.example\u00a0" }},
		{"Recipients[0].OriginalRecipient", "RFC 3464 §2.3.1", func(r *Report) { r.Recipients[0].OriginalRecipient = Address{Addr: " "} }},
		{"Recipients[0].OriginalRecipient", "RFC 3464 §2.3.1", func(r *Report) { r.Recipients[0].OriginalRecipient = Address{Type: "rfc822"} }},
		{"Recipients[0].OriginalRecipient", "RFC 5322 §2.2.3", func(r *Report) { r.Recipients[0].OriginalRecipient = Address{Addr: " bob@x"} }},
		{"Recipients[0].DiagnosticCode", "RFC 5322 §2.2.3", func(r *Report) { r.Recipients[0].DiagnosticCode = "550 no such user " }},
		{"Recipients[0].DiagnosticCode", "RFC 5322 §2.2.3", func(r *Report) { r.Recipients[0].DiagnosticCode = " " }},
		{"Recipients[0].FinalLogID", "RFC 5322 §2.2.3", func(r *Report) { r.SMTPUTF8 = true; r.Recipients[0].FinalLogID = "\u3000id" }},
		{"Recipients[0].Extensions[0].Value", "RFC 5322 §2.2.3", func(r *Report) { r.Recipients[0].Extensions = []Field{{"X-B", "v "}} }},
	} {
		r := failureReport()
		tt.mutate(r)
		_, err := Compose(io.Discard, r, nil, testOptions())
		var fe *FieldError
		require.ErrorAs(t, err, &fe, tt.field)
		assert.Equal(t, tt.field, fe.Field)
		assert.Contains(t, fe.Rule, "("+tt.rule+")", tt.field)
	}

	// Free text keeps its inner runs of spaces; the Subject is trimmed.
	r := failureReport()
	r.Subject = "  Your  message "
	r.Extensions = []Field{{"X-A", ""}, {"X-B", "a   b"}}
	rb, _, _ := composeOK(t, r, "", testOptions())
	assert.Equal(t, "Your  message", rb.header.Get("Subject"))
	back := parseComposed(t, r)
	assert.Equal(t, "Your  message", back.Subject)
	assert.Equal(t, r.Extensions, back.Extensions)
}

// RFC 1035 §2.3.1, RFC 1123 §2.1, RFC 5321 §4.1.3: host names in
// Reporting-MTA, Received-From-MTA and Remote-MTA.
func TestComposeHostNamesRFC1035Section2_3_1(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 4)[:254]
	for _, tt := range []struct {
		host   string
		rule   string // "" when the host is accepted
		asName bool   // also accepted as an MTA's Name
	}{
		{"mx.example.net", "", true},
		{"MX-1.Example.NET", "", true},
		{"localhost", "", true},
		{"1mx.example", "", true},         // RFC 1123 §2.1: a leading digit
		{"mail_1.example.org", "", true},  // tolerated: real names carry it
		{label63 + ".example", "", true},  // the longest label
		{long[:253], "", true},            // the longest name
		{"[192.0.2.1]", "", false},        // an address literal: IP, for an MTA
		{"[IPv6:2001:db8::1]", "", false}, // RFC 5321 §4.1.3
		{"[ipv6:2001:db8::1]", "", false}, // the tag in any case
		{".", "RFC 1035 §2.3.1", false},   // the root alone: an empty label
		{"mx.example.", "RFC 5321 §4.1.2", false},
		{".mx.example", "RFC 1035 §2.3.1", false},
		{"mx..example", "RFC 1035 §2.3.1", false},
		{"-mx.example", "RFC 1035 §2.3.1", false},
		{"mx-.example", "RFC 1035 §2.3.1", false},
		{"mx example", "RFC 1035 §2.3.1", false},
		{"mx.exämple", "RFC 1035 §2.3.1", false},
		{label63 + "a.example", "RFC 1035 §2.3.4", false},
		{long, "RFC 1035 §2.3.4", false},
		{"192.0.2.1", "RFC 1123 §2.1", false},
		{"mx.123", "RFC 1123 §2.1", false},
		{"[192.0.2.1", "RFC 5321 §4.1.3", false},
		{"[999.0.2.1]", "RFC 5321 §4.1.3", false},
		{"[2001:db8::1]", "RFC 5321 §4.1.3", false},
		{"[IPv6:192.0.2.1]", "RFC 5321 §4.1.3", false},
		{"[IPv6:fe80::1%eth0]", "RFC 5321 §4.1.3", false},
	} {
		r := failureReport()
		r.ReportingMTA = tt.host
		_, err := Compose(io.Discard, r, nil, testOptions())
		if tt.rule == "" {
			require.NoError(t, err, tt.host)
			back := parseComposed(t, r)
			assert.Equal(t, tt.host, back.ReportingMTA)
		} else {
			var fe *FieldError
			require.ErrorAs(t, err, &fe, tt.host)
			assert.Equal(t, "ReportingMTA", fe.Field, tt.host)
			assert.Contains(t, fe.Rule, "("+tt.rule+")", tt.host)
		}

		r = failureReport()
		r.ReceivedFromMTA.Name = tt.host
		r.Recipients[0].RemoteMTA.Name = tt.host
		_, err = Compose(io.Discard, r, nil, testOptions())
		if tt.asName {
			require.NoError(t, err, tt.host)
			back := parseComposed(t, r)
			assert.Equal(t, r.ReceivedFromMTA, back.ReceivedFromMTA)
			assert.Equal(t, r.Recipients[0].RemoteMTA, back.Recipients[0].RemoteMTA)
		} else {
			var fe *FieldError
			require.ErrorAs(t, err, &fe, tt.host)
			assert.Equal(t, "ReceivedFromMTA.Name", fe.Field, tt.host)
		}
	}
}

// parseComposed composes r and parses it back.
func parseComposed(t testing.TB, r *Report) *Report {
	t.Helper()
	var buf bytes.Buffer
	_, err := Compose(&buf, r, nil, testOptions())
	require.NoError(t, err)
	back, err := Parse(&buf)
	require.NoError(t, err)
	return back
}

func TestComposeRejectsBadOptions(t *testing.T) {
	for field, opts := range map[string]ComposeOptions{
		"ComposeOptions.Ret":             {Ret: "full"},
		"ComposeOptions.DefaultReturn":   {DefaultReturn: "all"},
		"ComposeOptions.ReturnSizeLimit": {ReturnSizeLimit: -1},
		"ComposeOptions.Boundary":        {Boundary: "a\r\nb"},
		"ComposeOptions.MessageID":       {MessageID: func() string { return "x\ny" }},
	} {
		_, err := Compose(io.Discard, failureReport(), nil, opts)
		require.Error(t, err, field)
		assert.ErrorIs(t, err, ErrInvalidField)
		assert.Contains(t, err.Error(), field)
	}
	_, err := Compose(io.Discard, nil, nil, ComposeOptions{})
	assert.ErrorIs(t, err, ErrInvalidField)
}

// RFC 6533 §3-§6: an internationalised report uses the global types and
// the utf-8 address type; a plain one stays pure ASCII.
func TestComposeSMTPUTF8RFC6533(t *testing.T) {
	t.Run("non-ASCII address", func(t *testing.T) {
		r := failureReport()
		r.SMTPUTF8 = true
		r.To = "élodie@exemple.fr"
		r.Recipients[0].FinalRecipient = Address{"rfc822", "用户@例子.广告"}
		r.Recipients[0].OriginalRecipient = Address{"utf-8", "用户@例子.广告"}
		rb, env, raw := composeOK(t, r, testOriginal, ComposeOptions{Ret: RetFull})
		assert.Equal(t, "élodie@exemple.fr", env.RcptTo)
		assert.Equal(t, "message/global-delivery-status", rb.parts[1].contentType)
		assert.Equal(t, "8bit", rb.parts[1].header.Get("Content-Transfer-Encoding"))
		assert.Equal(t, "utf-8; 用户@例子.广告", rb.recipient(0).Get("Final-Recipient"))
		assert.Equal(t, "utf-8; 用户@例子.广告", rb.recipient(0).Get("Original-Recipient"))
		assert.Equal(t, "message/global", rb.returned().contentType)
		assert.Equal(t, "utf-8", rb.parts[0].params["charset"])
		assert.Contains(t, string(rb.parts[0].body), "<用户@例子.广告>: failed")
		assert.Contains(t, string(raw), "To: <élodie@exemple.fr>\r\n")
		// RFC 2045 §6.4: 8bit parts make an 8bit multipart.
		assert.Equal(t, "8bit", rb.header.Get("Content-Transfer-Encoding"))
	})
	// RFC 6533 §6: without SMTPUTF8, no global types: UTF-8 recipient
	// addresses go in the 7-bit utf-8 form (RFC 6533 §3), other UTF-8
	// fields are refused.
	t.Run("non-ASCII without SMTPUTF8", func(t *testing.T) {
		r := failureReport()
		r.Recipients[0].FinalRecipient = Address{"rfc822", "用户@例子.广告"}
		rb, _, raw := composeOK(t, r, testOriginal, ComposeOptions{Ret: RetFull})
		assert.Equal(t, "message/delivery-status", rb.parts[1].contentType)
		assert.Equal(t, `utf-8; \x{7528}\x{6237}@\x{4F8B}\x{5B50}.\x{5E7F}\x{544A}`, rb.recipient(0).Get("Final-Recipient"))
		assert.Equal(t, "message/rfc822", rb.returned().contentType)
		assert.Empty(t, rb.header.Get("Content-Transfer-Encoding"))
		assert.Equal(t, "quoted-printable", rb.parts[0].header.Get("Content-Transfer-Encoding"))
		assert.True(t, mailsyntax.IsASCII(raw))
		back, err := Parse(bytes.NewReader(raw))
		require.NoError(t, err)
		assert.False(t, back.SMTPUTF8)
		assert.Equal(t, Address{"utf-8", "用户@例子.广告"}, back.Recipients[0].FinalRecipient)
		for field, mutate := range map[string]func(r *Report){
			"To":                           func(r *Report) { r.To = "élodie@exemple.fr" },
			"From":                         func(r *Report) { r.From = "Élodie <postmaster@mx.hosted.example>" },
			"Recipients[0].DiagnosticCode": func(r *Report) { r.Recipients[0].DiagnosticCode = "550 non, désolé" },
			"Recipients[0].FinalLogID":     func(r *Report) { r.Recipients[0].FinalLogID = "clé" },
			"Recipients[0].FinalRecipient": func(r *Report) { r.Recipients[0].FinalRecipient = Address{"x-local", "jörg"} },
			"Extensions[0].Value":          func(r *Report) { r.Extensions = []Field{{"X-A", "é"}} },
		} {
			r := failureReport()
			mutate(r)
			_, err := Compose(io.Discard, r, nil, ComposeOptions{})
			var fe *FieldError
			require.ErrorAs(t, err, &fe, field)
			assert.Equal(t, field, fe.Field)
			r.SMTPUTF8 = true
			_, err = Compose(io.Discard, r, nil, ComposeOptions{})
			assert.NoError(t, err, field)
		}
	})
	// RFC 6533 §3: in a global report a utf-8 address is unitext, UTF-8 as
	// is but "\", "+", "=", space and controls escaped, so a "\" of the
	// address never reads back as an escape.
	t.Run("backslash in a utf-8 address", func(t *testing.T) {
		for _, global := range []bool{false, true} {
			r := failureReport()
			r.SMTPUTF8 = global
			r.Recipients[0].FinalRecipient = Address{"utf-8", `jörg\x{41}+"a b"=@x.de`}
			rb, _, raw := composeOK(t, r, "", ComposeOptions{})
			want := `utf-8; jörg\x{5C}x{41}\x{2B}"a\x{20}b"\x{3D}@x.de`
			if !global {
				want = `utf-8; j\x{F6}rg\x{5C}x{41}\x{2B}"a\x{20}b"\x{3D}@x.de`
			}
			assert.Equal(t, want, rb.recipient(0).Get("Final-Recipient"))
			back, err := Parse(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Equal(t, r.Recipients[0].FinalRecipient, back.Recipients[0].FinalRecipient)
		}
	})
	t.Run("SMTPUTF8 flag", func(t *testing.T) {
		r := failureReport()
		r.SMTPUTF8 = true
		rb, _, _ := composeOK(t, r, testOriginal, ComposeOptions{})
		assert.Equal(t, "message/global-delivery-status", rb.parts[1].contentType)
		assert.Empty(t, rb.parts[1].header.Get("Content-Transfer-Encoding"), "ASCII content needs no 8bit label")
		assert.Equal(t, "message/global-headers", rb.returned().contentType)
	})
	t.Run("UTF-8 header", func(t *testing.T) {
		orig := strings.Replace(testOriginal, "From: Alice", "From: Alïce", 1)
		rb, _, _ := composeOK(t, failureReport(), orig, ComposeOptions{})
		assert.Equal(t, "message/delivery-status", rb.parts[1].contentType)
		assert.Equal(t, "text/rfc822-headers", rb.returned().contentType)
		assert.Equal(t, "8bit", rb.returned().header.Get("Content-Transfer-Encoding"))
		assert.Equal(t, "8bit", rb.header.Get("Content-Transfer-Encoding"), "RFC 2045 §6.4")
		assert.Equal(t, headerLinesOf(orig), string(rb.returned().body))
	})
	t.Run("plain report is ASCII", func(t *testing.T) {
		r := failureReport()
		r.Recipients[0].OriginalRecipient = Address{"utf-8", "bob+x@hosted.example"}
		rb, _, raw := composeOK(t, r, testOriginal, ComposeOptions{Ret: RetFull})
		assert.Equal(t, "message/delivery-status", rb.parts[1].contentType)
		assert.True(t, mailsyntax.IsASCII(raw))
		assert.Equal(t, `utf-8; bob\x{2B}x@hosted.example`, rb.recipient(0).Get("Original-Recipient"), "7-bit utf-8-addr-xtext form")
	})
}

// RFC 5322 §2.2.3 and RFC 3464 §2.3.6: a long Diagnostic-Code is folded
// at spaces, and unfolding gives it back exactly.
func TestComposeFoldsDiagnosticRFC5322Section2_2_3(t *testing.T) {
	_, diag := StatusFromReply("550-5.7.26 This mail is unauthenticated, which poses a security risk to the\r\n"+
		"550-5.7.26 sender and Gmail users, and has been blocked. The sender must\r\n"+
		"550-5.7.26 authenticate with at least one of SPF or DKIM.  For this message,\r\n"+
		"550 5.7.26 DKIM checks did not pass and SPF check for [example.org] did not pass", true)
	r := failureReport()
	r.Recipients[0].Status = Status{5, 7, 26}
	r.Recipients[0].DiagnosticCode = diag
	r.Extensions = []Field{{"X-Long", strings.Repeat("word ", 40) + "   spaced   end"}}
	_, _, raw := composeOK(t, r, "", testOptions())
	lines := strings.Split(string(raw), "\r\n")
	var field string
	for i, line := range lines {
		if strings.HasPrefix(line, "Diagnostic-Code:") {
			field = line
			for _, cont := range lines[i+1:] {
				if cont == "" || (cont[0] != ' ' && cont[0] != '\t') {
					break
				}
				field += cont
			}
		}
		if strings.HasPrefix(line, "Diagnostic-Code:") || strings.HasPrefix(line, "X-Long:") || strings.HasPrefix(line, " ") {
			assert.LessOrEqual(t, len(line), 78, "folded within 78: %q", line)
			assert.NotEmpty(t, strings.TrimSpace(line), "no whitespace-only line")
		}
	}
	assert.Equal(t, "Diagnostic-Code: smtp; "+diag, field, "unfolding restores the value")
	assert.Contains(t, diag, "DKIM.  For", "double spaces survive")
}

// RFC 6522 §3: the human-readable part, replaceable by the caller.
func TestComposeTextPartRFC6522Section3(t *testing.T) {
	rb, _, _ := composeOK(t, failureReport(), "", testOptions())
	assert.Equal(t, "us-ascii", rb.parts[0].params["charset"])
	assert.Equal(t, "This is the mail system at mx.hosted.example.\r\n\r\n"+
		"Your message could not be delivered to one or more recipients.\r\n\r\n"+
		"<bob@hosted.example>: failed (5.1.1): 550 5.1.1 <bob@hosted.example>: no such user\r\n",
		string(rb.parts[0].body))

	r := failureReport()
	r.Text = "Custom text\nwith = signs"
	rb, _, _ = composeOK(t, r, "", testOptions())
	assert.Equal(t, "Custom text\r\nwith = signs\r\n", string(rb.parts[0].body))

	opts := testOptions()
	opts.Text = func(w io.Writer, r *Report) error {
		_, err := w.Write([]byte("Ihre Nachricht an " + r.Recipients[0].FinalRecipient.Addr + " konnte nicht zugestellt werden. " + strings.Repeat("ä", 600) + "\n\x00"))
		return err
	}
	rb, _, _ = composeOK(t, failureReport(), "", opts)
	assert.Equal(t, "utf-8", rb.parts[0].params["charset"])
	assert.Equal(t, "quoted-printable", rb.parts[0].header.Get("Content-Transfer-Encoding"))
	assert.Equal(t, "Ihre Nachricht an bob@hosted.example konnte nicht zugestellt werden. "+strings.Repeat("ä", 600)+"\r\n\x00\r\n", string(rb.parts[0].body))

	// CR, LF and CRLF are each one line break, also quoted-printable:
	// mime/quotedprintable alone writes "\r\x05\n" as "\r\n=05".
	r = failureReport()
	r.Text = "a\r\x05\nb\rc\r\n"
	rb, _, _ = composeOK(t, r, "", testOptions())
	assert.Equal(t, "quoted-printable", rb.parts[0].header.Get("Content-Transfer-Encoding"))
	assert.Equal(t, "a\r\n\x05\r\nb\r\nc\r\n", string(rb.parts[0].body))
	r.Text = "one\rtwo\r\n\rthree"
	rb, _, _ = composeOK(t, r, "", testOptions())
	assert.Equal(t, "one\r\ntwo\r\n\r\nthree\r\n", string(rb.parts[0].body))

	// Parse keeps 64 KiB of the part: a longer caller's text is refused.
	opts = testOptions()
	opts.Text = func(w io.Writer, _ *Report) error {
		_, err := io.WriteString(w, strings.Repeat("ä", 33<<10))
		return err
	}
	_, err := Compose(io.Discard, failureReport(), nil, opts)
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ComposeOptions.Text", fe.Field)

	hookErr := errors.New("template failed")
	opts.Text = func(io.Writer, *Report) error { return hookErr }
	_, err = Compose(io.Discard, failureReport(), nil, opts)
	assert.ErrorIs(t, err, hookErr)
}

// However the original arrives, a byte at a time or with its last bytes
// and io.EOF together, the DSN is the same.
func TestComposeReaderShapes(t *testing.T) {
	for _, orig := range []string{testOriginal, "Subject: a\n\r\nbody\r\n", "A: b\r\n\r\n", "\r\n\r\nx", "Subject: lone\r\r\n\r\nbody", strings.Repeat("X-H: v\r\n", 2000) + "\r\n" + strings.Repeat("body\n", 3000)} {
		for _, o := range []ComposeOptions{{Ret: RetFull}, {Ret: RetHdrs}, {Ret: RetFull, ReturnSizeLimit: 10000}, {Ret: RetFull, SevenBit: true}} {
			opts := testOptions()
			opts.Ret, opts.ReturnSizeLimit, opts.SevenBit = o.Ret, o.ReturnSizeLimit, o.SevenBit
			var want bytes.Buffer
			wantEnv, err := Compose(&want, failureReport(), strings.NewReader(orig), opts)
			require.NoError(t, err)
			readBackDSN(t, want.Bytes())
			for name, r := range map[string]io.Reader{
				"one byte": iotest.OneByteReader(strings.NewReader(orig)),
				"half":     iotest.HalfReader(strings.NewReader(orig)),
				"data+EOF": iotest.DataErrReader(strings.NewReader(orig)),
			} {
				var got bytes.Buffer
				env, err := Compose(&got, failureReport(), r, opts)
				require.NoError(t, err, name)
				assert.True(t, bytes.Equal(want.Bytes(), got.Bytes()), "%s %q", name, orig[:min(len(orig), 20)])
				assert.Equal(t, wantEnv, env, name)
			}
		}
	}
	_, err := Compose(io.Discard, failureReport(), emptyReader{}, ComposeOptions{})
	assert.ErrorIs(t, err, io.ErrNoProgress, "a reader that never progresses")
}

// emptyReader returns 0, nil for ever.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestComposeDoesNotModifyReport(t *testing.T) {
	r := failureReport()
	r.Recipients[0].Status = Status{}
	r.To = "<@a:alice@example.org>"
	before := *r
	before.Recipients = append([]Recipient(nil), r.Recipients...)
	composeOK(t, r, testOriginal, ComposeOptions{Ret: RetFull})
	assert.True(t, reflect.DeepEqual(&before, r))
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

func TestComposeIOErrors(t *testing.T) {
	for _, after := range []int{0, 100, 1000} {
		_, err := Compose(&failWriter{after: after}, failureReport(), strings.NewReader(testOriginal), ComposeOptions{Ret: RetFull})
		assert.EqualError(t, err, "disk full")
	}
	_, err := Compose(io.Discard, failureReport(), failReader{}, ComposeOptions{})
	assert.EqualError(t, err, "read failed")
	_, err = Compose(io.Discard, failureReport(), io.MultiReader(strings.NewReader(testOriginal), failReader{}), ComposeOptions{Ret: RetFull})
	assert.EqualError(t, err, "read failed")
	// An odd original is no reason for no report: a header block over
	// 1 MB is not returned.
	env, err := Compose(io.Discard, failureReport(), strings.NewReader(strings.Repeat("X-Long: header\r\n", 70000)), ComposeOptions{})
	require.NoError(t, err, "a header block over 1 MB")
	assert.Equal(t, ReturnNone, env.Returned)
}

// genReader generates a message of n bytes on the fly: a header, then
// 76-character lines.
type genReader struct {
	header string
	n, off int64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n-g.off)]
	for i := range p {
		pos := g.off + int64(i)
		switch {
		case pos < int64(len(g.header)):
			p[i] = g.header[pos]
		case (pos-int64(len(g.header)))%78 == 76:
			p[i] = '\r'
		case (pos-int64(len(g.header)))%78 == 77:
			p[i] = '\n'
		default:
			p[i] = 'a' + byte(pos%26)
		}
	}
	g.off += int64(len(p))
	return len(p), nil
}

// A 100 MB original returned in full with no size limit is streamed: the
// heap stays bounded by small buffers, not by the message.
func TestComposeStreams100MB(t *testing.T) {
	size := int64(100 << 20)
	if testing.Short() {
		size = 10 << 20
	}
	orig := &genReader{header: headerLinesOf(testOriginal) + "\r\n", n: size}
	var returned int64
	peak := peakHeapDuring(t, func() {
		// The DSN is read back as it streams: net/mail and mime/multipart
		// find its three parts and the whole original in the third.
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			env, err := Compose(pw, failureReport(), orig, ComposeOptions{Ret: RetFull})
			if err == nil && env.Returned != ReturnFull {
				err = errors.New("not returned in full")
			}
			pw.CloseWithError(err)
			done <- err
		}()
		m, err := mail.ReadMessage(pr)
		require.NoError(t, err)
		_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
		require.NoError(t, err)
		mr := multipart.NewReader(m.Body, params["boundary"])
		var types []string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			types = append(types, p.Header.Get("Content-Type"))
			returned, err = io.Copy(io.Discard, p)
			require.NoError(t, err)
		}
		require.NoError(t, <-done)
		assert.Equal(t, []string{"text/plain; charset=us-ascii", "message/delivery-status", "message/rfc822"}, types)
	})
	assert.Equal(t, size, returned, "the whole original comes back")
	t.Logf("peak heap growth while composing a %d MB DSN: %.2f MB", size>>20, float64(peak)/(1<<20))
	assert.Less(t, peak, uint64(16<<20), "peak heap under 16 MB")
}

// peakHeapDuring runs f while sampling the heap, and returns the highest
// heap in use above the level before f ran.
func peakHeapDuring(t testing.TB, f func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, total := ms.HeapAlloc, ms.TotalAlloc
	done := make(chan struct{})
	peakc := make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				peakc <- peak
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	peak := <-peakc
	runtime.ReadMemStats(&ms)
	// Allocated in all, garbage included: bounded too, so the peak is not
	// an accident of when the sampler looked.
	assert.Less(t, ms.TotalAlloc-total, uint64(16<<20), "bytes allocated in all")
	if peak < base {
		return 0
	}
	return peak - base
}

// readBack is a composed DSN as net/mail and mime/multipart read it.
type readBack struct {
	header mail.Header
	parts  []readBackPart
	// groups are the delivery-status field groups, message fields first;
	// order holds each group's field names as written.
	groups []textproto.MIMEHeader
	order  [][]string
}

type readBackPart struct {
	contentType string
	params      map[string]string
	header      textproto.MIMEHeader
	body        []byte // transfer-decoded by mime/multipart
}

// readBackDSN reads a composed DSN with the standard library and checks
// its framing on the way: CRLF line endings only, lines of at most 998
// characters, multipart/report; report-type=delivery-status (RFC 6522 §3)
// with a text part, a delivery-status part and at most one more.
func readBackDSN(t testing.TB, raw []byte) *readBack {
	t.Helper()
	checkLines(t, raw)
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	rb := &readBack{header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/report", mt)
	require.Equal(t, "delivery-status", params["report-type"])
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(p)
		require.NoError(t, err)
		ct, cparams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		require.NoError(t, err)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body, err = io.ReadAll(quotedPrintableReader(body))
			require.NoError(t, err)
		}
		rb.parts = append(rb.parts, readBackPart{ct, cparams, p.Header, body})
	}
	require.GreaterOrEqual(t, len(rb.parts), 2, "a text part and a status part")
	require.LessOrEqual(t, len(rb.parts), 3)
	require.Equal(t, "text/plain", rb.parts[0].contentType)
	require.Contains(t, []string{"message/delivery-status", "message/global-delivery-status"}, rb.parts[1].contentType)
	header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	checkNoLineBreaks(t, "header", header)
	checkNoLineBreaks(t, "delivery-status part", rb.parts[1].body)
	for i, p := range rb.parts {
		for name, values := range p.header {
			checkNoLineBreaks(t, fmt.Sprintf("part %d %s", i+1, name), []byte(strings.Join(values, " ")))
		}
	}
	rb.groups, rb.order = readStatusGroups(t, rb.parts[1].body)
	return rb
}

// checkNoLineBreaks checks header lines, their CRLFs aside, for what a
// reader could take as a line break or a control: C0, DEL, C1, U+2028 and
// U+2029 (RFC 5322 §2.2, RFC 6855 §3).
func checkNoLineBreaks(t testing.TB, what string, lines []byte) {
	t.Helper()
	for _, line := range strings.Split(string(lines), "\r\n") {
		for _, r := range line {
			bad := r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0x2028 || r == 0x2029
			require.False(t, bad, "%s: %U in %q", what, r, line)
		}
	}
}

func checkLines(t testing.TB, raw []byte) {
	t.Helper()
	for i, line := range bytes.SplitAfter(raw, []byte("\r\n")) {
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		require.NotContains(t, string(body), "\n", "line %d: bare LF", i+1)
		require.NotContains(t, string(body), "\r", "line %d: bare CR", i+1)
		require.LessOrEqual(t, len(body), 998, "line %d too long (RFC 5322 §2.1.1)", i+1)
	}
	require.True(t, bytes.HasSuffix(raw, []byte("\r\n")), "ends with CRLF")
}

// readStatusGroups reads the blank-line separated field groups of a
// delivery-status body (RFC 3464 §2.1) with textproto.
func readStatusGroups(t testing.TB, body []byte) ([]textproto.MIMEHeader, [][]string) {
	t.Helper()
	var groups []textproto.MIMEHeader
	var order [][]string
	for _, block := range strings.Split(strings.TrimRight(string(body), "\r\n"), "\r\n\r\n") {
		tr := textproto.NewReader(bufio.NewReader(strings.NewReader(block + "\r\n\r\n")))
		h, err := tr.ReadMIMEHeader()
		require.NoError(t, err, "group %q", block)
		groups = append(groups, h)
		var names []string
		for _, line := range strings.Split(block, "\r\n") {
			if line != "" && line[0] != ' ' && line[0] != '\t' {
				name, _, _ := strings.Cut(line, ":")
				names = append(names, name)
			}
		}
		order = append(order, names)
	}
	return groups, order
}

// returned is the third part, or nil.
func (rb *readBack) returned() *readBackPart {
	if len(rb.parts) < 3 {
		return nil
	}
	return &rb.parts[2]
}

// recipient returns the field group of the i-th recipient.
func (rb *readBack) recipient(i int) textproto.MIMEHeader { return rb.groups[1+i] }

func quotedPrintableReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }

func TestIsASCIIText(t *testing.T) {
	for n := range 20 {
		for at := -1; at < n; at++ {
			b := bytes.Repeat([]byte{'a'}, n)
			if at >= 0 {
				b[at] = 0x80
			}
			assert.Equal(t, at < 0, mailsyntax.IsASCII(b), "%d bytes, high bit at %d", n, at)
			assert.Equal(t, at < 0, mailsyntax.IsASCII(string(b)), "%d bytes, high bit at %d", n, at)
		}
	}
}
