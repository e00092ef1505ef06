package policy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// TestDecideDKIM: with Authenticate spf and dkim, an aligned DKIM
// signature bounces what SPF would drop, as forwarded mail needs; without
// it, or with a signature that does not count, SPF decides alone.
func TestDecideDKIM(t *testing.T) {
	zone := newDKIMZone(t)
	tests := []struct {
		name     string
		methods  []AuthMethod
		result   spf.Result
		original string
		action   Outcome
		reason   Reason
	}{
		{"SPF fail, aligned signature", []AuthMethod{AuthSPF, AuthDKIM}, spf.Fail,
			dkimSigned(t, dkimTestMessage, "example.org", "ed"), Bounce, ReasonDKIMPass},
		{"SPF temperror, aligned signature", []AuthMethod{AuthSPF, AuthDKIM}, spf.TempError,
			dkimSigned(t, dkimTestMessage, "example.org", "rsa"), Bounce, ReasonDKIMPass},
		{"SPF pass: SPF decides", []AuthMethod{AuthSPF, AuthDKIM}, spf.Pass,
			dkimSigned(t, dkimTestMessage, "example.org", "ed"), Bounce, ReasonSPFPass},
		{"DKIM not enabled", nil, spf.Fail,
			dkimSigned(t, dkimTestMessage, "example.org", "ed"), Drop, ReasonSPFFail},
		{"signature by another domain", []AuthMethod{AuthSPF, AuthDKIM}, spf.Fail,
			dkimSigned(t, dkimTestMessage, "example.net", "ed"), Drop, ReasonSPFFail},
		{"signature that does not verify", []AuthMethod{AuthSPF, AuthDKIM}, spf.Fail,
			dkimSignature(t, dkimTestMessage, "example.org", "ed", true, nil) + dkimTestMessage, Drop, ReasonSPFFail},
		{"unsigned", []AuthMethod{AuthSPF, AuthDKIM}, spf.Fail, dkimTestMessage, Drop, ReasonSPFFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(&fakeChecker{result: tt.result})
			p.Authenticate, p.Resolver = tt.methods, zone
			ev := testEvent()
			ev.Original = OriginalBytes([]byte(tt.original))
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.action, d.Action, "%s", d)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.action == Bounce, d.DSN != nil)
		})
	}
}

// TestDecideDKIMKeyTempFail: a key lookup that fails for now counts as no
// signature; a cancelled call is an error, never a decision.
func TestDecideDKIMKeyTempFail(t *testing.T) {
	zone := newDKIMZone(t)
	zone.Inject("ed._domainkey.example.org", spftest.ServFail)
	p := testPolicy(&fakeChecker{result: spf.Fail})
	p.Authenticate, p.Resolver = []AuthMethod{AuthSPF, AuthDKIM}, zone
	ev := testEvent()
	ev.Original = OriginalBytes([]byte(dkimSigned(t, dkimTestMessage, "example.org", "ed")))
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, ReasonSPFFail, d.Reason)

	zone.Inject("ed._domainkey.example.org", spftest.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_, err = p.Decide(ctx, ev)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestAuthenticateInvalid(t *testing.T) {
	for _, methods := range [][]AuthMethod{{AuthDKIM}, {}, {"arc"}, {AuthSPF, "DKIM"}} {
		p := testPolicy(nil)
		p.Authenticate = methods
		err := p.Validate()
		assert.ErrorIs(t, err, ErrInvalidPolicy, "%q", methods)
		assert.ErrorContains(t, err, "authenticate", "%q", methods)
	}
}
