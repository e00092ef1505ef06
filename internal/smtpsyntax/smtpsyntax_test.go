package smtpsyntax

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCheckMailboxRFC5321Section4_1_2: the Mailbox of a path, within the
// lengths of RFC 5321 §4.5.3.1, UTF-8 only with SMTPUTF8 (RFC 6531 §3.3).
func TestCheckMailboxRFC5321Section4_1_2(t *testing.T) {
	tests := []struct {
		addr     string
		smtputf8 bool
		ok       bool
	}{
		{"alice@example.org", false, true},
		{`"alice smith"@example.org`, false, true},
		{`"a\"b"@example.org`, false, true},
		{"alice@[192.0.2.1]", false, true},
		{"alice@[IPv6:2001:db8::1]", false, true},
		{"alice@[ipv6:2001:db8::1]", false, true}, // RFC 5234 §2.3: any case
		{"alice@mail_1.example.org", false, true},
		{"jörg@bücher.example", true, true},
		{strings.Repeat("a", 64) + "@example.org", false, true},
		{"alice", false, false},
		{"alice@", false, false},       // no domain
		{"@example.org", false, false}, // no local part
		{"alice.@example.org", false, false},
		{`"a"b"@example.org`, false, false},
		{"alice@[1.2.3.4]:25", false, false},
		{"alice@[IPv6:fe80::1%eth0]", false, false},
		{"alice@192.0.2.1", false, false}, // RFC 1123 §2.1: an IP goes in brackets
		{"alice@example.org.", false, false},
		{"alice@..", false, false},
		{"jörg@example.org", false, false},   // RFC 6531 §3.3
		{"j\xffrg@example.org", true, false}, // invalid UTF-8
		{"alice@example.org\r\nBcc: x@y", false, false},
		{strings.Repeat("a", 65) + "@example.org", false, false},     // RFC 5321 §4.5.3.1.1
		{"a@" + strings.Repeat("b.", 125) + "example", false, false}, // RFC 5321 §4.5.3.1.3
	}
	for _, tt := range tests {
		err := CheckMailbox(tt.addr, tt.smtputf8)
		if tt.ok {
			assert.NoError(t, err, "%q", tt.addr)
			continue
		}
		if assert.Error(t, err, "%q", tt.addr) {
			assert.Contains(t, err.Error(), "(RFC ", "the rule names its RFC section")
		}
	}
}

// TestCheckHostnameRFC1035Section2_3_1: host names, and with CheckDomain
// address literals too (RFC 5321 §4.1.3).
func TestCheckHostnameRFC1035Section2_3_1(t *testing.T) {
	tests := []struct {
		name          string
		hostname, dom bool
	}{
		{"mx.example.org", true, true},
		{"mail_1.example.org", true, true},
		{"3com.example", true, true}, // RFC 1123 §2.1: leading digits
		{"[192.0.2.1]", false, true},
		{"[IPv6:2001:db8::1]", false, true},
		{"", false, false},
		{"192.0.2.1", false, false}, // RFC 1123 §2.1
		{"mx.example.org.", false, false},
		{"mx..example", false, false},
		{"-mx.example", false, false},
		{"mx-.example", false, false},
		{"mx example", false, false},
		{"mx\n.example", false, false},
		{"mäil.example", false, false}, // A-labels only
		{strings.Repeat("a", 64) + ".example", false, false},
		{"[192.0.2.1", false, false},
		{"[IPv6:192.0.2.1]", false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.hostname, CheckHostname(tt.name) == nil, "CheckHostname(%q)", tt.name)
		assert.Equal(t, tt.dom, CheckDomain(tt.name) == nil, "CheckDomain(%q)", tt.name)
	}
}

// TestUnicodeLineBreaksInMailboxRFC6855Section3: no line or paragraph
// separator, nor C1 control, in a UTF-8 mailbox, which a header holds.
func TestUnicodeLineBreaksInMailboxRFC6855Section3(t *testing.T) {
	for _, br := range []rune{0x85, 0x2028, 0x2029, 0x9f} {
		s := string(br)
		assert.Error(t, CheckMailbox("j"+s+"rg@example.de", true), "%U", br)
		assert.Error(t, CheckMailbox("jorg@ex"+s+"ample.de", true), "%U", br)
	}
}

func TestReversePath(t *testing.T) {
	for in, want := range map[string]string{
		"<alice@example.org>":                "alice@example.org",
		"alice@example.org":                  "alice@example.org",
		"<@relay.example:alice@example.org>": "alice@example.org",
		"<@a,@b:alice@example.org>":          "alice@example.org",
		"<>":                                 "",
		"":                                   "",
	} {
		got, err := ReversePath(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ReversePath("<@relay.example>")
	assert.ErrorContains(t, err, "source route")
}

func TestReplyLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		code int
		text string
		ok   bool
	}{
		{"550 5.1.1 no such user", 550, "5.1.1 no such user", true},
		{"250-first", 250, "first", true},
		{"421", 421, "", true},
		{"55 short", 0, "", false},
		{"5a0 x", 0, "", false},
		{"550x", 0, "", false},
	} {
		code, text, ok := ReplyLine(tt.line)
		assert.Equal(t, tt.ok, ok, tt.line)
		assert.Equal(t, tt.code, code, tt.line)
		assert.Equal(t, tt.text, text, tt.line)
	}
}
