package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/examples/internal/e2etest"
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
	"github.com/bouncepolicy/bouncepolicy/policy"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// unknownUser is a user the Postfix instance accepts mail for and then
// bounces (local_recipient_maps is empty), as a qmail host does.
const unknownUser = "nosuchuser@hosted.example"

// mailTo is a message from sender to unknownUser, with a Message-ID of
// id that the DSN's returned header carries.
func mailTo(sender, id string) []byte {
	return []byte("From: <" + sender + ">\r\nTo: <" + unknownUser + ">\r\nSubject: test " + id +
		"\r\nMessage-ID: <" + id + "@example.org>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\nHello " + id + ".\r\n")
}

// e2e is a throwaway Postfix whose null-sender mail goes through a gate,
// with an smtptest sink as every sender's MX and the postmaster's.
type e2e struct {
	pf   *postfixtest.Instance
	sink *smtptest.Sink
	zone *spftest.Zone
	log  *e2etest.Log
}

// startE2E starts the sink, the gate on gateLn (none when nil: Postfix's
// Relay is then gateAddr, nothing listening) and Postfix.
func startE2E(t *testing.T, gateAddr string, change func(*policy.Policy)) *e2e {
	t.Helper()
	postfixtest.Available(t)
	e := &e2e{sink: smtptest.NewSink(t), zone: newTestZone(t), log: &e2etest.Log{}}
	if gateAddr == "" {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		gateAddr = ln.Addr().String()
		t.Cleanup(runGate(t, ln, e.config(), e.zone, change, e.log))
	}
	e.pf = postfixtest.Start(t, postfixtest.Config{MyHostname: ourHost, Sink: e.sink.Addr(), Relay: gateAddr})
	return e
}

// config is the gate's: the sink as next hop, and a postmaster.
func (e *e2e) config() config {
	cfg := testConfig(e.sink.Addr())
	cfg.postmaster = "postmaster@hosted.example"
	return cfg
}

// settle waits until Postfix's queue is empty, then a little more, and
// returns what the sink got: the messages of a test that sent want to
// the sink.
func (e *e2e) settle(ctx context.Context, t *testing.T, want int) []smtptest.Message {
	t.Helper()
	_, err := e.sink.Wait(ctx, want)
	require.NoError(t, err, "sink got %d of %d; gate log:\n%s\nPostfix log:\n%s", len(e.sink.Messages()), want, e.log.String(), e.pf.Log())
	require.NoError(t, e.pf.WaitQueueEmpty(ctx))
	time.Sleep(300 * time.Millisecond) // a duplicate would have come by now
	return e.sink.Messages()
}

