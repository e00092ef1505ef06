package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

// loadConns is the SMTP connections each half of the load is sent over.
const loadConns = 4

// TestLoad sends n messages to unknown users, half from a genuine sender
// (SPF pass), half from a forged one (SPF fail), through Postfix with
// spfmilter and bouncemilter: every genuine DSN arrives exactly once, no
// forged one does, nothing stays queued. The same flow through Postfix
// alone, where every DSN leaves, is the baseline of its throughput.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	// 1,000 also under -race: Postfix, not the milters, sets the pace
	// (about 11 s either way).
	const n = 1000
	ctx := testContext(t, 120*time.Second)
	const genuine, forged = "alice@genuine.example", "mallory@forged.example"
	// The baseline first: on a small machine the figures vary by some
	// 30% from run to run, and the first run of all tends to be slower.
	alone := postfixAlone(ctx, t, n, genuine, forged)
	b, _ := newBed(t, bedOptions{})

	start := time.Now()
	sendHalves(ctx, t, b.pf, n, genuine, forged)
	b.settle(ctx, t)
	withMilters := time.Since(start)

	perID := map[string]int{}
	for _, m := range b.sink.Messages() {
		require.Len(t, m.To, 1)
		require.Equal(t, genuine, m.To[0].Addr, "only the genuine sender gets DSNs")
		r, err := dsn.Parse(bytes.NewReader(m.Data))
		require.NoError(t, err)
		perID[r.ReturnedHeader.Get("Message-ID")]++
	}
	lost, twice := 0, 0
	for i := range n / 2 {
		switch perID["<"+loadID(genuine, i)+"@test.example>"] {
		case 0:
			lost++
		case 1:
		default:
			twice++
		}
	}
	assert.Zero(t, lost, "genuine DSNs lost")
	assert.Zero(t, twice, "genuine DSNs delivered more than once")
	assert.Len(t, perID, n/2)
	assert.Equal(t, n/2, b.log.Count("act=bounce"))
	dropped := b.log.Count("act=discard") + b.log.Count("act=notice")
	assert.Equal(t, n/2, dropped, "each forged DSN dropped, and logged")
	q, err := b.pf.Queue(ctx)
	require.NoError(t, err)
	assert.Empty(t, q, "nothing left queued")

	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	t.Logf("sent %d (%d genuine, %d forged): %d DSNs delivered, %d dropped, %d lost, %d twice",
		n, n/2, n/2, len(b.sink.Messages()), dropped, lost, twice)
	t.Logf("Postfix + spfmilter + bouncemilter: %.0f msg/s (%v); Postfix alone: %.0f msg/s (%v); with the milters: %.0f%% of Postfix alone",
		rate(withMilters), withMilters.Round(time.Millisecond), rate(alone), alone.Round(time.Millisecond), 100*alone.Seconds()/withMilters.Seconds())
}

// postfixAlone runs the load through Postfix without milters, where every
// DSN leaves, and returns the time from the first submission to the
// last DSN at the sink.
func postfixAlone(ctx context.Context, t *testing.T, n int, genuine, forged string) time.Duration {
	sink := smtptest.NewSink(t)
	pf := postfixtest.Start(t, postfixtest.Config{Sink: sink.Addr()})
	start := time.Now()
	sendHalves(ctx, t, pf, n, genuine, forged)
	_, err := sink.Wait(ctx, n)
	require.NoError(t, err, pf.Log())
	require.NoError(t, pf.WaitQueueEmpty(ctx))
	return time.Since(start)
}

// sendHalves submits n/2 messages from each of two senders at once, to
// the unknown user, RET=HDRS.
func sendHalves(ctx context.Context, t *testing.T, pf *postfixtest.Instance, n int, from ...string) {
	var wg sync.WaitGroup
	errs := make([]error, len(from))
	for k, f := range from {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := postfixtest.Envelope{From: f, To: []string{unknownUser}}
			env.Mail.Return = smtp.DSNReturnHeaders
			errs[k] = pf.SendMany(ctx, n/len(from), loadConns, env, func(i int) []byte {
				return original(loadID(f, i), f)
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

// loadID is the id of the i-th message from sender, the local part of
// its Message-ID.
func loadID(sender string, i int) string {
	local, _, _ := strings.Cut(sender, "@")
	return fmt.Sprintf("%s-%d", local, i)
}
