package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncepolicy/bouncepolicy/dsn"
	"github.com/bouncepolicy/bouncepolicy/spf"
	"github.com/bouncepolicy/bouncepolicy/spf/spftest"
)

// withHeader returns an Original whose header starts with the given fields.
func withHeader(fields string) func(ev *Event) {
	return func(ev *Event) { ev.Original = OriginalBytes([]byte(fields + originalMessage)) }
}

// TestDecideRules has one case per rule of docs/design.md, in order, each also
// showing that the rule wins over the later ones.
func TestDecideRules(t *testing.T) {
	tests := []struct {
		name   string
		policy func(p *Policy)
		event  func(ev *Event)
		action Outcome
		reason Reason
	}{
		{name: "rule 1 in-session (RFC 5321 §4.2)",
			event:  func(ev *Event) { ev.InSession = true; ev.ReturnPath = "" },
			action: Reject, reason: ReasonInSession},
		{name: "rule 2 null sender (RFC 5321 §4.5.5)",
			event:  func(ev *Event) { ev.ReturnPath = ""; ev.Authenticated = true },
			action: Drop, reason: ReasonNullSender},
		{name: "rule 3 NOTIFY=NEVER (RFC 3461 §4.1)",
			event:  func(ev *Event) { ev.Recipients[0].Notify = dsn.NotifyNever; ev.Authenticated = true },
			action: Drop, reason: ReasonNotify},
		{name: "rule 3 NOTIFY without FAILURE (RFC 3461 §4.1)",
			event:  func(ev *Event) { ev.Recipients[0].Notify = dsn.NotifyDelay; ev.Authenticated = true },
			action: Drop, reason: ReasonNotify},
		{name: "rule 4 Auto-Submitted (RFC 3834 §5)",
			event: func(ev *Event) {
				withHeader("Auto-Submitted: auto-replied (vacation)\r\n")(ev)
				ev.Authenticated = true
			},
			action: Drop, reason: ReasonLoop},
		{name: "rule 4 multipart/report (RFC 6522 §3)",
			event: func(ev *Event) {
				withHeader("Content-Type: Multipart/Report; report-type=delivery-status; boundary=x\r\n")(ev)
				ev.Authenticated = true
			},
			action: Drop, reason: ReasonLoop},
		{name: "rule 4 after a header line longer than the read buffer (RFC 5322 §2.1.1)",
			event: func(ev *Event) {
				withHeader("X-Long: " + strings.Repeat("a", 5000) + "\r\n Auto-Submitted: no\r\nAuto-Submitted: auto-generated\r\n")(ev)
				ev.SPF = spf.Pass
			},
			action: Drop, reason: ReasonLoop},
		{name: "rule 5 spam",
			event:  func(ev *Event) { ev.Verdict = Spam; ev.Authenticated = true },
			action: Drop, reason: ReasonHostileContent},
		{name: "rule 5 virus, configured to bounce",
			policy: func(p *Policy) { p.HostileContent = Bounce },
			event:  func(ev *Event) { ev.Verdict = Virus },
			action: Bounce, reason: ReasonHostileContent},
		{name: "rule 6 trusted sender",
			policy: func(p *Policy) { p.Mode = ModeDiscard },
			event:  func(ev *Event) { ev.Authenticated = true; ev.SPF = spf.Fail },
			action: Bounce, reason: ReasonTrustedSender},
		{name: "rule 7 discard",
			policy: func(p *Policy) { p.Mode = ModeDiscard },
			event:  func(ev *Event) { ev.SPF = spf.Pass },
			action: Drop, reason: ReasonPolicyDiscard},
		{name: "rule 7 always",
			policy: func(p *Policy) { p.Mode = ModeAlways },
			event:  func(ev *Event) { ev.SPF = spf.Fail },
			action: Bounce, reason: ReasonPolicyAlways},
		{name: "rule 8 spf-gated (RFC 7208 §2.6.3)",
			event:  func(ev *Event) { ev.SPF = spf.Pass },
			action: Bounce, reason: ReasonSPFPass},
		{name: "Auto-Submitted: no is not automatic (RFC 3834 §5)",
			event:  func(ev *Event) { withHeader("Auto-Submitted: No\r\n")(ev); ev.SPF = spf.Pass },
			action: Bounce, reason: ReasonSPFPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := &fakeChecker{result: spf.Fail}
			p := testPolicy(checker)
			if tt.policy != nil {
				tt.policy(p)
			}
			ev := testEvent()
			tt.event(&ev)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.action, d.Action, "%s", d)
			assert.Equal(t, tt.reason, d.Reason, "%s", d)
			assert.Equal(t, d.Action == Bounce, d.DSN != nil, "a DSN exactly for a bounce")
			assert.Equal(t, d.Action == Reject, d.Reject != nil, "a reply exactly for a reject")
			assert.Nil(t, d.Notice, "no postmaster configured")
			if !strings.HasPrefix(string(d.Reason), "spf-") {
				assert.Zero(t, checker.calls.Load(), "SPF evaluated for rule %s", d.Reason)
				assert.Empty(t, d.SPF.Result)
			}
		})
	}
}

