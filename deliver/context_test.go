package deliver_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/deliver"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// A context cancelled while the server says nothing ends Send at once,
// a temporary failure that names the context's error.
func TestSendContextCancelled(t *testing.T) {
	for _, stage := range []smtptest.Stage{smtptest.StageHello, smtptest.StageMail, smtptest.StageRcpt, smtptest.StageData} {
		t.Run(stage.String(), func(t *testing.T) {
			w := newWorld(t)
			s := w.sink(t, "192.0.2.1")
			mx2 := w.sink(t, "192.0.2.2")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s.SetHook(func(st smtptest.Stage, _ string) error {
				if st == stage {
					cancel()
					return smtptest.ErrStall
				}
				return nil
			})
			err := w.client().Send(ctx, env("a@example.org", "b@other.example"), text(body))
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, deliver.ErrTemporary)
			assert.NotErrorIs(t, err, deliver.ErrPermanent)
			var rcpts []string
			for _, e := range failures(t, err) {
				rcpts = append(rcpts, e.Recipients...)
			}
			assert.ElementsMatch(t, []string{"a@example.org", "b@other.example"}, rcpts)
			assert.Zero(t, mx2.Connections(), "nothing more is tried")
			assert.Empty(t, s.Messages())
		})
	}
}

// A deadline ends the wait for a server that accepts the connection and
// never greets.
func TestSendContextDeadline(t *testing.T) {
	c := &deliver.Client{NextHop: silentServer(t), HELO: "bounce.example.net"}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, env("a@example.org"), text(body))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, deliver.ErrTemporary)
}

// Timeout bounds each reply (RFC 5321 §4.5.3.2) without any deadline on
// the context.
func TestSendTimeout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage smtptest.Stage
	}{
		{"greeting", -1},
		{"MAIL", smtptest.StageMail},
		{"end of data", smtptest.StageData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &deliver.Client{HELO: "bounce.example.net", Timeout: 50 * time.Millisecond}
			if tc.stage < 0 {
				c.NextHop = silentServer(t)
			} else {
				s := smtptest.NewSink(t)
				s.Fail(tc.stage, smtptest.ErrStall)
				c.NextHop = s.Addr()
			}
			err := c.Send(context.Background(), env("a@example.org"), text(body))
			errs := failures(t, err)
			require.Len(t, errs, 1)
			assert.True(t, errs[0].Temporary)
			assert.Equal(t, "4.4.1", errs[0].EnhancedCode, "no answer from host (RFC 3463 §3.5)")
			var netErr net.Error
			require.ErrorAs(t, err, &netErr)
			assert.True(t, netErr.Timeout())
		})
	}
}

// A DNS lookup that never answers ends with the context too.
func TestSendContextDuringDNS(t *testing.T) {
	w := newWorld(t)
	w.zone.Inject("example.org", spftest.Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := w.client().Send(ctx, env("a@example.org"), text(body))
	assert.ErrorIs(t, err, deliver.ErrTemporary)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
