package dsn

import (
	"bytes"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file each hold a report the audit found Compose took
// but should not have, or wrote wrong.

// composeErr composes r and returns its FieldError, failing when there is
// none.
func composeErr(t *testing.T, r *Report, msg string) *FieldError {
	t.Helper()
	var buf bytes.Buffer
	_, err := Compose(&buf, r, nil, testOptions())
	var fe *FieldError
	require.ErrorAs(t, err, &fe, msg)
	assert.Zero(t, buf.Len(), "nothing written")
	assert.NotContains(t, fe.Error(), "\n")
	return fe
}

// RFC 5321 §4.1.3: an address literal has no zone; a zone's text would
// have written a new field line.
func TestComposeRefusesIPv6ZoneRFC5321Section4_1_3(t *testing.T) {
	zoned := netip.MustParseAddr("fe80::1").WithZone("a\r\n\r\nFinal-Recipient: rfc822; evil@x")
	r := failureReport()
	r.ReceivedFromMTA.IP = zoned
	assert.Equal(t, "ReceivedFromMTA.IP", composeErr(t, r, "ReceivedFromMTA").Field)
	r = failureReport()
	r.Recipients[0].RemoteMTA = MTA{IP: zoned}
	assert.Equal(t, "Recipients[0].RemoteMTA.IP", composeErr(t, r, "RemoteMTA").Field)
	r = failureReport()
	r.Recipients[0].RemoteMTA.IP = netip.MustParseAddr("fe80::1%eth0")
	assert.Equal(t, "Recipients[0].RemoteMTA.IP", composeErr(t, r, "plain zone").Field)
}

// RFC 3464 §2.4: extension fields bring new names; one of §2.2 or §2.3
// would read back as that field, a second recipient or a broken report.
func TestComposeRefusesRFC3464NamesAsExtensionsRFC3464Section2_4(t *testing.T) {
	for _, name := range knownFields {
		for _, spelling := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
			r := failureReport()
			r.Extensions = []Field{{spelling, "failed"}}
			assert.Equal(t, "Extensions[0].Name", composeErr(t, r, spelling).Field)
			r = failureReport()
			r.Recipients[0].Extensions = []Field{{"X-Ok", "v"}, {spelling, "rfc822; evil@x"}}
			assert.Equal(t, "Recipients[0].Extensions[1].Name", composeErr(t, r, spelling).Field)
		}
	}
	assert.Contains(t, knownFields, "dsn-gateway")
}

// RFC 5321 §4.1.2: the return path is a Mailbox, after a source route;
// UTF-8 only with SMTPUTF8 (RFC 6531 §3.3); the lengths of §4.5.3.1.
func TestComposeReturnPathIsMailboxRFC5321Section4_1_2(t *testing.T) {
	for _, tt := range []struct {
		to, rcpt string // rcpt "" for refused
		smtputf8 bool
	}{
		{"a@b.example", "a@b.example", false},
		{"<a@b.example>", "a@b.example", false},
		{"<@r1.example,@r2.example:c@d.example>", "c@d.example", false},
		{`"a b(c)"@x.example`, `"a b(c)"@x.example`, false},
		{`"a\"b"@x.example`, `"a\"b"@x.example`, false},
		{"first.last+tag@x.example", "first.last+tag@x.example", false},
		{"a@[192.0.2.1]", "a@[192.0.2.1]", false},
		{"a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]", false},
		{"jörg@exämple.de", "jörg@exämple.de", true},
		{strings.Repeat("l", 64) + "@x.example", strings.Repeat("l", 64) + "@x.example", false},
		{"a@b, evil@x", "", false},
		{"a b(c)@x.example", "", false},
		{"a@b@c.example", "", false},
		{"noat", "", false},
		{"@relay.example", "", false},
		{"@relay.example:", "", false},
		{".a@x.example", "", false},
		{"a..b@x.example", "", false},
		{`"a"b"@x.example`, "", false},
		{`"a\"@x.example`, "", false},
		{"a@-x.example", "", false},
		{"a@[192.0.2.1", "", false},
		{"jörg@example.de", "", false},
		{strings.Repeat("l", 65) + "@x.example", "", false},
		{"a@" + strings.Repeat("d", 60) + strings.Repeat(".d23456789", 20), "", false},
		{strings.Repeat("l", 60) + "@" + strings.Repeat(".d23456789", 19)[1:] + ".example", "", false},
	} {
		r := failureReport()
		r.To, r.SMTPUTF8 = tt.to, tt.smtputf8
		if tt.rcpt == "" {
			fe := composeErr(t, r, tt.to)
			assert.Equal(t, "To", fe.Field, tt.to)
			assert.Regexp(t, `\(RFC \d+ §[\d.]+\)$`, fe.Rule)
			continue
		}
		rb, env, _ := composeOK(t, r, "", testOptions())
		assert.Equal(t, tt.rcpt, env.RcptTo)
		assert.Equal(t, "<"+tt.rcpt+">", rb.header.Get("To"))
	}
}