// TestDecideSPFResults maps every SPF result through the default table
// (docs/design.md, rule 8; RFC 7208 §8).
func TestDecideSPFResults(t *testing.T) {
	tests := []struct {
		result spf.Result
		action Outcome
		reason Reason
	}{
		{spf.Pass, Bounce, ReasonSPFPass},          // RFC 7208 §8.3
		{spf.Fail, Drop, ReasonSPFFail},            // RFC 7208 §8.4
		{spf.SoftFail, Drop, ReasonSPFSoftFail},    // RFC 7208 §8.5
		{spf.None, Drop, ReasonSPFNone},            // RFC 7208 §8.1
		{spf.Neutral, Drop, ReasonSPFNeutral},      // RFC 7208 §8.2
		{spf.PermError, Drop, ReasonSPFPermError},  // RFC 7208 §8.7
		{spf.TempError, Defer, ReasonSPFTempError}, // RFC 7208 §8.6
	}
	for _, tt := range tests {
		for _, source := range []Source{SourceRecorded, SourceEvaluated} {
			t.Run(string(tt.result)+"/"+string(source), func(t *testing.T) {
				checker := &fakeChecker{result: tt.result}
				p := testPolicy(checker)
				p.Postmaster = "postmaster@hosted.example"
				ev := testEvent()
				if source == SourceRecorded {
					ev.SPF = tt.result
					p.NoSPFReevaluation = true
				}
				d, err := p.Decide(context.Background(), ev)
				require.NoError(t, err)
				assert.Equal(t, tt.action, d.Action)
				assert.Equal(t, tt.reason, d.Reason)
				assert.Equal(t, tt.result, d.SPF.Result)
				assert.Equal(t, source, d.SPFSource)
				assert.Equal(t, "example.org", d.SPF.Domain)
				assert.Equal(t, []string{"bob@hosted.example"}, d.Reported)
				assert.Equal(t, tt.action == Bounce, d.DSN != nil)
				// By default, a notice for the drops that may be genuine mail.
				assert.Equal(t, tt.action == Drop && tt.result != spf.Fail, d.Notice != nil, "notice")
				assert.Equal(t, tt.action == Defer, !d.RetryAt.IsZero())
			})
		}
	}
}

func TestDecideOnSPFTable(t *testing.T) {
	p := testPolicy(nil)
	p.NoSPFReevaluation = true
	p.OnSPF = map[spf.Result]Outcome{spf.SoftFail: Bounce, spf.None: Bounce, spf.TempError: Drop}
	for result, want := range map[spf.Result]Outcome{
		spf.SoftFail: Bounce, spf.None: Bounce, spf.Neutral: Bounce, // RFC 7208 §8.2
		spf.TempError: Drop, spf.Pass: Bounce, spf.Fail: Drop,
	} {
		ev := testEvent()
		ev.SPF = result
		d, err := p.Decide(context.Background(), ev)
		require.NoError(t, err)
		assert.Equal(t, want, d.Action, "%s", result)
		assert.Equal(t, spfReason(result), d.Reason)
	}
}

