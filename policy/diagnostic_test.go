package policy

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestLocalFailureKeepsItsReason: a failure with no remote MTA still
// tells the sender why, in the DSN and in the postmaster notice
// (RFC 3464 §2.3.6).
func TestLocalFailureKeepsItsReason(t *testing.T) {
	tests := []struct {
		name              string
		reply, diagnostic string
		wantType          string
		wantCode          string
	}{
		{"local SMTP reply", "550 5.1.1 <bob@hosted.example>: no such user", "", "smtp", "550 5.1.1 <bob@hosted.example>: no such user"},
		{"local diagnostic", "", "x-local; unknown user", "x-local", "unknown user"},
		{"Postfix's type", "", "X-Postfix; mailbox full", "x-postfix", "mailbox full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			ev.Recipients[0].Reply, ev.Recipients[0].Diagnostic = tt.reply, tt.diagnostic
			ev.Recipients[0].RemoteMTA = ""
			for _, result := range []spf.Result{spf.Pass, spf.SoftFail} {
				ev.SPF = result
				p := testPolicy(nil)
				p.Postmaster = "postmaster@hosted.example"
				d, err := p.Decide(context.Background(), ev)
				require.NoError(t, err)
				m := d.DSN
				if result != spf.Pass {
					m = d.Notice
				}
				require.NotNil(t, m, "%s", d)
				r, err := dsn.Parse(bytes.NewReader(m.Data))
				require.NoError(t, err)
				require.Len(t, r.Recipients, 1)
				assert.Equal(t, tt.wantType, r.Recipients[0].DiagnosticType)
				assert.Equal(t, tt.wantCode, r.Recipients[0].DiagnosticCode)
				assert.True(t, r.Recipients[0].RemoteMTA.Name == "", "no Remote-MTA for a local failure")
				assert.Contains(t, r.Text, tt.wantCode, "the human-readable part says why")
			}
		})
	}
}

func TestDiagnosticInvalid(t *testing.T) {
	for _, tt := range []struct{ reply, diagnostic string }{
		{"550 5.1.1 no", "x-local; unknown user"},
		{"", "unknown user"},
		{"", "x-local;"},
		{"", "x local; unknown user"},
		{"", "x:local; unknown user"},
		{"", "x-local; unknown\r\nBcc: user"},
		{"", "; unknown user"},
	} {
		ev := testEvent()
		ev.Recipients[0].Reply, ev.Recipients[0].Diagnostic = tt.reply, tt.diagnostic
		_, err := testPolicy(nil).Decide(context.Background(), ev)
		assert.ErrorIs(t, err, ErrInvalidEvent, "%q", tt.diagnostic)
		assert.ErrorContains(t, err, "recipients[0].diagnostic", "%q", tt.diagnostic)
	}
}
