package spf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bouncepolicy/bouncepolicy/internal/mailsyntax"
)

// TestParseAmbiguousFields: a Received-SPF or Authentication-Results field
// that could be read in more than one way is malformed, since a sender may
// have written it to be read the way that suits it.
func TestParseAmbiguousFields(t *testing.T) {
	for _, value := range []string{
		"pass receiver=evil.example; receiver=mx.hosted.example; envelope-from=a@example.org",
		"pass receiver=mx.hosted.example; envelope-from=eve@evil.example; envelope-from=a@example.org",
		"pass receiver=mx.hosted.example; Envelope-From=a@example.org; envelope-from=b@example.org",
		"pass receiver=mx.hosted.example; identity=mailfrom; identity=helo; envelope-from=a@example.org",
		"pass receiver=mx.hosted.example; helo=a.example; helo=b.example",
		"pass receiver=mx.hosted.example; client-ip=192.0.2.1; client-ip=192.0.2.2",
		"pass receiver=mx.hosted.example; helo=[192.0.2.10]; envelope-from=a@example.org",
		"pass receiver=mx.hosted.example; envelope-from=a@example.org@evil.example",
		"pass receiver=mx..hosted.example; envelope-from=a@example.org",
		`pass helo=x"receiver=mx.hosted.example"; envelope-from=a@example.org`,
	} {
		_, _, err := ParseReceivedSPF(value)
		assert.ErrorIs(t, err, ErrMalformedHeader, "%q", value)
	}
	for _, value := range []string{
		"mx.hosted.example; spf=pass smtp.mailfrom=eve@evil.example smtp.mailfrom=a@example.org",
		"mx.hosted.example; spf=pass smtp.helo=a.example smtp.helo=b.example",
		"mx.hosted.example; spf=fail smtp.mailfrom=a@example.org; spf=pass smtp.mailfrom=a@example.org",
	} {
		_, err := ParseAuthenticationResults(value, "mx.hosted.example")
		assert.ErrorIs(t, err, ErrMalformedHeader, "%q", value)
	}
	// Quoted values and real-world forms still read.
	for _, value := range []string{
		`pass receiver="mx.hosted.example"; helo="[192.0.2.10]"; envelope-from="a b"@example.org`,
		"pass receiver=mx.hosted.example; envelope-from=<a@example.org>; client-ip=2001:db8::1",
		"pass receiver=mx.hosted.example; envelope-from=<>; helo=mail.example.org",
	} {
		_, _, err := ParseReceivedSPF(value)
		assert.NoError(t, err, "%q", value)
	}
}

// TestRenderedFieldsCarryNoLineBreaks: no C1 control or line separator
// from a sender an SMTPUTF8 client chose reaches a Received-SPF or
// Authentication-Results value: a reader may take one for a line break
// (RFC 6855 §3).
func TestRenderedFieldsCarryNoLineBreaks(t *testing.T) {
	v := Verdict{Result: SoftFail, Identity: MailFrom, Domain: "example.org",
		Sender: "a\u0085Received-SPF: pass\u2028x@example.org", ClientIP: netip.MustParseAddr("192.0.2.1"), HELO: "mail.example.org"}
	ar := Verdict{Result: SoftFail, Identity: MailFrom, Domain: "ex\u0085ample.org", Sender: "b\u2029@ex\u0085ample.org"}.AuthenticationResults("mx.hosted.example")
	for _, s := range []string{v.ReceivedSPF("mx.hosted.example"), ar} {
		assert.Equal(t, -1, strings.IndexFunc(s, mailsyntax.IsControl), "%q", s)
	}
}
