package spf_test

import (
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

var passVerdict = spf.Verdict{
	Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org",
	ClientIP: netip.MustParseAddr("192.0.2.7"), HELO: "mail.example.org", Mechanism: "ip4:192.0.2.0/24",
}

// RFC 7208 §9.1: the field's value.
func TestReceivedSPF(t *testing.T) {
	got := passVerdict.ReceivedSPF("mx.receiver.example")
	assert.Equal(t, `pass (mx.receiver.example: domain of alice@example.org designates 192.0.2.7 as permitted sender)`+
		` client-ip=192.0.2.7; envelope-from="alice@example.org"; helo=mail.example.org;`+
		` receiver=mx.receiver.example; identity=mailfrom; mechanism="ip4:192.0.2.0/24"`, got)

	helo := spf.Verdict{Result: spf.Fail, Identity: spf.HELO, Domain: "mail.example.org", Sender: "postmaster@mail.example.org",
		ClientIP: netip.MustParseAddr("2001:db8::1"), HELO: "mail.example.org", Mechanism: "-all"}
	assert.Equal(t, `fail (domain of mail.example.org does not designate 2001:db8::1 as permitted sender)`+
		` client-ip="2001:db8::1"; helo=mail.example.org; identity=helo; mechanism=-all`, helo.ReceivedSPF(""))
}

// Nothing from the input may start a new header line or break the value.
func TestReceivedSPFHostileValues(t *testing.T) {
	v := passVerdict
	v.Sender = "a\"b\\c\r\nX-Injected: 1@example.org"
	v.HELO = "evil\r\n helo (x)"
	got := v.ReceivedSPF("mx)\r\n(")
	assert.NotContains(t, got, "\r")
	assert.NotContains(t, got, "\n")
	back, receiver, err := spf.ParseReceivedSPF(got)
	require.NoError(t, err)
	assert.Equal(t, "mx)??(", receiver)
	assert.Equal(t, `a"b\c??X-Injected: 1@example.org`, back.Sender)
	assert.Equal(t, "evil?? helo (x)", back.HELO)
}

func TestReceivedSPFRoundTrip(t *testing.T) {
	for _, v := range []spf.Verdict{
		passVerdict,
		{Result: spf.SoftFail, Identity: spf.MailFrom, Domain: "example.net", Sender: "\"odd local\"@example.net",
			ClientIP: netip.MustParseAddr("2001:db8::25"), HELO: "mx.example.net", Mechanism: "~all"},
		{Result: spf.None, Identity: spf.HELO, Domain: "mx.example.net", Sender: "postmaster@mx.example.net",
			ClientIP: netip.MustParseAddr("198.51.100.1"), HELO: "mx.example.net"},
		{Result: spf.TempError, Identity: spf.MailFrom, Domain: "example.com", Sender: "b@example.com",
			ClientIP: netip.MustParseAddr("198.51.100.1"), HELO: "[198.51.100.1]"},
	} {
		got, receiver, err := spf.ParseReceivedSPF(v.ReceivedSPF("mx.receiver.example"))
		require.NoError(t, err)
		assert.Equal(t, "mx.receiver.example", receiver)
		assert.Equal(t, v, got)
	}
}

// RFC 7208 §9.1 and real-world fields: folding, comments, field name,
// unknown keys, a trailing ";".
func TestParseReceivedSPF(t *testing.T) {
	tests := []struct {
		value    string
		want     spf.Verdict
		receiver string
	}{
		{"Received-SPF: Pass (mybox.example.org: domain of\r\n myname@example.com designates 192.0.2.1 as permitted sender)\r\n" +
			"\treceiver=mybox.example.org; client-ip=192.0.2.1;\r\n envelope-from=\"myname@example.com\"; helo=foo.example.com;",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.com", Sender: "myname@example.com",
				ClientIP: netip.MustParseAddr("192.0.2.1"), HELO: "foo.example.com"}, "mybox.example.org"},
		{"fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as permitted sender)" +
			" identity=mailfrom; client-ip=192.0.2.1; envelope-from=<>; x-extension=\"a;b\"; helo=foo.example.com",
			spf.Verdict{Result: spf.Fail, Identity: spf.MailFrom, Domain: "foo.example.com", Sender: "postmaster@foo.example.com",
				ClientIP: netip.MustParseAddr("192.0.2.1"), HELO: "foo.example.com"}, ""},
		{"none (no SPF record) identity=helo; client-ip=2001:db8::1; helo=mx.example.net",
			spf.Verdict{Result: spf.None, Identity: spf.HELO, Domain: "mx.example.net", Sender: "postmaster@mx.example.net",
				ClientIP: netip.MustParseAddr("2001:db8::1"), HELO: "mx.example.net"}, ""},
		// RFC 7208 §9.1: without identity=, envelope-from means mailfrom;
		// without either, the identity is unknown, not guessed.
		{"softfail", spf.Verdict{Result: spf.SoftFail}, ""},
		{"  Received-SPF: pass client-ip=192.0.2.1", spf.Verdict{Result: spf.Pass, ClientIP: netip.MustParseAddr("192.0.2.1")}, ""},
		{"Received-SPF: Pass (protection.outlook.com: domain of x.example designates 192.0.2.1 as permitted sender)" +
			" receiver=protection.outlook.com; client-ip=192.0.2.1; helo=mail.x.example; pr=C",
			spf.Verdict{Result: spf.Pass, ClientIP: netip.MustParseAddr("192.0.2.1"), HELO: "mail.x.example"}, "protection.outlook.com"},
		{"softfail (x) envelope-from=<a@b.example>; helo=h.example",
			spf.Verdict{Result: spf.SoftFail, Identity: spf.MailFrom, Domain: "b.example", Sender: "a@b.example", HELO: "h.example"}, ""},
	}
	for _, tt := range tests {
		got, receiver, err := spf.ParseReceivedSPF(tt.value)
		require.NoError(t, err, tt.value)
		assert.Equal(t, tt.want, got, tt.value)
		assert.Equal(t, tt.receiver, receiver, tt.value)
	}
}

