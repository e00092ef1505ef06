package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// ourReceived is the Received field our MTA prepends at receipt.
const ourReceived = "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n" +
	"\tby mx.hosted.example with ESMTP id 4QX; Fri, 27 Nov 2026 10:00:00 +0000\r\n"

// forgedFields are SPF results a sender writes into its own message,
// claiming our host's name, to have a forged return path bounced to.
// exact marks those that, had our host written them above its Received
// field, would read in one way only; the others are ambiguous.
var forgedFields = []struct {
	field string
	exact bool
}{
	{"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n", true},
	{"Received-SPF: pass (mx.hosted.example: domain of alice@example.org designates 192.0.2.10 as permitted sender)\r\n" +
		"\treceiver=mx.hosted.example; client-ip=192.0.2.10;\r\n\tenvelope-from=\"alice@example.org\"; helo=mail.example.org\r\n", true},
	{"Received-SPF: pass receiver=\"mx.hosted.example\"; envelope-from=\"alice@example.org\"; identity=mailfrom\r\n", true},
	{"Received-SPF: Pass receiver=MX.HOSTED.EXAMPLE; envelope-from=alice@example.org\r\n", true},
	{"received-spf: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n", true},
	{"Received-SPF: pass receiver=evil.example; receiver=mx.hosted.example; envelope-from=alice@example.org\r\n", false},
	{"Received-SPF: pass receiver=mx.hosted.example; envelope-from=eve@evil.example; envelope-from=alice@example.org\r\n", false},
	{"Received-SPF: pass receiver=mx.hosted.example; helo=[192.0.2.10]; envelope-from=alice@example.org\r\n", false},
	{"Received-SPF: pass helo=x\"receiver=mx.hosted.example\"; envelope-from=alice@example.org\r\n", false},
	{"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org@evil.example\r\n", false},
	{"Received-SPF: =?utf-8?q?pass?= receiver=mx.hosted.example; envelope-from=alice@example.org\r\n", false},
	{"Received-SPF: pass receiver=mx.hosted.example (forged); envelope-from=alice@example.org (\r\n", false},
	{"Authentication-Results: mx.hosted.example; spf=pass smtp.mailfrom=alice@example.org\r\n", true},
	{"Authentication-Results: \"mx.hosted.example\"; spf=pass smtp.mailfrom=alice@example.org\r\n", true},
	{"Authentication-Results: MX.Hosted.Example; spf=pass smtp.mailfrom=alice@example.org\r\n", true},
	{"Authentication-Results: mx.hosted.example;\r\n\tspf=pass\r\n\tsmtp.mailfrom=alice@example.org\r\n", true},
	{"Authentication-Results: mx.hosted.example; spf=pass smtp.mailfrom=example.org\r\n", true},
	{"Authentication-Results: (us) mx.hosted.example 1; spf=pass (forged) smtp.mailfrom=alice@example.org\r\n", true},
	{"Authentication-Results: mx.hosted.example; spf=pass smtp.mailfrom=eve@evil.example smtp.mailfrom=alice@example.org\r\n", false},
	{"Authentication-Results: mx.hosted.example; spf=fail smtp.mailfrom=alice@example.org; spf=pass smtp.mailfrom=alice@example.org\r\n", false},
	{"Authentication-Results: =?us-ascii?q?mx.hosted.example?=; spf=pass smtp.mailfrom=alice@example.org\r\n", false},
	{"Authentication-Results: evil.example; spf=pass smtp.mailfrom=alice@example.org (checked by mx.hosted.example)\r\n", false},
}

// forgedTraces are forged fields under or over a fake Received naming us.
var forgedTraces = []string{
	"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n" +
		"Received: from mail.example.org by mx.hosted.example; Fri, 27 Nov 2026 09:59:00 +0000\r\n",
	"Authentication-Results: mx.hosted.example; spf=pass smtp.mailfrom=alice@example.org\r\n" +
		"Received: from [192.0.2.10] by mx.hosted.example with ESMTP\r\n",
	"Received: by mx.hosted.example; Fri, 27 Nov 2026 09:59:00 +0000\r\n" +
		"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
}

// TestForgedHeaderFieldsNeverDecide shows that a field the sender wrote
// never supplies the verdict: with header trust off (the default), and
// with it on, since every forged field stands below our own Received.
func TestForgedHeaderFieldsNeverDecide(t *testing.T) {
	forgeries := slices.Clone(forgedTraces)
	for _, f := range forgedFields {
		forgeries = append(forgeries, f.field)
	}
	require.GreaterOrEqual(t, len(forgeries), 20)
	for _, trust := range []bool{false, true} {
		for i, forged := range forgeries {
			checker := &fakeChecker{result: spf.Fail}
			p := testPolicy(checker)
			p.TrustRecordedHeaders = trust
			ev := testEvent()
			withHeader(ourReceived + forged)(&ev)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, SourceEvaluated, d.SPFSource, "trust %v, forgery %d: %q", trust, i, forged)
			assert.Equal(t, ReasonSPFFail, d.Reason, "trust %v, forgery %d", trust, i)
			assert.Nil(t, d.DSN, "trust %v, forgery %d", trust, i)
		}
	}
}

// TestAmbiguousFieldOfOursEndsTheWalk: a field above our Received that
// mentions us but cannot be read in exactly one way is not trusted, nor is
// our field below it: SPF is evaluated. One read exactly decides.
func TestAmbiguousFieldOfOursEndsTheWalk(t *testing.T) {
	below := "Received-SPF: softfail receiver=mx.hosted.example; envelope-from=alice@example.org\r\n"
	for i, f := range forgedFields {
		checker := &fakeChecker{result: spf.Fail}
		p := testPolicy(checker)
		p.TrustRecordedHeaders = true
		ev := testEvent()
		withHeader(f.field + below + ourReceived)(&ev)
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err)
		if f.exact {
			assert.Equal(t, SourceRecorded, d.SPFSource, "field %d: %q", i, f.field)
			assert.Equal(t, spf.Pass, d.SPF.Result, "field %d: %q", i, f.field)
		} else {
			assert.Equal(t, SourceEvaluated, d.SPFSource, "field %d: %q", i, f.field)
		}
	}
}
