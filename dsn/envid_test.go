package dsn

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envIDs draws decoded ENVIDs of printable ASCII, spaces included, as an
// SMTP server library hands them over (go-smtp decodes the xtext and
// refuses anything but printable ASCII, RFC 3461 §4.4), up to 100
// characters: every single character, and random strings heavy in spaces.
func envIDs() []string {
	var ids []string
	for c := byte(' '); c <= '~'; c++ {
		ids = append(ids, string(c), "a"+string(c)+"b")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, 1+rng.IntN(100))
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = ' '
			} else {
				b[i] = byte(' ' + rng.IntN('~'-' '+1))
			}
		}
		ids = append(ids, string(b))
	}
	return append(ids, "a"+strings.Repeat(" ", 98)+"b", strings.Repeat("+=", 50))
}

// TestEnvIDRoundTripRFC3461Section4_4: every decoded ENVID a DSN can
// carry passes CheckEnvID and reads back exactly from Original-Envelope-Id
// (RFC 3464 §2.2.1) and from its xtext; the only ones refused are those
// with white space at an end, which header unfolding drops (RFC 5322
// §2.2.3), and the error says so.
func TestEnvIDRoundTripRFC3461Section4_4(t *testing.T) {
	accepted := 0
	for _, id := range envIDs() {
		err := CheckEnvID(id)
		if strings.TrimSpace(id) != id {
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%q: %v", id, err)
			assert.Equal(t, "ENVID", fe.Field)
			assert.Contains(t, fe.Rule, "white space, which header unfolding drops (RFC 5322 §2.2.3)")
			continue
		}
		require.NoError(t, err, "%q", id)
		accepted++
		back, err := ParseEnvID(EncodeXtext(id))
		require.NoError(t, err, "%q", id)
		require.Equal(t, id, back, "xtext")

		r := &Report{
			To:                 "alice@example.org",
			ReportingMTA:       "mx.example.net",
			OriginalEnvelopeID: id,
			Recipients:         []Recipient{{FinalRecipient: Address{"rfc822", "bob@example.com"}, Action: ActionFailed}},
		}
		var buf bytes.Buffer
		_, err = Compose(&buf, r, nil, roundTripOptions)
		require.NoError(t, err, "%q", id)
		got, err := Parse(&buf)
		require.NoError(t, err, "%q", id)
		require.Equal(t, id, got.OriginalEnvelopeID, "Original-Envelope-Id")
	}
	assert.Greater(t, accepted, 400)
}
