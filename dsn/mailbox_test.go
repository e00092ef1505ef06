package dsn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		assert.ErrorIs(t, err, ErrInvalidField, "%q", tt.addr)
		if fe, ok := err.(*FieldError); assert.True(t, ok, "%q", tt.addr) {
			assert.Equal(t, "Mailbox", fe.Field)
			assert.Contains(t, fe.Reason, "(RFC ")
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
	assert.ErrorIs(t, CheckHostname("mx example"), ErrInvalidField)
}

// TestCheckEnvIDRFC3461Section4_4: a decoded ENVID as Original-Envelope-Id
// carries it.
func TestCheckEnvIDRFC3461Section4_4(t *testing.T) {
	for _, id := range []string{"", "QQ314159", strings.Repeat("x", 100), "a b"} {
		assert.NoError(t, CheckEnvID(id), "%q", id)
	}
	for _, id := range []string{"a\nb", "é", strings.Repeat("x", 101), " a", "a "} {
		assert.ErrorIs(t, CheckEnvID(id), ErrInvalidField, "%q", id)
	}
}

// TestCheckActionStatusRFC3464Section2_3_4: the status class agrees with
// the action; a failure may be 4.x.x once retries ran out.
func TestCheckActionStatusRFC3464Section2_3_4(t *testing.T) {
	for _, tt := range []struct {
		action Action
		status Status
		field  string // "" when it passes
	}{
		{ActionFailed, Status{5, 1, 1}, ""},
		{ActionFailed, Status{4, 4, 7}, ""},
		{ActionFailed, Status{}, ""}, // Compose fills it in
		{ActionDelayed, Status{4, 4, 1}, ""},
		{ActionDelivered, Status{2, 0, 0}, ""},
		{ActionRelayed, Status{2, 0, 0}, ""},
		{ActionExpanded, Status{2, 0, 0}, ""},
		{ActionFailed, Status{2, 0, 0}, "Status"},
		{ActionDelayed, Status{5, 0, 0}, "Status"},
		{ActionDelivered, Status{4, 0, 0}, "Status"},
		{ActionFailed, Status{5, 1000, 0}, "Status"},
		{"lost", Status{5, 0, 0}, "Action"},
		{"", Status{5, 0, 0}, "Action"},
	} {
		err := CheckActionStatus(tt.action, tt.status)
		if tt.field == "" {
			assert.NoError(t, err, "%s %v", tt.action, tt.status)
			continue
		}
		var fe *FieldError
		require.ErrorAs(t, err, &fe, "%s %v", tt.action, tt.status)
		assert.Equal(t, tt.field, fe.Field, "%s %v", tt.action, tt.status)
	}
}

// TestComposeRefusesMailboxWithoutDomain: "alice@" is no Mailbox
// (RFC 5321 §4.1.2).
func TestComposeRefusesMailboxWithoutDomainRFC5321Section4_1_2(t *testing.T) {
	r := &Report{To: "alice@", ReportingMTA: "mx.example.org",
		Recipients: []Recipient{{FinalRecipient: Address{Type: "rfc822", Addr: "bob@example.net"}, Action: ActionFailed}}}
	_, err := Compose(&strings.Builder{}, r, nil, ComposeOptions{})
	assert.ErrorIs(t, err, ErrInvalidField)
	assert.ErrorContains(t, err, "To")
}