// RFC 5322 §3.6.2: From is one address; §3.6.4: a Message-ID is
// id-left "@" id-right, dot-atom-text or no-fold-literal on the right.
func TestComposeFromAndMessageIDRFC5322Section3_6(t *testing.T) {
	for _, from := range []string{"postmaster@mx.hosted.example", "Mail System <postmaster@mx.hosted.example>", `"Mail, System" <m@x.example>`} {
		r := failureReport()
		r.From = from
		rb, _, _ := composeOK(t, r, "", testOptions())
		assert.Equal(t, from, rb.header.Get("From"))
	}
	for _, from := range []string{"not an address <", "a@b, c@d", "<>", "a"} {
		r := failureReport()
		r.From = from
		assert.Equal(t, "From", composeErr(t, r, from).Field)
	}
	for _, id := range []string{"a.b@c.d", "<a.b@c.d>", "x@[192.0.2.1]", "q3!#$%&'*+-/=?^_`{|}~@h"} {
		r := failureReport()
		r.MessageID = id
		rb, _, _ := composeOK(t, r, "", testOptions())
		assert.Equal(t, "<"+mailsyntax.Unbracket(id)+">", rb.header.Get("Message-ID"))
	}
	for _, id := range []string{"noat", `a,b"c@[x]`, "<a@b", "a@b>", "a b@c", "a@b@c", ".a@b", "a@b.", "a@[x]]", "a@[x\\]", "@b", "a@", "é@b"} {
		r := failureReport()
		r.MessageID = id
		assert.Equal(t, "MessageID", composeErr(t, r, id).Field)
		opts := testOptions()
		opts.MessageID = func() string { return id }
		_, err := Compose(io.Discard, failureReport(), nil, opts)
		assert.ErrorContains(t, err, "ComposeOptions.MessageID", id)
	}
}

// RFC 5322 §3.6.4: In-Reply-To and References from the original's
// Message-ID, comments and folding removed; none for a malformed one.
func TestComposeInReplyToRFC5322Section3_6_4(t *testing.T) {
	for in, want := range map[string]string{
		"Message-ID: <m@x> (c)\r\n":                  "<m@x>",
		"Message-ID: (a (nested) comment) <m@x>\r\n": "<m@x>",
		"Message-ID:\r\n <m@x.example>\r\n":          "<m@x.example>",
		"message-id: <m@[192.0.2.1]>\r\n":            "<m@[192.0.2.1]>",
		"Message-ID: <noat>\r\n":                     "",
		"Message-ID: <a b@x>\r\n":                    "",
		"Message-ID: <a@x> <b@y>\r\n":                "",
		"Message-ID: m@x\r\n":                        "",
		"Message-ID: <é@x>\r\n":                      "",
	} {
		rb, _, _ := composeOK(t, failureReport(), in+"Subject: s\r\n\r\nbody\r\n", testOptions())
		assert.Equal(t, want, rb.header.Get("In-Reply-To"), in)
		assert.Equal(t, want, rb.header.Get("References"), in)
	}
	// RFC 6532 §3.2: a UTF-8 id only in an SMTPUTF8 report.
	r := failureReport()
	r.SMTPUTF8 = true
	rb, _, _ := composeOK(t, r, "Message-ID: <é@x>\r\n\r\nbody\r\n", testOptions())
	assert.Equal(t, "<é@x>", rb.header.Get("In-Reply-To"))
}

// RFC 5321 §4.1.3: an MTA known by its IP alone is an address literal,
// tagged for IPv6, and reads back as the same IP.
func TestComposeAddressLiteralRFC5321Section4_1_3(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.1":        "dns; [192.0.2.1]",
		"2001:db8::1":      "dns; [IPv6:2001:db8::1]",
		"::ffff:192.0.2.1": "dns; [IPv6:::ffff:192.0.2.1]",
	} {
		r := failureReport()
		r.ReceivedFromMTA = MTA{IP: netip.MustParseAddr(ip)}
		r.Recipients[0].RemoteMTA = MTA{IP: netip.MustParseAddr(ip)}
		rb, _, raw := composeOK(t, r, "", testOptions())
		assert.Equal(t, want, rb.groups[0].Get("Received-From-MTA"))
		assert.Equal(t, want, rb.recipient(0).Get("Remote-MTA"))
		back, err := Parse(bytes.NewReader(raw))
		require.NoError(t, err)
		assert.Equal(t, r.ReceivedFromMTA, back.ReceivedFromMTA)
		assert.Equal(t, r.Recipients[0].RemoteMTA, back.Recipients[0].RemoteMTA)
	}
}

