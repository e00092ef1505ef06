package policy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// failingStore answers every call with err.
type failingStore struct{ err error }

func (f failingStore) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, f.err
}
func (f failingStore) Count(context.Context, string, time.Duration) (int64, error) { return 0, f.err }
func (f failingStore) Take(context.Context, string) (int64, error)                 { return 0, f.err }

// eventFrom is testEvent with the return path rp.
func eventFrom(rp string) Event {
	ev := testEvent()
	ev.ReturnPath = rp
	return ev
}

// TestBounceLimit: past Max bounces to one return-path domain in a
// window, a bounce is deferred until the window's end; other domains,
// drops and the next window are not held.
func TestBounceLimit(t *testing.T) {
	ctx := context.Background()
	windowEnd := time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC) // testNow is 10:05
	tests := []struct {
		name       string
		result     spf.Result
		returnPath []string
		want       []Outcome
	}{
		{"the third to one domain defers", spf.Pass,
			[]string{"a@example.org", "b@example.org", "c@EXAMPLE.org"},
			[]Outcome{Bounce, Bounce, Defer}},
		{"each domain its own count", spf.Pass,
			[]string{"a@example.org", "b@example.org", "a@example.net", "c@example.net"},
			[]Outcome{Bounce, Bounce, Bounce, Bounce}},
		{"drops cost no token", spf.Fail,
			[]string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"},
			[]Outcome{Drop, Drop, Drop, Drop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(&fakeChecker{result: tt.result})
			p.BounceLimit = Limit{Max: 2}
			for i, rp := range tt.returnPath {
				d, err := p.Decide(ctx, eventFrom(rp))
				require.NoError(t, err)
				assert.Equal(t, tt.want[i], d.Action, "%d: %s", i, rp)
				if d.Action == Defer {
					assert.Equal(t, ReasonRateLimit, d.Reason)
					assert.Equal(t, windowEnd, d.RetryAt)
					assert.Nil(t, d.DSN)
				}
			}
		})
	}

	t.Run("a drop after the limit still counts none", func(t *testing.T) {
		checker := &fakeChecker{result: spf.Fail}
		p := testPolicy(checker)
		p.BounceLimit = Limit{Max: 1}
		for range 3 {
			_, err := p.Decide(ctx, eventFrom("a@example.org"))
			require.NoError(t, err)
		}
		checker.result = spf.Pass
		d, err := p.Decide(ctx, eventFrom("a@example.org"))
		require.NoError(t, err)
		assert.Equal(t, Bounce, d.Action)
	})

	t.Run("the next window opens", func(t *testing.T) {
		now := testNow
		p := testPolicy(&fakeChecker{result: spf.Pass})
		p.Now = func() time.Time { return now }
		p.BounceLimit = Limit{Max: 1, Window: 10 * time.Minute}
		d, err := p.Decide(ctx, eventFrom("a@example.org"))
		require.NoError(t, err)
		require.Equal(t, Bounce, d.Action)
		d, err = p.Decide(ctx, eventFrom("a@example.org"))
		require.NoError(t, err)
		require.Equal(t, Defer, d.Action)
		assert.Equal(t, testNow.Truncate(10*time.Minute).Add(10*time.Minute), d.RetryAt)
		now = d.RetryAt
		d, err = p.Decide(ctx, eventFrom("a@example.org"))
		require.NoError(t, err)
		assert.Equal(t, Bounce, d.Action, "at RetryAt")
	})
}

