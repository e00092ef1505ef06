package policy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnvIDFromSMTPServer: an ENVID as go-smtp hands it over, xtext
// already undone, goes into the event as it is and comes back exactly
// from the DSN's Original-Envelope-Id (RFC 3461 §4.4, RFC 3464 §2.2.1);
// only what the DSN cannot carry is refused, saying why.
func TestEnvIDFromSMTPServer(t *testing.T) {
	p := testPolicy(&fakeChecker{result: "pass"})
	for _, id := range []string{"QQ314159", "a b", "two  spaces", "+=;:()<>\"\\", strings.Repeat("x y", 33) + "z"} {
		ev := testEvent()
		ev.EnvID = id
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err, "%q", id)
		require.NotNil(t, d.DSN, "%q", id)
		r, err := dsn.Parse(strings.NewReader(string(d.DSN.Data)))
		require.NoError(t, err)
		assert.Equal(t, id, r.OriginalEnvelopeID)
	}
	for id, why := range map[string]string{
		" leading":               "white space, which header unfolding drops",
		"trailing ":              "white space, which header unfolding drops",
		strings.Repeat("x", 101): "longer than 100 characters (RFC 3461 §4.4)",
		"tab\there":              "not printable ASCII",
	} {
		ev := testEvent()
		ev.EnvID = id
		err := ev.Validate()
		var fe *dsn.FieldError
		require.True(t, errors.As(err, &fe), "%q: %v", id, err)
		assert.ErrorIs(t, err, ErrInvalidEvent)
		assert.Equal(t, "envid", fe.Field)
		assert.Contains(t, fe.Rule, why, "%q", id)
	}
}
