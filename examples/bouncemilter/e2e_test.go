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

// postmasterAddr is where the notices go: an address at the sink.
const postmasterAddr = "postmaster@ops.example"

// unknownUser is a user of the Postfix instance that does not exist:
// mail to it is accepted, then bounced (5.1.1).
const unknownUser = "nosuchuser@" + postfixtest.DefaultDomain

// bed is a Postfix with spfmilter at receipt and bouncemilter on its
// DSNs, DNS from zone, and the sink as the senders' MX and postmaster.
type bed struct {
	pf   *postfixtest.Instance
	sink *smtptest.Sink
	zone *spftest.Zone
	log  *e2etest.Log // bouncemilter's; nil until it runs
	cfg  config
}

// bedOptions vary the bed.
type bedOptions struct {
	change func(*config) // bouncemilter's flags
	down   bool          // bouncemilter not started: bed.startMilter does
	zone   *spftest.Zone // the DNS, a fresh test zone when nil
	noSPF  bool          // no spfmilter at receipt: nothing recorded
}

// bouncemilterAddr is where bed.startMilter listens when it was down.
type bouncemilterAddr = string

func newBed(t testing.TB, opt bedOptions) (*bed, bouncemilterAddr) {
	t.Helper()
	postfixtest.Available(t)
	b := &bed{zone: opt.zone, sink: smtptest.NewSink(t)}
	if b.zone == nil {
		b.zone = newTestZone(t)
	}
	b.cfg = testConfig(func(c *config) {
		c.postmaster = postmasterAddr
		if opt.change != nil {
			opt.change(c)
		}
	})
	var smtpdMilters []string
	if !opt.noSPF {
		smtpdMilters = []string{"inet:" + startSPFMilter(t, spftest.Serve(t, b.zone))}
	}
	var addr string
	if opt.down {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		addr = ln.Addr().String()
		require.NoError(t, ln.Close())
	} else {
		addr, b.log = startMilter(t, b.cfg, b.zone, nil)
	}
	b.pf = postfixtest.Start(t, postfixtest.Config{
		Sink:         b.sink.Addr(),
		SMTPDMilters: smtpdMilters,
		BounceMilter: "inet:" + addr,
	})
	return b, addr
}

// startMilter starts bouncemilter at addr, where Postfix expects it.
func (b *bed) startMilter(t testing.TB, addr string) {
	ln, err := net.Listen("tcp4", addr)
	require.NoError(t, err)
	_, b.log = startMilter(t, b.cfg, b.zone, ln)
}

// original is a message from the return path from with a Message-ID of
// its own.
func original(id, from string, extra ...string) []byte {
	return []byte("From: <" + from + ">\r\n" +
		"To: <" + unknownUser + ">\r\n" +
		"Subject: test " + id + "\r\n" +
		"Message-ID: <" + id + "@test.example>\r\n" +
		"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n" +
		strings.Join(extra, "") +
		"\r\n" +
		"Hello " + id + ".\r\n")
}

// send submits one message to the unknown user, RET=HDRS.
func (b *bed) send(ctx context.Context, t testing.TB, from string, msg []byte, change func(*postfixtest.Envelope)) {
	t.Helper()
	env := postfixtest.Envelope{From: from, To: []string{unknownUser}}
	env.Mail.Return = smtp.DSNReturnHeaders
	if change != nil {
		change(&env)
	}
	require.NoError(t, b.pf.SendEnvelope(ctx, env, msg))
}

// settle waits until the queue is empty: every original bounced, every
// DSN decided and delivered or dropped.
func (b *bed) settle(ctx context.Context, t testing.TB) {
	t.Helper()
	require.NoError(t, b.pf.WaitQueueEmpty(ctx), b.pf.Log())
}

// dsnsTo returns the DSNs the sink received for rcpt, parsed.
func (b *bed) dsnsTo(t testing.TB, rcpt string) []received {
	t.Helper()
	var out []received
	for _, m := range b.sink.Messages() {
		if len(m.To) != 1 || m.To[0].Addr != rcpt {
			continue
		}
		assert.Equal(t, "", m.From, "a DSN has the null return path (RFC 3461 §6.2)")
		r, err := dsn.Parse(bytes.NewReader(m.Data))
		require.NoError(t, err, string(m.Data))
		out = append(out, received{m, r})
	}
	return out
}

// received is a DSN at the sink.
type received struct {
	msg    smtptest.Message
	report *dsn.Report
}

