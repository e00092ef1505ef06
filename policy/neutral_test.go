package policy

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
)

var (
	allResults = []spf.Result{spf.None, spf.Neutral, spf.Pass, spf.Fail, spf.SoftFail, spf.TempError, spf.PermError}
	allModes   = []Mode{"", ModeSPFGated, ModeAlways, ModeDiscard}
)

// randomPolicy draws a valid policy: any mode, any table (neutral, when
// set, equal to none as RFC 7208 §8.2 requires), any fallback.
func randomPolicy(rng *rand.Rand, checker SPFChecker) *Policy {
	p := testPolicy(checker)
	p.Mode = allModes[rng.IntN(len(allModes))]
	p.OnSPF = map[spf.Result]Outcome{}
	for _, r := range allResults {
		if r == spf.Neutral || rng.IntN(3) == 0 {
			continue
		}
		choices := []Outcome{Bounce, Drop}
		if r == spf.TempError {
			choices = append(choices, Defer)
		}
		p.OnSPF[r] = choices[rng.IntN(len(choices))]
	}
	if rng.IntN(2) == 0 {
		p.OnSPF[spf.Neutral] = p.onSPF(spf.None)
	}
	p.Fallback = []Outcome{"", Bounce, Drop}[rng.IntN(3)]
	p.HostileContent = []Outcome{"", Bounce, Drop}[rng.IntN(3)]
	if rng.IntN(2) == 0 {
		p.Postmaster = "postmaster@hosted.example"
	}
	p.NoSPFReevaluation = rng.IntN(2) == 0
	p.DeferFor = time.Duration(rng.IntN(8)) * time.Hour
	return p
}

// randomEvent draws an event that reaches any rule but the first.
func randomEvent(rng *rand.Rand) Event {
	ev := testEvent()
	ev.ReturnPath = []string{"alice@example.org", "", "<@relay.example:alice@example.org>"}[rng.IntN(3)]
	ev.Authenticated = rng.IntN(4) == 0
	ev.Verdict = []ContentVerdict{"", "", Spam, Virus}[rng.IntN(4)]
	ev.Ret = []dsn.Ret{"", dsn.RetFull, dsn.RetHdrs}[rng.IntN(3)]
	ev.Recipients[0].Notify = []dsn.Notify{0, dsn.NotifyNever, dsn.NotifyFailure, dsn.NotifyDelay, dsn.NotifySuccess | dsn.NotifyFailure}[rng.IntN(5)]
	if rng.IntN(4) == 0 {
		withHeader("Auto-Submitted: auto-generated\r\n")(&ev)
	}
	return ev
}

// TestNeutralDecidesLikeNone is a property test: under random policies and
// events, an SPF neutral decides exactly as none (RFC 7208 §8.2), recorded
// or evaluated.
func TestNeutralDecidesLikeNone(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	for i := range 2000 {
		seed := rng.Uint64()
		decide := func(r spf.Result) Decision {
			rng := rand.New(rand.NewPCG(seed, 0))
			p := randomPolicy(rng, &fakeChecker{result: r})
			ev := randomEvent(rng)
			if rng.IntN(2) == 0 {
				ev.SPF = r
			}
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err, "case %d", i)
			return d
		}
		none, neutral := decide(spf.None), decide(spf.Neutral)
		assert.Equal(t, none.Action, neutral.Action, "case %d: %s vs %s", i, none, neutral)
		if neutral.Reason == ReasonSPFNeutral {
			neutral.Reason = ReasonSPFNone // the one allowed difference
		}
		assert.Equal(t, none.Reason, neutral.Reason, "case %d", i)
		assert.Equal(t, none.RetryAt, neutral.RetryAt, "case %d", i)
		assert.Equal(t, none.Reported, neutral.Reported, "case %d", i)
		assert.Equal(t, none.Suppressed, neutral.Suppressed, "case %d", i)
		assert.Equal(t, none.DSN != nil, neutral.DSN != nil, "case %d", i)
		if none.DSN != nil && neutral.DSN != nil {
			assert.True(t, bytes.Equal(none.DSN.Data, neutral.DSN.Data), "case %d: the DSNs differ", i)
		}
		assert.Equal(t, none.Notice != nil, neutral.Notice != nil, "case %d", i)
	}
}