// TestNoticeLimit: past Max notices in a window, a drop sends none but
// counts it, and the next notice sent says how many were held back.
func TestNoticeLimit(t *testing.T) {
	ctx := context.Background()
	now := testNow
	p := testPolicy(&fakeChecker{result: spf.SoftFail})
	p.Now = func() time.Time { return now }
	p.Postmaster = "postmaster@hosted.example"
	p.NoticeLimit = Limit{Max: 2}
	var notices []bool
	for range 5 {
		d, err := p.Decide(ctx, testEvent())
		require.NoError(t, err)
		require.Equal(t, Drop, d.Action, "the limit holds the notice, not the drop")
		notices = append(notices, d.Notice != nil)
	}
	assert.Equal(t, []bool{true, true, false, false, false}, notices)

	now = now.Add(time.Hour)
	d, err := p.Decide(ctx, testEvent())
	require.NoError(t, err)
	require.NotNil(t, d.Notice)
	assert.Contains(t, string(d.Notice.Data), "3 earlier notices were not sent")
	d, err = p.Decide(ctx, testEvent())
	require.NoError(t, err)
	require.NotNil(t, d.Notice)
	assert.NotContains(t, string(d.Notice.Data), "earlier notices", "the count was taken")

	t.Run("drops without a notice cost no token", func(t *testing.T) {
		p := testPolicy(&fakeChecker{result: spf.Fail}) // spf-fail sends no notice by default
		p.Postmaster = "postmaster@hosted.example"
		p.NoticeLimit = Limit{Max: 1}
		for range 3 {
			_, err := p.Decide(ctx, testEvent())
			require.NoError(t, err)
		}
		p.Checker = &fakeChecker{result: spf.SoftFail}
		p.def.checker = p.Checker
		d, err := p.Decide(ctx, testEvent())
		require.NoError(t, err)
		assert.NotNil(t, d.Notice)
	})
}

// TestRateLimitStoreFails: a Store that cannot answer defers the
// decision, its error logged; an ended ctx is an error.
func TestRateLimitStoreFails(t *testing.T) {
	storeErr := errors.New("store down")
	tests := []struct {
		name   string
		result spf.Result
		would  Decision
		limits func(p *Policy)
	}{
		{"bounce", spf.Pass, Decision{Action: Bounce, Reason: ReasonSPFPass}, func(p *Policy) { p.BounceLimit = Limit{Max: 10} }},
		{"notice", spf.SoftFail, Decision{Action: Drop, Reason: ReasonSPFSoftFail}, func(p *Policy) {
			p.Postmaster = "postmaster@hosted.example"
			p.NoticeLimit = Limit{Max: 10}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			p := testPolicy(&fakeChecker{result: tt.result})
			p.Store = failingStore{storeErr}
			p.Logger = slog.New(slog.NewTextHandler(&log, nil))
			tt.limits(p)
			d, err := p.Decide(context.Background(), testEvent())
			require.NoError(t, err)
			assert.Equal(t, Defer, d.Action)
			assert.Equal(t, ReasonRateLimit, d.Reason)
			assert.Equal(t, testNow.Add(DefaultRetryAfter), d.RetryAt)
			assert.Nil(t, d.DSN)
			assert.Nil(t, d.Notice)
			assert.Contains(t, log.String(), "store down")

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			p.Store = failingStore{ctx.Err()}
			p.def.store = p.Store
			_, _, err = p.limit(ctx, &Event{ReturnPath: "a@example.org"}, &tt.would)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}

	t.Run("no limit, no store call", func(t *testing.T) {
		p := testPolicy(&fakeChecker{result: spf.Pass})
		p.Store = failingStore{storeErr}
		d, err := p.Decide(context.Background(), testEvent())
		require.NoError(t, err)
		assert.Equal(t, Bounce, d.Action)
	})
}

// TestLimitValidate: negative limits and windows are refused, naming the
// field.
func TestLimitValidate(t *testing.T) {
	for _, tt := range []struct {
		set   func(p *Policy)
		field string
	}{
		{func(p *Policy) { p.BounceLimit.Max = -1 }, "bounce_limit.max"},
		{func(p *Policy) { p.BounceLimit.Window = -time.Second }, "bounce_limit.window"},
		{func(p *Policy) { p.NoticeLimit.Max = -1 }, "notice_limit.max"},
		{func(p *Policy) { p.NoticeLimit.Window = -time.Second }, "notice_limit.window"},
	} {
		p := testPolicy(nil)
		tt.set(p)
		err := p.Validate()
		assert.ErrorIs(t, err, ErrInvalidPolicy)
		assert.True(t, strings.Contains(err.Error(), tt.field), "%v names %s", err, tt.field)
	}
}
