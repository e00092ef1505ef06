package dsn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