// TestDecideTempError follows a temperror through the defer window
// (docs/design.md, rule 8).
func TestDecideTempError(t *testing.T) {
	tests := []struct {
		name      string
		now       time.Time
		evaluated spf.Result // "" when evaluation is not allowed
		policy    func(p *Policy)
		action    Outcome
		reason    Reason
		source    Source
		retryAt   time.Time
	}{
		{name: "recorded, evaluated again: still temperror", now: testNow, evaluated: spf.TempError,
			action: Defer, reason: ReasonSPFTempError, source: SourceEvaluated, retryAt: testNow.Add(DefaultRetryAfter)},
		{name: "recorded, evaluated again: now pass", now: testNow, evaluated: spf.Pass,
			action: Bounce, reason: ReasonSPFPass, source: SourceEvaluated},
		{name: "recorded, no evaluation: defer", now: testNow,
			action: Defer, reason: ReasonSPFTempError, source: SourceRecorded, retryAt: testNow.Add(DefaultRetryAfter)},
		{name: "retry capped at the window's end", now: receivedAt.Add(DefaultDeferFor - time.Minute), evaluated: spf.TempError,
			action: Defer, reason: ReasonSPFTempError, source: SourceEvaluated, retryAt: receivedAt.Add(DefaultDeferFor)},
		{name: "window over: fallback drop", now: receivedAt.Add(DefaultDeferFor), evaluated: spf.TempError,
			action: Drop, reason: ReasonSPFTempErrorExpired, source: SourceEvaluated},
		{name: "window over: fallback bounce", now: receivedAt.Add(5 * time.Hour), evaluated: spf.TempError,
			policy: func(p *Policy) { p.Fallback = Bounce },
			action: Bounce, reason: ReasonSPFTempErrorExpired, source: SourceEvaluated},
		{name: "custom window and retry", now: testNow, evaluated: spf.TempError,
			policy: func(p *Policy) { p.DeferFor = time.Hour; p.RetryAfter = 10 * time.Minute },
			action: Defer, reason: ReasonSPFTempError, source: SourceEvaluated, retryAt: testNow.Add(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := &fakeChecker{result: tt.evaluated}
			p := testPolicy(checker)
			p.Now = func() time.Time { return tt.now }
			p.NoSPFReevaluation = tt.evaluated == ""
			if tt.policy != nil {
				tt.policy(p)
			}
			ev := testEvent()
			ev.SPF = spf.TempError
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.action, d.Action)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.source, d.SPFSource)
			assert.Equal(t, tt.retryAt, d.RetryAt)
		})
	}
}

func TestDecideTempErrorWithoutReceivedAt(t *testing.T) {
	p := testPolicy(nil)
	p.NoSPFReevaluation = true
	ev := testEvent()
	ev.SPF = spf.TempError
	ev.ReceivedAt = time.Time{}
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, Drop, d.Action)
	assert.Equal(t, ReasonSPFTempErrorExpired, d.Reason)
}

