package policy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// TestNullSenderNeverGetsDSN: under every policy, even the most willing to
// bounce, a null return path never gets a DSN (RFC 5321 §4.5.5: a
// notification is never sent to <>).
func TestNullSenderNeverGetsDSN(t *testing.T) {
	bounceAll := map[spf.Result]Outcome{}
	for _, r := range allResults {
		bounceAll[r] = Bounce
	}
	for _, mode := range allModes {
		for _, returnPath := range []string{"", "<>"} {
			for _, result := range allResults {
				for _, content := range []ContentVerdict{"", Spam} {
					for _, authenticated := range []bool{false, true} {
						p := testPolicy(&fakeChecker{result: result})
						p.Mode, p.OnSPF, p.Fallback, p.HostileContent = mode, bounceAll, Bounce, Bounce
						p.Postmaster = "postmaster@hosted.example"
						p.NoticeOn = []Reason{ReasonNullSender}
						ev := testEvent()
						ev.ReturnPath, ev.SPF, ev.Verdict, ev.Authenticated = returnPath, result, content, authenticated
						d, err := p.Decide(context.Background(), ev)
						require.NoError(t, err)
						assert.Equal(t, Drop, d.Action)
						assert.Equal(t, ReasonNullSender, d.Reason)
						assert.Nil(t, d.DSN)
						require.NotNil(t, d.Notice)
						assert.Equal(t, "postmaster@hosted.example", d.Notice.RcptTo)
					}
				}
			}
		}
	}
}