// waitQueued waits until the DSN of the message Postfix bounced is in
// its deferred queue, having failed to leave, and returns the reason.
func (e *e2e) waitQueued(ctx context.Context, t *testing.T) string {
	t.Helper()
	for {
		q, err := e.pf.Queue(ctx)
		require.NoError(t, err)
		for _, m := range q {
			if m.QueueName == "deferred" && m.Sender == "MAILER-DAEMON" && len(m.Recipients) == 1 {
				return m.Recipients[0].DelayReason
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no DSN deferred: %v; queue %+v\n%s", ctx.Err(), q, e.pf.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// The genuine sender's message to an unknown user: exactly one DSN
// reaches the sender's MX, Postfix's own, with the original's header.
func TestE2EGenuineSenderGetsOneDSN(t *testing.T) {
	ctx := ctxFor(t)
	e := startE2E(t, "", nil)
	require.NoError(t, e.pf.Send(ctx, genuine, []string{unknownUser}, mailTo(genuine, "genuine")))
	msgs := e.settle(ctx, t, 1)
	require.Len(t, msgs, 1, "exactly one DSN")
	assert.Equal(t, "", msgs[0].From)
	assert.Equal(t, genuine, msgs[0].To[0].Addr)
	r, err := dsn.Parse(bytes.NewReader(msgs[0].Data))
	require.NoError(t, err)
	assert.Equal(t, ourHost, r.ReportingMTA)
	assert.Equal(t, "<genuine@example.org>", r.ReturnedHeader.Get("Message-ID"))
	assert.Contains(t, e.log.String(), "reason=spf-pass")
}

// A forged sender's message: no DSN to the forged address. With the
// default notice_on (no notice for spf-fail) nothing leaves; with
// notice_on naming spf-fail, the postmaster gets the notice.
func TestE2EForgedSenderNoDSN(t *testing.T) {
	for _, tt := range []struct {
		name     string
		noticeOn []policy.Reason
		notices  int
	}{
		{"default notice_on", nil, 0},
		{"notice_on spf-fail", []policy.Reason{policy.ReasonSPFFail}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxFor(t)
			e := startE2E(t, "", func(p *policy.Policy) { p.NoticeOn = tt.noticeOn })
			require.NoError(t, e.pf.Send(ctx, forged, []string{unknownUser}, mailTo(forged, "forged")))
			// The sink can only be waited on for what arrives; for none,
			// the gate's log says when the DSN was decided.
			require.Eventually(t, func() bool { return strings.Contains(e.log.String(), "msg=dropped") }, 15*time.Second, 20*time.Millisecond, e.pf.Log())
			msgs := e.settle(ctx, t, tt.notices)
			require.Len(t, msgs, tt.notices)
			for _, m := range msgs {
				assert.Equal(t, "postmaster@hosted.example", m.To[0].Addr)
				assert.Contains(t, string(m.Data), "Message-ID: <forged@example.org>")
			}
			assert.Contains(t, e.log.String(), "reason=spf-fail")
		})
	}
}

// Faults: the gate down, the gate answering 4xx (its DNS failing for
// now), the next hop down. Each time the DSN stays in Postfix's queue;
// after recovery and a flush it is delivered, once.
func TestE2EFaultsKeepTheDSNQueued(t *testing.T) {
	t.Run("gate down", func(t *testing.T) {
		ctx := ctxFor(t)
		addr := closedPort(t)
		e := startE2E(t, addr, nil)
		require.NoError(t, e.pf.Send(ctx, genuine, []string{unknownUser}, mailTo(genuine, "gatedown")))
		reason := e.waitQueued(ctx, t)
		assert.Contains(t, reason, "Connection refused")

		ln, err := net.Listen("tcp4", addr)
		require.NoError(t, err)
		t.Cleanup(runGate(t, ln, e.config(), e.zone, nil, e.log))
		require.NoError(t, e.pf.Flush(ctx))
		msgs := e.settle(ctx, t, 1)
		require.Len(t, msgs, 1)
		assert.Equal(t, genuine, msgs[0].To[0].Addr)
	})
	t.Run("gate answers 4xx", func(t *testing.T) {
		ctx := ctxFor(t)
		e := startE2E(t, "", nil)
		e.zone.Inject("genuine.example", spftest.ServFail)
		require.NoError(t, e.pf.Send(ctx, genuine, []string{unknownUser}, mailTo(genuine, "gate4xx")))
		reason := e.waitQueued(ctx, t)
		assert.Contains(t, reason, "451 4.4.3 bounce decision deferred (spf-temperror)")

		e.zone.Inject("genuine.example", spftest.NoFault)
		require.NoError(t, e.pf.Flush(ctx))
		msgs := e.settle(ctx, t, 1)
		require.Len(t, msgs, 1)
		assert.Equal(t, genuine, msgs[0].To[0].Addr)
	})
	t.Run("next hop down", func(t *testing.T) {
		ctx := ctxFor(t)
		e := startE2E(t, "", nil)
		e.sink.Fail(smtptest.StageData, smtptest.ErrDrop)
		require.NoError(t, e.pf.Send(ctx, genuine, []string{unknownUser}, mailTo(genuine, "hopdown")))
		reason := e.waitQueued(ctx, t)
		assert.Contains(t, reason, "451 4.4.0 cannot relay now")

		e.sink.Fail(smtptest.StageData, nil)
		require.NoError(t, e.pf.Flush(ctx))
		msgs := e.settle(ctx, t, 1)
		require.Len(t, msgs, 1)
		assert.Equal(t, genuine, msgs[0].To[0].Addr)
	})
}

// The load test: loadMessages messages to an unknown user, half from the
// genuine sender, half forged, through Postfix and the gate: every
// genuine DSN arrives once, no forged one, nothing stays queued. The same
// flow through Postfix alone (every DSN to the sink) is the baseline.
func TestE2ELoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	postfixtest.Available(t)
	n := loadMessages
	withGate := loadRun(t, n, true)
	alone := loadRun(t, n, false)
	t.Logf("sent %d (%d genuine, %d forged); with the gate: %d DSNs delivered, %d dropped, %d lost, %.0f msg/s; Postfix alone: %.0f msg/s; ratio %.2f",
		n, n/2, n/2, withGate.delivered, withGate.dropped, n-withGate.delivered-withGate.dropped, withGate.rate, alone.rate, withGate.rate/alone.rate)
}

// loadResult is one load run's outcome.
type loadResult struct {
	delivered, dropped int
	rate               float64 // messages per second, from the first send to an empty queue
}

// loadRun sends n messages, even ones genuine, odd ones forged, through
// Postfix, with the gate or without, and checks what reaches the sink.
func loadRun(t *testing.T, n int, gate bool) loadResult {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var e *e2e
	if gate {
		e = startE2E(t, "", nil)
	} else {
		e = &e2e{sink: smtptest.NewSink(t), log: &e2etest.Log{}}
		e.pf = postfixtest.Start(t, postfixtest.Config{MyHostname: ourHost, Sink: e.sink.Addr()})
	}
	start := time.Now()
	senders := []string{genuine, forged}
	for i := range 2 {
		env := postfixtest.Envelope{From: senders[i], To: []string{unknownUser}}
		env.Mail.Return = smtp.DSNReturnHeaders
		require.NoError(t, e.pf.SendMany(ctx, n/2, 4, env, func(j int) []byte {
			return mailTo(senders[i], fmt.Sprintf("load-%d-%d", i, j))
		}))
	}
	want := n
	if gate {
		want = n / 2
	}
	_, err := e.sink.Wait(ctx, want)
	require.NoError(t, err, "sink got %d of %d", len(e.sink.Messages()), want)
	require.NoError(t, e.pf.WaitQueueEmpty(ctx))
	elapsed := time.Since(start)
	time.Sleep(300 * time.Millisecond)

	msgs := e.sink.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		r, err := dsn.Parse(bytes.NewReader(m.Data))
		require.NoError(t, err)
		seen[r.ReturnedHeader.Get("Message-ID")]++
		if gate {
			assert.Equal(t, genuine, m.To[0].Addr, "no forged DSN")
		}
	}
	for j := range n / 2 {
		assert.Equal(t, 1, seen[fmt.Sprintf("<load-0-%d@example.org>", j)], "genuine DSN %d exactly once", j)
	}
	res := loadResult{delivered: len(msgs), rate: float64(n) / elapsed.Seconds()}
	if gate {
		res.dropped = strings.Count(e.log.String(), "msg=dropped")
		assert.Equal(t, n/2, res.dropped)
		assert.Equal(t, n/2, res.delivered)
	}
	return res
}