// RFC 3464 §2.3.6: Compose writes a DiagnosticCode whenever it is set;
// that an smtp one comes only with a remote MTA is the caller's part.
func TestComposeWritesEveryDiagnosticRFC3464Section2_3_6(t *testing.T) {
	r := failureReport()
	r.Recipients[0].RemoteMTA = MTA{}
	rb, _, raw := composeOK(t, r, "", testOptions())
	assert.Equal(t, "smtp; "+r.Recipients[0].DiagnosticCode, rb.recipient(0).Get("Diagnostic-Code"))
	back, err := Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, r.Recipients[0].DiagnosticCode, back.Recipients[0].DiagnosticCode)
}

// RFC 5322 §2.2.3: StatusFromReply's text is trimmed after controls
// become spaces, so Compose takes it (found by the compose engineer).
func TestStatusFromReplyIsComposableRFC3464Section2_3_6(t *testing.T) {
	for reply, want := range map[string]string{
		"550 x\x05":                        "550 x",
		"\x01550 x":                        "550 x",
		"550-a\x05\r\n550 b\x7f\r\n":       "550-a 550 b",
		"550 \xffbad":                      "550 \ufffdbad",
		"550 \u0085nel\u0085":              "550  nel",
		"550 " + strings.Repeat("w", 1000): "550 " + strings.Repeat("w", maxWordLen) + " " + strings.Repeat("w", 1000-maxWordLen),
	} {
		st, diag := StatusFromReply(reply, true)
		assert.Equal(t, want, diag, "%q", reply)
		r := failureReport()
		r.SMTPUTF8 = true
		r.Recipients[0].Status, r.Recipients[0].DiagnosticCode = st, diag
		_, err := Compose(io.Discard, r, nil, testOptions())
		assert.NoError(t, err, "%q", reply)
	}
}

// A size-limited RET=FULL holds the original in about its own size, not
// in a doubling series of buffers.
func TestComposeLimitHoldsAboutTheOriginal(t *testing.T) {
	orig := benchOriginal(1 << 20)
	opts := testOptions()
	opts.Ret, opts.ReturnSizeLimit = RetFull, 2<<20
	src := bytes.NewReader(orig)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	env, err := Compose(io.Discard, failureReport(), src, opts)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, ReturnFull, env.Returned)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(len(orig))*5/4, "allocated %d bytes for a %d-byte original", allocated, len(orig))
}

// RFC 5322 §2.1: the header ends at the first empty line whatever the
// line breaks and however the original arrives: read whole or a byte at
// a time, Compose returns the same header.
func TestComposeHeaderEndAcrossReadsRFC5322Section2_1(t *testing.T) {
	for _, orig := range []string{
		"Subject: x\r\n\r\nbody\r\n",
		"Subject: x\n\nbody\n",
		"Subject: x\r\rbody\r",
		"Subject: x\r\nA: b\rC: d\r\r\nbody",
		"Subject: x\n\r\nbody",
		"Subject: x\r\n\rbody",
		"A: b\rSubject: x\r\n\r\nbody",
		"\r\nbody",
		"\rbody",
		"Subject: no body\r",
		"Subject: no body\r\n",
	} {
		whole, _, _ := composeOK(t, failureReport(), orig, ComposeOptions{Ret: RetHdrs})
		var buf bytes.Buffer
		_, err := Compose(&buf, failureReport(), iotest.OneByteReader(strings.NewReader(orig)), ComposeOptions{Ret: RetHdrs, Boundary: "b"})
		require.NoError(t, err)
		byByte := readBackDSN(t, buf.Bytes())
		if whole.returned() == nil {
			assert.Nil(t, byByte.returned(), "%q", orig)
			continue
		}
		assert.Equal(t, string(whole.returned().body), string(byByte.returned().body), "%q", orig)
		assert.NotContains(t, strings.Split(string(whole.returned().body), "\r\n"), "body", "%q", orig)
	}
}
