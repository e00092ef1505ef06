package spf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfcEnv is the setting of the RFC 7208 §7.4 examples.
func rfcEnv(ip string) *macroEnv {
	return &macroEnv{
		sender:       "strong-bad@email.example.com",
		local:        "strong-bad",
		senderDomain: "email.example.com",
		helo:         "mx.example.org",
		ip:           netip.MustParseAddr(ip),
		validated:    "mx.example.org",
		receiver:     "receiver.example",
		now:          func() time.Time { return time.Unix(1700000000, 0) },
	}
}

func TestExpandRFCExamples(t *testing.T) {
	tests := []struct{ spec, ip, want string }{
		// RFC 7208 §7.4, the first table.
		{"%{s}", "192.0.2.3", "strong-bad@email.example.com"},
		{"%{o}", "192.0.2.3", "email.example.com"},
		{"%{d}", "192.0.2.3", "email.example.com"},
		{"%{d4}", "192.0.2.3", "email.example.com"},
		{"%{d3}", "192.0.2.3", "email.example.com"},
		{"%{d2}", "192.0.2.3", "example.com"},
		{"%{d1}", "192.0.2.3", "com"},
		{"%{dr}", "192.0.2.3", "com.example.email"},
		{"%{d2r}", "192.0.2.3", "example.email"},
		{"%{l}", "192.0.2.3", "strong-bad"},
		{"%{l-}", "192.0.2.3", "strong.bad"},
		{"%{lr}", "192.0.2.3", "strong-bad"},
		{"%{lr-}", "192.0.2.3", "bad.strong"},
		{"%{l1r-}", "192.0.2.3", "strong"},
		// RFC 7208 §7.4, the second table.
		{"%{ir}.%{v}._spf.%{d2}", "192.0.2.3", "3.2.0.192.in-addr._spf.example.com"},
		{"%{lr-}.lp._spf.%{d2}", "192.0.2.3", "bad.strong.lp._spf.example.com"},
		{"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{"%{ir}.%{v}.%{lr-}.lp._spf.%{d2}", "192.0.2.3", "3.2.0.192.in-addr.bad.strong.lp._spf.example.com"},
		{"%{d2}.trusted-domains.example.net", "192.0.2.3", "example.com.trusted-domains.example.net"},
		{"%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01", "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"},
		// RFC 7208 §7.1: the escapes.
		{"a%%b%_c%-d", "192.0.2.3", "a%b c%20d"},
		// RFC 7208 §7.3: upper-case letters are URL-escaped.
		{"%{S}", "192.0.2.3", "strong-bad%40email.example.com"},
		// RFC 7208 §7.3: more digits than parts keeps them all.
		{"%{d99999999999}", "192.0.2.3", "email.example.com"},
		// RFC 7208 §7.2: p, h, v.
		{"%{p}.%{h}.%{v}", "2001:db8::cb01", "mx.example.org.mx.example.org.ip6"},
	}
	for _, tt := range tests {
		got, err := rfcEnv(tt.ip).expand(tt.spec, "email.example.com", false)
		require.NoError(t, err, tt.spec)
		assert.Equal(t, tt.want, got, tt.spec)
	}
}

// RFC 7208 §7.2: c, r and t are for explanations only.
func TestExpandExplanationLetters(t *testing.T) {
	env := rfcEnv("2001:db8::cb01")
	got, err := env.expand("%{c} %{r} %{t}", "email.example.com", true)
	require.NoError(t, err)
	assert.Equal(t, "2001:db8::cb01 receiver.example 1700000000", got)

	for _, spec := range []string{"%{c}", "%{r}.example.com", "%{t}"} {
		_, err := env.expand(spec, "email.example.com", false)
		assert.Error(t, err, "RFC 7208 §7.1: %s outside an explanation", spec)
	}
}

func TestExpandErrors(t *testing.T) {
	for _, spec := range []string{
		"%",        // RFC 7208 §7.1: "%" alone
		"%x",       // RFC 7208 §7.1: "%" then a bad character
		"%{d",      // unterminated
		"%{}",      // no letter
		"%{a}",     // RFC 7208 §7.1: no such letter
		"%{d0}",    // RFC 7208 §7.3: the digit must be nonzero
		"%{d2x}",   // RFC 7208 §7.1: x is no delimiter
		"%{dr2}",   // RFC 7208 §7.1: digits before r
		"%{1d}",    // the letter comes first
		"a.%{d}%?", // a bad escape after a good macro
	} {
		_, err := rfcEnv("192.0.2.3").expand(spec, "email.example.com", true)
		assert.Error(t, err, spec)
	}
}

// RFC 7208 §7.3: a name longer than 253 characters loses labels on the left.
func TestExpandDomainTruncates(t *testing.T) {
	env := rfcEnv("192.0.2.3")
	env.local = "x"
	long := ""
	for range 30 {
		long += "%{d}."
	}
	got, err := env.expandDomain(long+"example.net", "abcdefghi.example.com")
	require.NoError(t, err)
	assert.LessOrEqual(t, len(got), 253)
	assert.Equal(t, "example.com.example.net", got[len(got)-len("example.com.example.net"):])
	assert.NotEqual(t, '.', got[0])
}

func TestUsesPMacro(t *testing.T) {
	assert.True(t, usesPMacro("%{p}.example.com"))
	assert.True(t, usesPMacro("a.%{d}.%{P2r}"))
	assert.False(t, usesPMacro("%%{p}"), "RFC 7208 §7.1: %% is a literal percent")
	assert.False(t, usesPMacro("%{d}.p.example.com"))
}