// TestDecideSPFSource checks where the verdict comes from: the event, our
// own header fields (RFC 7208 §9.1, RFC 8601 §5), evaluation.
func TestDecideSPFSource(t *testing.T) {
	pass := spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.org", Sender: "alice@example.org"}
	tests := []struct {
		name    string
		header  string
		noEval  bool
		result  spf.Result
		source  Source
		checked bool
	}{
		{name: "our Received-SPF",
			header: "Received-SPF: " + pass.ReceivedSPF("mx.hosted.example") + "\r\n",
			result: spf.Pass, source: SourceRecorded},
		{name: "our Authentication-Results",
			header: "Authentication-Results: " + pass.AuthenticationResults("mx.hosted.example") + "\r\n",
			result: spf.Pass, source: SourceRecorded},
		{name: "someone else's Received-SPF is not trusted",
			header: "Received-SPF: " + pass.ReceivedSPF("mx.elsewhere.example") + "\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "someone else's Authentication-Results is not trusted",
			header: "Authentication-Results: " + pass.AuthenticationResults("mx.elsewhere.example") + "\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "a verdict on another sender is not about the return path",
			header: "Received-SPF: " + spf.Verdict{Result: spf.Pass, Identity: spf.MailFrom, Domain: "example.net", Sender: "eve@example.net"}.ReceivedSPF("mx.hosted.example") + "\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "an Authentication-Results on another domain is not about the return path",
			header: "Authentication-Results: mx.hosted.example; spf=pass smtp.mailfrom=example.net\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "a HELO verdict is not about the return path (RFC 7208 §2.3)",
			header: "Received-SPF: " + spf.Verdict{Result: spf.Pass, Identity: spf.HELO, Domain: "mail.example.org", Sender: "postmaster@mail.example.org", HELO: "mail.example.org"}.ReceivedSPF("mx.hosted.example") + "\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "nothing recorded, evaluation forbidden", noEval: true,
			result: spf.None, source: ""},
		{name: "a Received-SPF naming no sender is about no return path",
			header: "Received-SPF: pass receiver=mx.hosted.example\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "an Authentication-Results naming no identity is about no return path",
			header: "Authentication-Results: mx.hosted.example; spf=pass\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "our fields stacked: the topmost decides, whatever its name (RFC 5321 §4.4)",
			header: "Authentication-Results: mx.hosted.example; spf=softfail smtp.mailfrom=alice@example.org\r\n" +
				"Received: from mail.example.org by mx.hosted.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.SoftFail, source: SourceRecorded},
		{name: "a forged field below our own on another identity is not trusted (RFC 8601 §5)",
			header: "Received-SPF: pass receiver=mx.hosted.example; helo=mail.example.org; identity=helo; client-ip=192.0.2.10\r\n" +
				"Received: from mail.example.org by mx.hosted.example\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org; identity=mailfrom\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "a field below a Received by another host is not trusted",
			header: "Received: from relay.example.net by mx.hosted.example\r\n" +
				"Received: from mail.example.org by relay.example.net\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "others' fields above ours are skipped",
			header: "Received-SPF: fail receiver=filter.example; envelope-from=alice@example.org\r\n" +
				"Authentication-Results: filter.example; spf=fail smtp.mailfrom=example.org\r\n" +
				"Received-SPF: pass receiver=MX.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.Pass, source: SourceRecorded},
		{name: "Authentication-Results with several spf results: the smtp.mailfrom one (RFC 8601 §2.7.2)",
			header: "Authentication-Results: mx.hosted.example; spf=pass smtp.helo=mail.example.org; spf=fail smtp.mailfrom=alice@example.org\r\n",
			result: spf.Fail, source: SourceRecorded},
		{name: "our Authentication-Results without spf: our next field decides",
			header: "Authentication-Results: mx.hosted.example; dkim=pass header.d=example.org\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.Pass, source: SourceRecorded},
		{name: "another host's field mentioning us ends the walk",
			header: "Authentication-Results: filter.example; spf=fail smtp.mailfrom=postmaster@mx.hosted.example\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "our field with no Received of ours below it is not trusted",
			header: "Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n" +
				"Received: from mail.example.org by relay.example.net\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
		{name: "an over-long trace field ends the walk",
			header: "Received: from " + strings.Repeat("x", maxFieldLen) + " by mx.hosted.example\r\n" +
				"Received-SPF: pass receiver=mx.hosted.example; envelope-from=alice@example.org\r\n",
			result: spf.Fail, source: SourceEvaluated, checked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := &fakeChecker{result: spf.Fail}
			p := testPolicy(checker)
			p.NoSPFReevaluation = tt.noEval
			p.TrustRecordedHeaders = true
			ev := testEvent()
			// Our MTA's own Received field tops what the message came with.
			withHeader(tt.header + ourReceived)(&ev)
			d, err := p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.Equal(t, tt.result, d.SPF.Result)
			assert.Equal(t, tt.source, d.SPFSource)
			assert.Equal(t, tt.checked, checker.calls.Load() > 0)

			// Off by default: no header field ever decides.
			p = testPolicy(checker)
			p.NoSPFReevaluation = tt.noEval
			d, err = p.Decide(context.Background(), ev)
			require.NoError(t, err)
			assert.NotEqual(t, SourceRecorded, d.SPFSource)
		})
	}
}

// TestDecideNotify checks the per-recipient NOTIFY filter (RFC 3461 §4.1):
// one DSN for every reportable recipient, the others listed with a reason.
func TestDecideNotify(t *testing.T) {
	p := testPolicy(nil)
	ev := testEvent()
	ev.SPF = spf.Pass
	base := ev.Recipients[0]
	rcpt := func(addr string, notify dsn.Notify, action dsn.Action, status string) Delivery {
		rc := base
		rc.Address, rc.Notify, rc.Action = addr, notify, action
		rc.Status, _ = dsn.ParseStatus(status)
		return rc
	}
	ev.Recipients = []Delivery{
		rcpt("absent@hosted.example", 0, dsn.ActionFailed, "5.1.1"),
		rcpt("never@hosted.example", dsn.NotifyNever, dsn.ActionFailed, "5.1.1"),
		rcpt("delayonly@hosted.example", dsn.NotifyDelay, dsn.ActionFailed, "5.1.1"),
		rcpt("failure@hosted.example", dsn.NotifyFailure, dsn.ActionFailed, "5.2.2"),
		rcpt("delayed@hosted.example", dsn.NotifyFailure|dsn.NotifyDelay, dsn.ActionDelayed, "4.4.1"),
		rcpt("nodelay@hosted.example", dsn.NotifyFailure, dsn.ActionDelayed, "4.4.1"),
		rcpt("delayabsent@hosted.example", 0, dsn.ActionDelayed, "4.4.1"),
		rcpt("delivered@hosted.example", 0, dsn.ActionDelivered, "2.0.0"),
		rcpt("success@hosted.example", dsn.NotifySuccess, dsn.ActionRelayed, "2.0.0"),
	}
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, Bounce, d.Action)
	assert.Equal(t, []string{"absent@hosted.example", "failure@hosted.example", "delayed@hosted.example",
		"delayabsent@hosted.example", "success@hosted.example"}, d.Reported)
	assert.Equal(t, []Suppressed{
		{"never@hosted.example", SuppressNever},
		{"delayonly@hosted.example", SuppressNoFailure},
		{"nodelay@hosted.example", SuppressNoDelay},
		{"delivered@hosted.example", SuppressNoSuccess},
	}, d.Suppressed)
}

// TestDecideReject checks the in-session reply (rule 1, RFC 5321 §4.2,
// RFC 3463 §2).
func TestDecideReject(t *testing.T) {
	tests := []struct {
		name   string
		reply  string
		status string
		action dsn.Action
		want   string
	}{
		{"reply as given", "550 5.1.1 <bob@hosted.example>: no such user", "", dsn.ActionFailed, "550 5.1.1 <bob@hosted.example>: no such user"},
		{"multi-line reply joined", "550-5.1.1 no such user\r\n550 5.1.1 try again never", "", dsn.ActionFailed, "550 5.1.1 no such user try again never"},
		{"status without reply", "", "5.2.2", dsn.ActionFailed, "550 5.2.2 delivery to <bob@hosted.example> failed"},
		{"reply code disagrees with status class", "250 ok", "5.7.1", dsn.ActionFailed, "550 5.7.1 ok"},
		{"delayed", "451 4.3.0 try later", "", dsn.ActionDelayed, "451 4.3.0 try later"},
		{"controls cleaned", "550 bad\x00 user\x1b", "", dsn.ActionFailed, "550 5.0.0 bad user"},
		{"malformed reply", "no code here", "", dsn.ActionFailed, "550 5.0.0 no code here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			ev.InSession = true
			ev.Recipients[0].Reply, ev.Recipients[0].Action = tt.reply, tt.action
			ev.Recipients[0].Status, _ = dsn.ParseStatus(tt.status)
			d, err := testPolicy(nil).Decide(context.Background(), ev)
			require.NoError(t, err)
			require.NotNil(t, d.Reject)
			assert.Equal(t, tt.want, d.Reject.String())
			assert.Nil(t, d.Reported)
		})
	}
}

func TestDecidePostmasterNotice(t *testing.T) {
	mods := map[Reason]func(ev *Event){
		ReasonNullSender:          func(ev *Event) { ev.ReturnPath = "" },
		ReasonNotify:              func(ev *Event) { ev.Recipients[0].Notify = dsn.NotifyNever },
		ReasonLoop:                withHeader("Auto-Submitted: auto-replied\r\n"),
		ReasonSPFFail:             func(ev *Event) { ev.SPF = spf.Fail },
		ReasonSPFNone:             func(ev *Event) { ev.SPF = spf.None },
		ReasonSPFNeutral:          func(ev *Event) { ev.SPF = spf.Neutral },
		ReasonSPFSoftFail:         func(ev *Event) { ev.SPF = spf.SoftFail },
		ReasonSPFPermError:        func(ev *Event) { ev.SPF = spf.PermError },
		ReasonSPFTempErrorExpired: func(ev *Event) { ev.SPF, ev.ReceivedAt = spf.TempError, time.Time{} },
		ReasonHostileContent:      func(ev *Event) { ev.Verdict = Spam },
	}
	tests := []struct {
		name     string
		noticeOn []Reason
		want     []Reason
	}{
		// RFC 5321 §6.2: a near-certain drop is no news to the postmaster.
		{"default", nil, []Reason{ReasonSPFNone, ReasonSPFNeutral, ReasonSPFSoftFail, ReasonSPFPermError, ReasonSPFTempErrorExpired, ReasonHostileContent}},
		{"none", []Reason{}, nil},
		{"chosen", []Reason{ReasonNullSender, ReasonNotify, ReasonSPFFail}, []Reason{ReasonNullSender, ReasonNotify, ReasonSPFFail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy(&fakeChecker{result: spf.TempError})
			p.Postmaster = "postmaster@hosted.example"
			p.NoticeOn = tt.noticeOn
			for reason, mod := range mods {
				ev := testEvent()
				mod(&ev)
				d, err := p.Decide(context.Background(), ev)
				require.NoError(t, err)
				require.Equal(t, Drop, d.Action)
				require.Equal(t, reason, d.Reason)
				assert.Nil(t, d.DSN)
				if !slices.Contains(tt.want, reason) {
					assert.Nil(t, d.Notice, "%s", d)
					continue
				}
				require.NotNil(t, d.Notice, "%s", d)
				assert.Equal(t, "", d.Notice.MailFrom)
				assert.Equal(t, "postmaster@hosted.example", d.Notice.RcptTo)
				assert.Contains(t, string(d.Notice.Data), string(d.Reason))
			}
		})
	}
}

// TestDecideInvalid checks that bad input gives an error naming the field.
func TestDecideInvalid(t *testing.T) {
	tests := []struct {
		name  string
		event func(ev *Event)
		field string
	}{
		{"control in return path", func(ev *Event) { ev.ReturnPath = "alice@example.org\r\nBcc: x@y" }, "return_path"},
		{"return path without domain", func(ev *Event) { ev.ReturnPath = "alice" }, "return_path"},
		{"non-ASCII without SMTPUTF8", func(ev *Event) { ev.ReturnPath = "jörg@example.org" }, "return_path"},
		{"HELO with space", func(ev *Event) { ev.HELO = "mail example" }, "helo"},
		{"unknown SPF result", func(ev *Event) { ev.SPF = "maybe" }, "spf"},
		{"unknown verdict", func(ev *Event) { ev.Verdict = "ham" }, "verdict"},
		{"ENVID with a line break", func(ev *Event) { ev.EnvID = "a\nb" }, "envid"},
		{"ENVID with a leading space", func(ev *Event) { ev.EnvID = " a" }, "envid"},
		{"bad RET", func(ev *Event) { ev.Ret = "ALL" }, "ret"},
		{"no recipients", func(ev *Event) { ev.Recipients = nil }, "recipients"},
		{"recipient without domain", func(ev *Event) { ev.Recipients[0].Address = "bob@" }, "recipients[0].address"},
		{"NEVER with others", func(ev *Event) { ev.Recipients[0].Notify = dsn.NotifyNever | dsn.NotifyFailure }, "recipients[0].notify"},
		{"unknown action", func(ev *Event) { ev.Recipients[0].Action = "lost" }, "recipients[0].action"},
		{"status against action", func(ev *Event) { ev.Recipients[0].Action = dsn.ActionDelivered }, "recipients[0].status"},
		{"remote MTA with newline", func(ev *Event) { ev.Recipients[0].RemoteMTA = "mx\nX: y" }, "recipients[0].remote_mta"},
		{"in session with nothing failed", func(ev *Event) {
			ev.InSession = true
			ev.Recipients[0].Action, ev.Recipients[0].Status = dsn.ActionDelivered, dsn.Status{Class: 2}
		}, "in_session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent()
			tt.event(&ev)
			_, err := testPolicy(nil).Decide(context.Background(), ev)
			require.ErrorIs(t, err, ErrInvalidEvent)
			assert.Contains(t, err.Error(), ": "+tt.field+": ")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy *Policy
		field  string
	}{
		{"unknown mode", &Policy{Mode: "sometimes"}, "mode"},
		{"unknown result", &Policy{OnSPF: map[spf.Result]Outcome{"PASS": Bounce}}, "on_spf"},
		{"defer for fail", &Policy{OnSPF: map[spf.Result]Outcome{spf.Fail: Defer}}, "on_spf.fail"},
		{"neutral unlike none (RFC 7208 §8.2)", &Policy{OnSPF: map[spf.Result]Outcome{spf.Neutral: Bounce}}, "on_spf.neutral"},
		{"fallback defer", &Policy{Fallback: Defer}, "fallback"},
		{"hostile reject", &Policy{HostileContent: Reject}, "hostile_content"},
		{"postmaster without domain", &Policy{Postmaster: "postmaster"}, "postmaster"},
		{"reporting MTA with newline", &Policy{ReportingMTA: "mx\n"}, "reporting_mta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			require.ErrorIs(t, err, ErrInvalidPolicy)
			assert.Contains(t, err.Error(), ": "+tt.field+": ")
			_, err = tt.policy.Decide(context.Background(), testEvent())
			require.ErrorIs(t, err, ErrInvalidPolicy)
		})
	}
	neutralAsNone := Policy{OnSPF: map[spf.Result]Outcome{spf.None: Bounce, spf.Neutral: Bounce}}
	assert.NoError(t, neutralAsNone.Validate())
	var zero Policy
	assert.NoError(t, zero.Validate())
}

func TestDecideOriginalErrors(t *testing.T) {
	ev := testEvent()
	ev.SPF = spf.Pass
	boom := errors.New("disk on fire")
	ev.Original = func() (io.ReadCloser, error) { return nil, boom }
	_, err := testPolicy(nil).Decide(context.Background(), ev)
	assert.ErrorIs(t, err, boom)

	// No original at all: still a decision, nothing returned.
	ev.Original = nil
	d, err := testPolicy(nil).Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, Bounce, d.Action)
}

