package spf_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// RFC 8601 §2.7.2: spf with smtp.mailfrom, or smtp.helo for the HELO.
func TestAuthenticationResults(t *testing.T) {
	assert.Equal(t, "mx.receiver.example; spf=pass smtp.mailfrom=example.org",
		passVerdict.AuthenticationResults("mx.receiver.example"))
	helo := spf.Verdict{Result: spf.Neutral, Identity: spf.HELO, Domain: "mx.example.net", HELO: "mx.example.net"}
	assert.Equal(t, "mx.receiver.example; spf=neutral smtp.helo=mx.example.net",
		helo.AuthenticationResults("mx.receiver.example"))
	odd := spf.Verdict{Result: spf.Fail, Identity: spf.MailFrom, Domain: "a\r\nb"}
	assert.Equal(t, `"x y"; spf=fail smtp.mailfrom="a??b"`, odd.AuthenticationResults("x y"))
}

// RFC 8601 §2.2: a value that is not an RFC 2045 token is quoted, though
// it may be a dot-atom; invalid UTF-8 becomes "?", valid UTF-8 stays
// (RFC 6532 §3.2).
func TestAuthenticationResultsQuotesNonTokens(t *testing.T) {
	v := spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "b\xffad.example"}
	assert.Equal(t, `"id=1/x"; spf=pass smtp.mailfrom="b?ad.example"`, v.AuthenticationResults("id=1/x"))
	v.Domain = "bücher.example"
	assert.Equal(t, `mx.example; spf=pass smtp.mailfrom="bücher.example"`, v.AuthenticationResults("mx.example"))
	got, err := spf.ParseAuthenticationResults(v.AuthenticationResults("id=1/x"), "id=1/x")
	require.NoError(t, err)
	assert.Equal(t, v, got)
}

func TestAuthenticationResultsRoundTrip(t *testing.T) {
	for _, v := range []spf.Verdict{
		{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org"},
		{Result: spf.PermError, Identity: spf.HELO, Domain: "mx.example.net", Sender: "postmaster@mx.example.net", HELO: "mx.example.net"},
	} {
		got, err := spf.ParseAuthenticationResults(v.AuthenticationResults("MX.Receiver.Example"), "mx.receiver.example")
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
}

func TestParseAuthenticationResults(t *testing.T) {
	tests := []struct {
		name, value string
		want        spf.Verdict
	}{
		{"RFC 8601 §B.4", "Authentication-Results: example.com;\r\n          spf=pass smtp.mailfrom=example.net",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.net"}},
		{"RFC 8601 §B.5: several methods, comments, version", "example.com 1;\r\n" +
			"   auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n" +
			"   spf=pass (sender SPF authorized) smtp.mailfrom=sender@example.net;\r\n   dkim=pass header.d=example.net",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.net", Sender: "sender@example.net"}},
		{"quoted authserv-id and value, reason, method version", `"example.com" ; spf/1 = SoftFail reason="not listed" smtp.mailfrom="a b"@example.net`,
			spf.Verdict{Result: spf.SoftFail, Identity: spf.MailFrom, Domain: "example.net", Sender: "a b@example.net"}},
		{"helo", "example.com; spf=none smtp.helo=mx.example.net",
			spf.Verdict{Result: spf.None, Identity: spf.HELO, Domain: "mx.example.net", Sender: "postmaster@mx.example.net", HELO: "mx.example.net"}},
		{"RFC 8601 §2.7.2: several spf results, the smtp.mailfrom one wins",
			"example.com; spf=pass smtp.helo=mx.example.net; spf=fail smtp.mailfrom=alice@example.net",
			spf.Verdict{Result: spf.Fail, Identity: spf.MailFrom, Domain: "example.net", Sender: "alice@example.net"}},
		{"RFC 8601 §2.7.2: smtp.mailfrom names the identity whatever the order",
			"example.com; spf=pass smtp.mailfrom=y.example smtp.helo=h.example",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "y.example", HELO: "h.example"}},
		{"smtp.helo before smtp.mailfrom",
			"example.com; spf=pass smtp.helo=h.example smtp.mailfrom=y.example",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "y.example", HELO: "h.example"}},
		{"RFC 8601 §2.2: CFWS around the property's dot",
			"example.com (comment); spf=pass smtp . mailfrom = y.example",
			spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "y.example"}},
		{"several spf results, none on smtp.mailfrom: the first",
			"example.com; spf=none smtp.helo=mx.example.net; spf=pass smtp.helo=other.example.net",
			spf.Verdict{Result: spf.None, Identity: spf.HELO, Domain: "mx.example.net", Sender: "postmaster@mx.example.net", HELO: "mx.example.net"}},
	}
	for _, tt := range tests {
		got, err := spf.ParseAuthenticationResults(tt.value, "Example.COM")
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

func TestParseAuthenticationResultsNoResult(t *testing.T) {
	for _, value := range []string{
		"other.example; spf=pass smtp.mailfrom=example.net", // RFC 8601 §5: not ours
		"example.com; none",
		"example.com; dkim=pass header.d=example.net",
		"example.com",
	} {
		_, err := spf.ParseAuthenticationResults(value, "example.com")
		assert.ErrorIs(t, err, spf.ErrNoResult, value)
	}
	for _, value := range []string{
		"",
		"example.com; spf=maybe smtp.mailfrom=example.net",
		"example.com spf=pass",
		"example.com; spf",
		"example.com; spf=pass smtp.mailfrom",
		"example.com; spf=pass smtp.mailfrom=y.example (unterminated", // RFC 5322 §3.2.2
		"example.com; spf=pass (unterminated smtp.mailfrom=y.example",
	} {
		_, err := spf.ParseAuthenticationResults(value, "example.com")
		assert.ErrorIs(t, err, spf.ErrMalformedHeader, value)
	}
	v, err := spf.ParseAuthenticationResults("example.com; spf=fail smtp.mailfrom=example.net", "example.com")
	require.NoError(t, err)
	assert.Equal(t, spf.Verdict{Result: spf.Fail, Identity: spf.MailFrom, Domain: "example.net"}, v)
	_ = netip.Addr{}
}