func TestParseReceivedSPFErrors(t *testing.T) {
	for _, value := range []string{
		"",
		"passed (x)",
		"pass client-ip=not-an-ip",
		"pass client-ip",
		"pass client-ip=192.0.2.1 helo=x",
		`pass envelope-from="unterminated`,
		"pass =x",
		"(000\\", // found by FuzzParseReceivedSPF: a comment ending in "\\"
		"pass (unterminated comment client-ip=192.0.2.1", // RFC 5322 §3.2.2
		"pass client-ip=192.0.2.1 (unterminated",
	} {
		_, _, err := spf.ParseReceivedSPF(value)
		assert.ErrorIs(t, err, spf.ErrMalformedHeader, value)
	}
	_, _, err := spf.ParseReceivedSPF("pass client-ip=bad")
	assert.ErrorContains(t, err, "client-ip")
	assert.True(t, strings.Contains(err.Error(), "RFC 7208 §9.1"))
}

// RFC 5322 §2.1.1: the field stays within 998 characters without folding,
// leaving out the mechanism, then the comment; RFC 5321 §4.5.3.1 lengths.
func TestReceivedSPFFitsOneLine(t *testing.T) {
	label := strings.Repeat("d", 62) + "."
	domain := strings.Repeat(label, 3) + strings.Repeat("e", 59) // 248 octets
	v := spf.Verdict{Result: spf.SoftFail, Identity: spf.MailFrom, Domain: domain,
		Sender: strings.Repeat("l", 64) + "@" + domain, ClientIP: netip.MustParseAddr("2001:db8::1"),
		HELO: domain, Mechanism: "~include:" + domain}
	for _, mech := range []string{v.Mechanism, ""} {
		v.Mechanism = mech
		field := "Received-SPF: " + v.ReceivedSPF(domain)
		assert.LessOrEqual(t, len(field), 998)
		assert.NotContains(t, field, "\n")
		back, receiver, err := spf.ParseReceivedSPF(field)
		require.NoError(t, err)
		assert.Equal(t, domain, receiver)
		assert.Equal(t, v.Sender, back.Sender)
		assert.Equal(t, v.HELO, back.HELO)
		assert.Equal(t, spf.MailFrom, back.Identity)
	}
	short := passVerdict.ReceivedSPF("mx.receiver.example")
	assert.Contains(t, short, "mechanism=", "short fields keep everything")
	assert.Contains(t, short, "(mx.receiver.example: domain of")
}

// RFC 6532 §3.2: valid UTF-8 may stay; invalid UTF-8 becomes "?".
func TestReceivedSPFInvalidUTF8(t *testing.T) {
	v := passVerdict
	v.HELO = "b\xffad.example"
	v.Sender = "jösé@example.org"
	got := v.ReceivedSPF("mx.receiver.example")
	assert.True(t, utf8.ValidString(got), got)
	back, _, err := spf.ParseReceivedSPF(got)
	require.NoError(t, err)
	assert.Equal(t, "b?ad.example", back.HELO)
	assert.Equal(t, "jösé@example.org", back.Sender)
}
