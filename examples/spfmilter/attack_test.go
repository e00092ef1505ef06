package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClaimsObsoleteName: RFC 5322 §4.5.1 (obs-optional) lets WSP stand
// between a field's name and its colon, and the policy's header reader
// takes "Received-SPF :" for Received-SPF. Postfix and Sendmail strip
// that WSP before they hand the name to a milter; an MTA that does not
// must not let the planted field through. Postfix numbers such a field
// under its trimmed name (is_header), so the index is right too.
func TestClaimsObsoleteName(t *testing.T) {
	for _, name := range []string{"Received-SPF ", "received-spf\t", "Received-SPF \t "} {
		var e fieldEdits
		e.see(name, "pass receiver=mx.hosted.example", ourID)
		require.Len(t, e.deletions, 1, "%q", name)
		assert.Equal(t, fieldRef{receivedSPF, 1, "receiver= names us"}, e.deletions[0])
	}
	var e fieldEdits
	e.see("Authentication-Results  ", "mx.hosted.example; spf=pass smtp.mailfrom=pass.example", ourID)
	require.Len(t, e.deletions, 1)
	assert.Equal(t, fieldRef{authResults, 1, "authserv-id is ours"}, e.deletions[0])
}

// TestClaimsTrailingDot: "mx.hosted.example." is our name written as an
// absolute domain (RFC 1034 §3.1). The policy does not read it as ours,
// but a reader that compares domains as DNS does would: the field goes
// (RFC 8601 §5), as nothing we vouch for is lost.
func TestClaimsTrailingDot(t *testing.T) {
	for field, value := range map[string]string{
		authResults: "MX.Hosted.Example.; spf=pass smtp.mailfrom=pass.example",
		receivedSPF: "pass receiver=mx.hosted.example.",
	} {
		var e fieldEdits
		e.see(field, value, ourID)
		assert.Len(t, e.deletions, 1, "%s: %s", field, value)
	}
}