// topField is the value of the first field name in the DSN's own header.
func (r received) topField(name string) string {
	head, _, _ := bytes.Cut(r.msg.Data, []byte("\r\n\r\n"))
	for line := range strings.SplitSeq(string(head), "\r\n") {
		if n, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(n, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestGenuineSenderGetsDSN: SPF pass, recorded by spfmilter at receipt,
// gets exactly one DSN with the original's header, the recorded
// Received-SPF among it, marked X-Bounce-Policy.
func TestGenuineSenderGetsDSN(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	b, _ := newBed(t, bedOptions{})
	from := "alice@genuine.example"
	b.send(ctx, t, from, original("genuine", from), nil)
	b.settle(ctx, t)

	got := b.dsnsTo(t, from)
	require.Len(t, got, 1, "exactly one DSN: %s", b.log)
	r := got[0]
	assert.Equal(t, "bounce; reason=spf-pass", r.topField(headerName))
	assert.Equal(t, "<genuine@test.example>", r.report.ReturnedHeader.Get("Message-ID"))
	rspf := r.report.ReturnedHeader.Get("Received-SPF")
	assert.True(t, strings.HasPrefix(rspf, "pass "), rspf)
	assert.Contains(t, rspf, "receiver="+ourHost)
	require.Len(t, r.report.Recipients, 1)
	assert.Equal(t, unknownUser, r.report.Recipients[0].FinalRecipient.Addr)
	assert.Contains(t, b.log.String(), "source=recorded", "the verdict spfmilter recorded, not evaluated again")
	assert.Empty(t, b.dsnsTo(t, postmasterAddr))
}

// TestForgedSenders: SPF fail gets no DSN and, by default, no notice (a
// forged spam run would flood the postmaster); softfail and none are
// dropped with a notice by default; with notice_on naming spf-fail, the
// postmaster gets the failed one too. Each drop is logged.
func TestForgedSenders(t *testing.T) {
	tests := []struct {
		name     string
		noticeOn []policy.Reason
		from     string
		reason   policy.Reason
		notice   bool
	}{
		{"fail, default notices", nil, "mallory@forged.example", policy.ReasonSPFFail, false},
		{"fail, notice_on spf-fail", []policy.Reason{policy.ReasonSPFFail}, "mallory@forged.example", policy.ReasonSPFFail, true},
		{"softfail, default notices", nil, "mallory@soft.example", policy.ReasonSPFSoftFail, true},
		{"none, default notices", nil, "mallory@none.example", policy.ReasonSPFNone, true},
		{"none, notice_on none", []policy.Reason{}, "mallory@none.example", policy.ReasonSPFNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t, 60*time.Second)
			b, _ := newBed(t, bedOptions{change: func(c *config) { c.noticeOn = tt.noticeOn }})
			b.send(ctx, t, tt.from, original("forged", tt.from), nil)
			b.settle(ctx, t)

			assert.Empty(t, b.dsnsTo(t, tt.from), "no DSN to the forged return path")
			notices := b.dsnsTo(t, postmasterAddr)
			if !tt.notice {
				assert.Empty(t, notices)
				assert.Contains(t, b.log.String(), "act=discard")
			} else {
				require.Len(t, notices, 1)
				assert.Equal(t, "drop; reason="+string(tt.reason), notices[0].topField(headerName))
				assert.Equal(t, "<forged@test.example>", notices[0].report.ReturnedHeader.Get("Message-ID"))
				assert.Contains(t, b.log.String(), "act=notice")
			}
			assert.Contains(t, b.log.String(), "decision.reason="+string(tt.reason), "every drop is logged with its reason")
		})
	}
}

// TestNoDSNWanted: the null sender (Postfix writes no DSN to <>, RFC 3461
// §6.2; without 2bounce in notify_classes it tells no postmaster either),
// NOTIFY=NEVER (Postfix writes none, RFC 3461 §4.1) and an auto-reply
// (RFC 3834 §2: the policy's loop rule) get no DSN, nor a notice.
func TestNoDSNWanted(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	b, _ := newBed(t, bedOptions{})
	from := "alice@genuine.example"
	b.send(ctx, t, from, original("never", from), func(env *postfixtest.Envelope) {
		env.Rcpt.Notify = []smtp.DSNNotify{smtp.DSNNotifyNever}
	})
	b.send(ctx, t, from, original("autoreply", from, "Auto-Submitted: auto-replied\r\n"), nil)
	b.send(ctx, t, "", original("nullsender", "MAILER-DAEMON@genuine.example"), nil)
	b.settle(ctx, t)

	assert.Empty(t, b.sink.Messages(), b.log.String())
	assert.Equal(t, 1, b.log.Count("act=discard"), "Postfix wrote no DSN for NOTIFY=NEVER; the auto-reply's was dropped")
}

// TestTempErrorDefers: DNS answers SERVFAIL at receipt and at bounce
// time: SPF temperror, the policy defers, the milter tempfails and the
// original stays in Postfix's queue; once DNS answers, a flush brings
// exactly one DSN.
func TestTempErrorDefers(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	zone := newTestZone(t)
	zone.Inject("temp.example", spftest.ServFail)
	b, _ := newBed(t, bedOptions{zone: zone})
	from := "alice@temp.example"
	b.send(ctx, t, from, original("temp", from), nil)

	waitFor(ctx, t, func() bool { return b.log.Count("act=tempfail") > 0 }, func() string { return "a tempfail: " + b.log.String() })
	q := waitDeferred(ctx, t, b.pf)
	require.Len(t, q, 1)
	assert.Equal(t, from, q[0].Sender, "the original stays queued, not a DSN")
	assert.Contains(t, b.log.String(), "decision.reason=spf-temperror")
	assert.Empty(t, b.sink.Messages())

	zone.Inject("temp.example", spftest.NoFault)
	require.NoError(t, b.pf.Flush(ctx))
	b.settle(ctx, t)
	got := b.dsnsTo(t, from)
	require.Len(t, got, 1, b.log.String())
	assert.Equal(t, "bounce; reason=spf-pass", got[0].topField(headerName))
	assert.Contains(t, b.log.String(), "source=evaluated", "the recorded temperror is evaluated again")
	assert.Len(t, b.sink.Messages(), 1)
}

// TestMilterDown: with bouncemilter down and milter_default_action =
// tempfail, the original stays queued; once it runs, a flush brings
// exactly one DSN. Nothing is lost.
func TestMilterDown(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	b, addr := newBed(t, bedOptions{down: true})
	from := "alice@genuine.example"
	b.send(ctx, t, from, original("down", from), nil)

	waitFor(ctx, t, func() bool { return strings.Contains(b.pf.Log(), "Milter service inet:"+addr) },
		func() string { return "Postfix failing to reach the milter: " + b.pf.Log() })
	q := waitDeferred(ctx, t, b.pf)
	require.Len(t, q, 1)
	assert.Equal(t, from, q[0].Sender)
	assert.Empty(t, b.sink.Messages())

	b.startMilter(t, addr)
	require.NoError(t, b.pf.Flush(ctx))
	b.settle(ctx, t)
	got := b.dsnsTo(t, from)
	require.Len(t, got, 1)
	assert.Equal(t, "bounce; reason=spf-pass", got[0].topField(headerName))
	assert.Len(t, b.sink.Messages(), 1)
}

// waitDeferred waits for the original in the deferred queue.
func waitDeferred(ctx context.Context, t testing.TB, pf *postfixtest.Instance) []postfixtest.QueueEntry {
	t.Helper()
	var q []postfixtest.QueueEntry
	waitFor(ctx, t, func() bool {
		var err error
		q, err = pf.Queue(ctx)
		require.NoError(t, err)
		return len(q) > 0 && q[0].QueueName == "deferred"
	}, func() string { return fmt.Sprintf("a deferred message; queue %+v", q) })
	return q
}

// TestPostmasterCopyPasses: Postfix's postmaster copy of a bounce
// (notify_classes = bounce) goes through bcleanup too, with the
// double-bounce sender: it is no sender's DSN and passes untouched,
// while the sender's DSN is decided.
func TestPostmasterCopyPasses(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	sink := smtptest.NewSink(t)
	addr, log := startMilter(t, testConfig(nil), newTestZone(t), nil)
	pf := postfixtest.Start(t, postfixtest.Config{Sink: sink.Addr(), BounceMilter: "inet:" + addr,
		Extra: map[string]string{"notify_classes": "bounce"}})
	from := "alice@genuine.example"
	require.NoError(t, pf.Send(ctx, from, []string{unknownUser}, original("copy", from)))
	require.NoError(t, pf.WaitQueueEmpty(ctx), pf.Log())

	assert.Equal(t, 1, log.Count("act=bounce"), log.String())
	assert.Equal(t, 1, log.Count(`act=pass rcpt=postmaster@`+ourHost+` why="not a DSN: the return path is not null"`), log.String())
	assert.Contains(t, pf.Mailbox("postmaster"), "Return-Path: <double-bounce@"+ourHost+">")
	require.Len(t, sink.Messages(), 1)
	assert.NotContains(t, pf.Mailbox("postmaster"), headerName, "passed untouched")
}
