package postfixtest_test

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
	"github.com/bouncepolicy/bouncepolicy/internal/postfixtest"
	"github.com/bouncepolicy/bouncepolicy/internal/smtptest"
)

const alice = "alice@example.org"

// message is a small message from alice with a Message-ID of its own.
func message(id, to string) []byte {
	return []byte("From: Alice <" + alice + ">\r\n" +
		"To: <" + to + ">\r\n" +
		"Subject: test " + id + "\r\n" +
		"Message-ID: <" + id + "@example.org>\r\n" +
		"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n" +
		"\r\n" +
		"Hello " + id + ".\r\n")
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A message to an unknown user of the local domain is accepted, then
// bounced: the DSN goes to the sink, the senders' MX, addressed to the
// reverse path, carrying the original's header as RET=HDRS asked
// (RFC 3461 §4.3). A message to the known user is delivered.
func TestUnknownUserBouncedKnownUserDelivered(t *testing.T) {
	ctx := testContext(t)
	sink := smtptest.NewSink(t)
	pf := postfixtest.Start(t, postfixtest.Config{Sink: sink.Addr()})

	env := postfixtest.Envelope{From: alice, To: []string{"nosuchuser@hosted.example"}}
	env.Mail.Return = smtp.DSNReturnHeaders
	require.NoError(t, pf.SendEnvelope(ctx, env, message("unknown", "nosuchuser@hosted.example")))
	out, err := pf.Swaks(ctx, "--from", alice, "--to", "user@hosted.example", "--header", "Subject: for the known user")
	require.NoError(t, err, out)

	msgs, err := sink.Wait(ctx, 1)
	require.NoError(t, err, pf.Log())
	require.NoError(t, pf.WaitQueueEmpty(ctx))
	require.Len(t, msgs, 1, "only the DSN leaves the host")

	m := msgs[0]
	assert.Equal(t, "", m.From, "a DSN has the null reverse path (RFC 3461 §6.2)")
	require.Len(t, m.To, 1)
	assert.Equal(t, alice, m.To[0].Addr)
	assert.Equal(t, pf.Hostname(), m.Hello)

	r, err := dsn.Parse(bytes.NewReader(m.Data))
	require.NoError(t, err, string(m.Data))
	assert.Equal(t, pf.Hostname(), r.ReportingMTA)
	assert.Equal(t, dsn.ReturnHeaders, r.Returned, "text/rfc822-headers (RFC 6522 §4)")
	assert.Equal(t, "<unknown@example.org>", r.ReturnedHeader.Get("Message-ID"))
	require.Len(t, r.Recipients, 1)
	rcpt := r.Recipients[0]
	assert.Equal(t, "nosuchuser@hosted.example", rcpt.FinalRecipient.Addr)
	assert.Equal(t, dsn.ActionFailed, rcpt.Action)
	assert.Equal(t, "5.1.1", rcpt.Status.String(), "bad destination mailbox (RFC 3463 §3.2)")

	assert.Contains(t, pf.Mailbox("user"), "Subject: for the known user")
	assert.Contains(t, pf.Log(), "to=<nosuchuser@hosted.example>, relay=local")
	assert.Contains(t, pf.Log(), "status=bounced (unknown user")
}

// A sink answering 4xx leaves the message in the queue, also across a
// restart of Postfix; once it accepts again, a flush delivers it.
func TestSinkTempFailureKeepsMessageQueued(t *testing.T) {
	ctx := testContext(t)
	sink := smtptest.NewSink(t)
	pf := postfixtest.Start(t, postfixtest.Config{Sink: sink.Addr()})
	sink.Fail(smtptest.StageRcpt, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"})

	to := "bob@example.net"
	require.NoError(t, pf.Send(ctx, alice, []string{to}, message("deferred", to)))
	q := waitDeferred(ctx, t, pf)
	require.Len(t, q, 1)
	assert.Equal(t, alice, q[0].Sender)
	require.Len(t, q[0].Recipients, 1)
	assert.Equal(t, to, q[0].Recipients[0].Address)
	assert.Contains(t, q[0].Recipients[0].DelayReason, "451 4.3.0 try again later")

	require.NoError(t, pf.Stop())
	_, err := pf.Queue(ctx)
	require.ErrorIs(t, err, postfixtest.ErrNotRunning)
	require.NoError(t, pf.Start())
	require.ErrorIs(t, pf.Start(), postfixtest.ErrRunning)
	q, err = pf.Queue(ctx)
	require.NoError(t, err)
	require.Len(t, q, 1, "the queue outlives a restart")

	sink.Fail(smtptest.StageRcpt, nil)
	require.NoError(t, pf.Flush(ctx))
	msgs, err := sink.Wait(ctx, 1)
	require.NoError(t, err, pf.Log())
	assert.Equal(t, alice, msgs[0].From)
	assert.Contains(t, string(msgs[0].Data), "Message-ID: <deferred@example.org>")
	require.NoError(t, pf.WaitQueueEmpty(ctx))
}

// SendMany stops at the first refusal and says which message it was.
func TestSendManyStopsAtRefusal(t *testing.T) {
	ctx := testContext(t)
	pf := postfixtest.Start(t, postfixtest.Config{Extra: map[string]string{"message_size_limit": "2000"}})
	env := postfixtest.Envelope{From: alice, To: []string{"user@hosted.example"}}
	err := pf.SendMany(ctx, 10, 1, env, func(i int) []byte {
		m := message(fmt.Sprint(i), "user@hosted.example")
		if i == 6 {
			m = append(m, bytes.Repeat([]byte("too long\r\n"), 300)...)
		}
		return m
	})
	var se *smtp.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 552, se.Code, "message size exceeds fixed limit (RFC 5321 §4.5.3.1.10)")
	assert.Contains(t, err.Error(), "postfixtest: message 6: ")
	waitMailbox(ctx, t, pf, "Message-ID: <5@example.org>")
	assert.NotContains(t, pf.Mailbox("user"), "Message-ID: <7@example.org>")
}

// waitDeferred waits for the first message in the deferred queue.
func waitDeferred(ctx context.Context, t *testing.T, pf *postfixtest.Instance) []postfixtest.QueueEntry {
	t.Helper()
	for {
		q, err := pf.Queue(ctx)
		require.NoError(t, err)
		if len(q) > 0 && q[0].QueueName == "deferred" {
			return q
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no deferred message: %v; queue %+v", ctx.Err(), q)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Relay takes the null-sender mail, the DSNs, to the gate; other
// outgoing mail still goes to the sink.
func TestRelayTakesNullSenderMail(t *testing.T) {
	ctx := testContext(t)
	sink, gate := smtptest.NewSink(t), smtptest.NewSink(t)
	pf := postfixtest.Start(t, postfixtest.Config{Sink: sink.Addr(), Relay: gate.Addr()})

	require.NoError(t, pf.Send(ctx, alice, []string{"nosuchuser@hosted.example"}, message("bounced", "nosuchuser@hosted.example")))
	require.NoError(t, pf.Send(ctx, alice, []string{"bob@example.net"}, message("relayed", "bob@example.net")))
	dsns, err := gate.Wait(ctx, 1)
	require.NoError(t, err, pf.Log())
	relayed, err := sink.Wait(ctx, 1)
	require.NoError(t, err, pf.Log())
	require.NoError(t, pf.WaitQueueEmpty(ctx))

	require.Len(t, dsns, 1)
	assert.Equal(t, "", dsns[0].From)
	assert.Equal(t, alice, dsns[0].To[0].Addr)
	require.Len(t, relayed, 1)
	assert.Equal(t, alice, relayed[0].From)
	assert.Equal(t, "bob@example.net", relayed[0].To[0].Addr)
}

// The milters are wired where Config says: with none answering, the
// default action applies to the mail each one sees, and only to it.
func TestMilterWiring(t *testing.T) {
	noMilter := "inet:" + closedPort(t)
	tests := []struct {
		name string
		cfg  postfixtest.Config
		// refused is the class of the SMTP reply, 4 or 5 (RFC 5321
		// §4.2.1), 0 when the message is accepted.
		refused int
		// dsn is whether the unknown user's DSN reaches the sink.
		dsn bool
	}{
		{"smtpd milter, tempfail", postfixtest.Config{SMTPDMilters: []string{noMilter}}, 4, false},
		{"smtpd milter, reject", postfixtest.Config{SMTPDMilters: []string{noMilter}, MilterDefaultAction: "reject"}, 5, false},
		{"non-smtpd milter: neither SMTP mail nor DSNs", postfixtest.Config{NonSMTPDMilters: []string{noMilter}}, 0, true},
		{"bounce milter, tempfail: the DSN waits", postfixtest.Config{BounceMilter: noMilter}, 0, false},
		{"bounce milter, accept", postfixtest.Config{BounceMilter: noMilter, MilterDefaultAction: "accept"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			sink := smtptest.NewSink(t)
			tt.cfg.Sink = sink.Addr()
			pf := postfixtest.Start(t, tt.cfg)

			err := pf.Send(ctx, alice, []string{"nosuchuser@hosted.example"}, message("milter", "nosuchuser@hosted.example"))
			if tt.refused != 0 {
				var se *smtp.SMTPError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.refused, se.Code/100, se.Error())
				return
			}
			require.NoError(t, err)
			// Known-user mail never meets the bounce milter.
			require.NoError(t, pf.Send(ctx, alice, []string{"user@hosted.example"}, message("known", "user@hosted.example")))
			if tt.dsn {
				_, err := sink.Wait(ctx, 1)
				require.NoError(t, err, pf.Log())
				require.NoError(t, pf.WaitQueueEmpty(ctx))
			} else {
				waitMailbox(ctx, t, pf, "Message-ID: <known@example.org>")
				waitLog(ctx, t, pf, "milter")
				q, err := pf.Queue(ctx)
				require.NoError(t, err)
				require.Len(t, q, 1, "the bounce waits for its milter")
				assert.Equal(t, alice, q[0].Sender, "the original stays queued: no DSN could be written")
				assert.Empty(t, sink.Messages())
			}
			waitMailbox(ctx, t, pf, "Message-ID: <known@example.org>")
		})
	}
}

func waitLog(ctx context.Context, t *testing.T, pf *postfixtest.Instance, s string) {
	t.Helper()
	waitFor(ctx, t, func() bool { return strings.Contains(strings.ToLower(pf.Log()), s) }, "log line "+s+": "+pf.Log())
}

func waitMailbox(ctx context.Context, t *testing.T, pf *postfixtest.Instance, s string) {
	t.Helper()
	waitFor(ctx, t, func() bool { return strings.Contains(pf.Mailbox("user"), s) }, "delivery of "+s)
}

func waitFor(ctx context.Context, t *testing.T, cond func() bool, what string) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("no %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// closedPort is a loopback address nothing listens on: a port taken and
// released.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return ln.Addr().String()
}

// BenchmarkBounceThroughput measures Postfix alone, end to end: 200
// messages to an unknown user, from acceptance to their 200 DSNs at the
// sink. It is the baseline of the load tests with the milters in place.
func BenchmarkBounceThroughput(b *testing.B) {
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sink := smtptest.NewSink(b)
	pf := postfixtest.Start(b, postfixtest.Config{Sink: sink.Addr()})
	env := postfixtest.Envelope{From: alice, To: []string{"nosuchuser@hosted.example"}}
	env.Mail.Return = smtp.DSNReturnHeaders
	sent := 0
	for b.Loop() {
		err := pf.SendMany(ctx, n, 4, env, func(i int) []byte {
			return message(fmt.Sprintf("load%d", sent+i), "nosuchuser@hosted.example")
		})
		require.NoError(b, err)
		sent += n
		_, err = sink.Wait(ctx, sent)
		require.NoError(b, err, pf.Log())
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}
