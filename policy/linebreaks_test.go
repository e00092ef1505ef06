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

// TestOneLineBreakRuleDecideAndCompose: Decide and dsn.Compose read an
// original's lines alike, whether they end in CRLF, LF or a lone CR: what
// the DSN would return as a field of its own, rule 4 sees as one.
func TestOneLineBreakRuleDecideAndCompose(t *testing.T) {
	for name, original := range map[string]string{
		"CRLF":    "From: a@example.org\r\nAuto-Submitted: auto-replied\r\n\r\nbody\r\n",
		"LF":      "From: a@example.org\nAuto-Submitted: auto-replied\n\nbody\n",
		"lone CR": "From: a@example.org\rAuto-Submitted: auto-replied\r\rbody\r",
		"mixed":   "From: a@example.org\rAuto-Submitted: auto-replied\n\r\nbody",
	} {
		t.Run(name, func(t *testing.T) {
			ev := testEvent()
			ev.SPF = spf.Pass
			ev.Original = OriginalBytes([]byte(original))
			d, err := testPolicy(nil).Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, ReasonLoop, d.Reason, "rule 4 sees Auto-Submitted")

			var out bytes.Buffer
			_, err = dsn.Compose(&out, &dsn.Report{
				ReportingMTA: "mx.hosted.example", To: "a@example.org",
				Recipients: []dsn.Recipient{{FinalRecipient: dsn.Address{Addr: "bob@hosted.example"}, Action: dsn.ActionFailed}},
			}, bytes.NewReader([]byte(original)), dsn.ComposeOptions{Ret: dsn.RetHdrs})
			require.NoError(t, err)
			r, err := dsn.Parse(&out)
			require.NoError(t, err)
			assert.Equal(t, "auto-replied", r.ReturnedHeader.Get("Auto-Submitted"), "Compose returns it as a field of its own")
		})
	}
}