func TestDecisionStringAndLog(t *testing.T) {
	ev := testEvent()
	ev.SPF = spf.SoftFail
	p := testPolicy(nil)
	p.Postmaster = "postmaster@hosted.example"
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, "drop (spf-softfail): SPF softfail for example.org (recorded at receipt): the return path is not shown genuine; notice to <postmaster@hosted.example>", d.String())

	// Policy.Logger records every decision, notice or not, and failures.
	var buf strings.Builder
	p.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	_, err = p.Decide(context.Background(), ev)
	require.NoError(t, err)
	ev.SPF = spf.Fail
	_, err = p.Decide(context.Background(), ev)
	require.NoError(t, err)
	ev.Recipients = nil
	_, err = p.Decide(context.Background(), ev)
	require.Error(t, err)
	assert.Equal(t, `level=INFO msg="bounce decision" return_path=alice@example.org decision.action=drop decision.reason=spf-softfail decision.spf.result=softfail decision.spf.source=recorded decision.spf.domain=example.org decision.reported=[bob@hosted.example] decision.notice_to=postmaster@hosted.example`+"\n"+
		`level=INFO msg="bounce decision" return_path=alice@example.org decision.action=drop decision.reason=spf-fail decision.spf.result=fail decision.spf.source=recorded decision.spf.domain=example.org decision.reported=[bob@hosted.example]`+"\n"+
		`level=WARN msg="bounce decision failed" return_path=alice@example.org error="policy: invalid event: recipients: no recipients"`+"\n", buf.String())
}

