package policy

import (
	"context"
	"testing"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// enhancedCode and smtpError have the shape of go-smtp's EnhancedCode and
// SMTPError, which an SMTP gate returns from its session.
type (
	enhancedCode [3]int
	smtpError    struct {
		Code         int
		EnhancedCode enhancedCode
		Message      string
	}
)

// TestRejectAsSMTPError: a reject is one line away from the values an
// SMTP server library returns (RFC 5321 §4.2, RFC 3463 §2).
func TestRejectAsSMTPError(t *testing.T) {
	p := &Policy{ReportingMTA: "mx.hosted.example"}
	ev := Event{
		ReturnPath: "alice@example.org",
		InSession:  true,
		Recipients: []Delivery{{Address: "bob@hosted.example", Reply: "550 5.1.1 <bob@hosted.example>: no such user"}},
	}
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.Reject)
	r := d.Reject
	got := smtpError{Code: r.Code, EnhancedCode: r.Enhanced.Triple(), Message: r.Text}
	assert.Equal(t, smtpError{550, enhancedCode{5, 1, 1}, "<bob@hosted.example>: no such user"}, got)
	assert.Equal(t, dsn.Status{Class: 5, Subject: 1, Detail: 1}, r.Enhanced)
}