// TestDecideSMTPUTF8 bounces a message received with SMTPUTF8 to a
// non-ASCII return path: the DSN uses the RFC 6533 types.
func TestDecideSMTPUTF8(t *testing.T) {
	ev := testEvent()
	ev.SMTPUTF8 = true
	ev.SPF = spf.Pass
	ev.ReturnPath = "jörg@bücher.example"
	ev.Recipients[0].Address = "müller@hosted.example"
	d, err := testPolicy(nil).Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.DSN)
	assert.Equal(t, "jörg@bücher.example", d.DSN.RcptTo)
	assert.Contains(t, string(d.DSN.Data), "message/global-delivery-status")
	r, err := dsn.Parse(bytes.NewReader(d.DSN.Data))
	require.NoError(t, err)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, dsn.Address{Type: "utf-8", Addr: "müller@hosted.example"}, r.Recipients[0].FinalRecipient)
}

func TestDecideCanceled(t *testing.T) {
	resolver, err := spftest.NewZone(strings.NewReader(`example.org. TXT "v=spf1 -all"`), ".")
	require.NoError(t, err)
	resolver.Inject("example.org", spftest.Timeout)
	p := testPolicy(&spf.Checker{Resolver: resolver})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Decide(ctx, testEvent())
	assert.ErrorIs(t, err, context.Canceled)

	// Even where no DNS is needed: a cancelled call decides nothing.
	ev := testEvent()
	ev.SPF = spf.Pass
	_, err = p.Decide(ctx, ev)
	assert.ErrorIs(t, err, context.Canceled)
}

// pastDeadline is a context whose deadline has passed but whose timer has
// not yet marked it done: how a DNS exchange sees it in the instant after
// its socket deadline fired.
type pastDeadline struct{ context.Context }

func (pastDeadline) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// TestDecideDeadlineMidDecision: a deadline that ends during the decision
// gives an error, never a decision, whatever the timer race (a temperror
// caused by the deadline would otherwise become a defer or, past the
// window, a final spf-temperror-expired drop).
func TestDecideDeadlineMidDecision(t *testing.T) {
	p := testPolicy(&fakeChecker{result: spf.TempError})
	ev := testEvent()
	ev.ReceivedAt = time.Time{} // a temperror would be final
	_, err := p.Decide(pastDeadline{context.Background()}, ev)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// The real race, against a resolver that never answers.
	resolver, err := spftest.NewZone(strings.NewReader(`example.org. TXT "v=spf1 -all"`), ".")
	require.NoError(t, err)
	resolver.Inject("example.org", spftest.Timeout)
	p = testPolicy(&spf.Checker{Resolver: resolver})
	for i := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*100*time.Microsecond)
		d, err := p.Decide(ctx, ev)
		cancel()
		require.Error(t, err, "try %d decided %s", i, d)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
}

// TestDecideServFail: a DNS failure while evaluating is a temperror
// (RFC 7208 §2.6.6), which defers the decision.
func TestDecideServFail(t *testing.T) {
	resolver, err := spftest.NewZone(strings.NewReader(`example.org. TXT "v=spf1 -all"`), ".")
	require.NoError(t, err)
	resolver.Inject("example.org", spftest.ServFail)
	d, err := testPolicy(&spf.Checker{Resolver: resolver}).Decide(context.Background(), testEvent())
	require.NoError(t, err)
	assert.Equal(t, Defer, d.Action)
	assert.Equal(t, ReasonSPFTempError, d.Reason)
	assert.Equal(t, SourceEvaluated, d.SPFSource)
	assert.Equal(t, testNow.Add(DefaultRetryAfter), d.RetryAt)
}

// TestDecideReadsOriginalOnce: Decide opens the original once, and a DSN
// with RET=FULL (RFC 3461 §4.3) returns all of it, the header the rules
// read and the body that follows, byte for byte.
func TestDecideReadsOriginalOnce(t *testing.T) {
	var body strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&body, "line %04d of the body\r\n", i)
	}
	msg := originalMessage + body.String()
	opens := 0
	ev := testEvent()
	ev.SPF, ev.Ret = spf.Pass, dsn.RetFull
	ev.Original = func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(msg)), nil
	}
	p := testPolicy(nil)
	p.ReturnSizeLimit = -1 // no limit
	d, err := p.Decide(context.Background(), ev)
	require.NoError(t, err)
	require.NotNil(t, d.DSN)
	assert.Equal(t, 1, opens)
	assert.Equal(t, dsn.ReturnFull, d.DSN.Returned)
	assert.Contains(t, string(d.DSN.Data), "\r\n\r\n"+msg)
}
