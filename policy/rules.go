package policy

import (
	"context"
	"fmt"

	"github.com/bouncepolicy/bouncepolicy/spf"
)

// This file holds the rules of the decision, in order, with their reason
// codes and the words that explain them: a new rule touches this file
// and its test only.

// Reason is the stable code naming the rule behind a Decision. The codes
// are part of the API: logs, metrics and the bouncecheck command use them.
type Reason string

// The reason codes, one per rule (see the package documentation).
const (
	ReasonInSession      Reason = "in-session"      // rule 1
	ReasonNullSender     Reason = "null-sender"     // rule 2
	ReasonNotify         Reason = "notify"          // rule 3
	ReasonLoop           Reason = "loop"            // rule 4
	ReasonHostileContent Reason = "hostile-content" // rule 5
	ReasonTrustedSender  Reason = "trusted-sender"  // rule 6
	ReasonPolicyDiscard  Reason = "policy-discard"  // rule 7, mode discard
	ReasonPolicyAlways   Reason = "policy-always"   // rule 7, mode always

	// Rule 8: "spf-" and the SPF result the table mapped.
	ReasonSPFPass      Reason = "spf-pass"
	ReasonSPFFail      Reason = "spf-fail"
	ReasonSPFSoftFail  Reason = "spf-softfail"
	ReasonSPFNone      Reason = "spf-none"
	ReasonSPFNeutral   Reason = "spf-neutral"
	ReasonSPFPermError Reason = "spf-permerror"
	ReasonSPFTempError Reason = "spf-temperror"

	// ReasonSPFTempErrorExpired: SPF stayed temperror past the defer
	// window, and the fallback applied.
	ReasonSPFTempErrorExpired Reason = "spf-temperror-expired"

	// ReasonRateLimit: a bounce past Policy.BounceLimit, or a decision
	// the Store behind the limits could not count, deferred.
	ReasonRateLimit Reason = "rate-limit"

	// ReasonDKIMPass: SPF did not show the return path genuine, but an
	// aligned DKIM signature did (Policy.Authenticate).
	ReasonDKIMPass Reason = "dkim-pass"
)

// dropReasons are the reasons a drop can have, every SPF result included:
// Policy.OnSPF may map any to a drop.
var dropReasons = [...]Reason{
	ReasonNullSender, ReasonNotify, ReasonLoop, ReasonHostileContent, ReasonPolicyDiscard,
	ReasonSPFPass, ReasonSPFFail, ReasonSPFSoftFail, ReasonSPFNone, ReasonSPFNeutral,
	ReasonSPFPermError, ReasonSPFTempError, ReasonSPFTempErrorExpired,
}

// spfReason is the rule 8 reason for result r.
func spfReason(r spf.Result) Reason { return Reason("spf-" + string(r)) }

// decide applies the rules in order, the first match winning: it sets d's
// Action, Reason, and what the rule found (SPF, RetryAt, Reject, the
// recipients reported and suppressed), and returns the recipients to
// report.
func (p *Policy) decide(ctx context.Context, ev *Event, orig *original, d *Decision) (reported []Delivery, err error) {
	// Rule 1: the client's MTA reports a failure given in-session.
	if ev.InSession {
		d.Action, d.Reason, d.Reject = Reject, ReasonInSession, rejectReply(ev.Recipients, ev.SMTPUTF8)
		return nil, nil
	}
	reported, d.Suppressed = filterNotify(ev.Recipients)
	d.Reported = addresses(reported)
	return reported, p.decideReported(ctx, ev, orig, reported, d)
}

// decideReported applies rules 2 to 8.
func (p *Policy) decideReported(ctx context.Context, ev *Event, orig *original, reported []Delivery, d *Decision) error {
	// Rule 2: never a DSN to the null return path (RFC 5321 §4.5.5).
	if ev.ReturnPath == "" {
		d.Action, d.Reason = Drop, ReasonNullSender
		return nil
	}
	// Rule 3: NOTIFY asked for no report at all (RFC 3461 §4.1).
	if len(reported) == 0 {
		d.Action, d.Reason = Drop, ReasonNotify
		return nil
	}
	// Rule 4: no automatic answer to an automatic message (RFC 3834 §2).
	h, err := orig.Header()
	if err != nil {
		return err
	}
	if h.automatic {
		d.Action, d.Reason = Drop, ReasonLoop
		return nil
	}
	// Rule 5: spam and viruses mostly come with forged return paths.
	if ev.Verdict != "" {
		d.Action, d.Reason = orDefault(p.HostileContent, Drop), ReasonHostileContent
		return nil
	}
	// Rule 6: our own users' return paths are genuine.
	if ev.Authenticated {
		d.Action, d.Reason = Bounce, ReasonTrustedSender
		return nil
	}
	// Rule 7: the modes that ignore SPF.
	switch p.Mode {
	case ModeDiscard:
		d.Action, d.Reason = Drop, ReasonPolicyDiscard
		return nil
	case ModeAlways:
		d.Action, d.Reason = Bounce, ReasonPolicyAlways
		return nil
	}
	// Rule 8: SPF on the return path.
	d.SPF, d.SPFSource = p.spfVerdict(ctx, ev, h)
	if err := ctxErr(ctx); err != nil {
		// The caller gave up: the temperror this causes is no verdict.
		return fmt.Errorf("policy: evaluating SPF: %w", err)
	}
	d.Action, d.Reason = p.onSPF(d.SPF.Result), spfReason(d.SPF.Result)
	if d.Action != Bounce && p.authenticates(AuthDKIM) {
		pass, err := p.dkimPass(ctx, ev)
		if err != nil {
			return err
		}
		if pass {
			d.Action, d.Reason = Bounce, ReasonDKIMPass
			return nil
		}
	}
	if d.Action == Defer {
		p.deferOrFallback(ev, d)
	}
	return nil
}

// deferOrFallback defers a temperror until the window from receipt ends,
// then applies the fallback.
func (p *Policy) deferOrFallback(ev *Event, d *Decision) {
	now := p.now()
	deadline := ev.ReceivedAt.Add(orDefault(p.DeferFor, DefaultDeferFor))
	if ev.ReceivedAt.IsZero() || !now.Before(deadline) {
		d.Action, d.Reason = orDefault(p.Fallback, Drop), ReasonSPFTempErrorExpired
		return
	}
	retry := now.Add(orDefault(p.RetryAfter, DefaultRetryAfter))
	if retry.After(deadline) {
		retry = deadline
	}
	d.RetryAt = retry
}

// why says in words why the rule named by Reason matched.
func (d Decision) why() string {
	switch d.Reason {
	case ReasonInSession:
		return "the SMTP session is still open, so the client's MTA reports the failure"
	case ReasonNullSender:
		return "the return path is null, and a DSN is never sent to <>"
	case ReasonNotify:
		return "NOTIFY asks for no report on any recipient"
	case ReasonLoop:
		return "the original is itself a bounce or an auto-reply"
	case ReasonHostileContent:
		return "the content was judged spam or a virus"
	case ReasonTrustedSender:
		return "the sender authenticated or submitted locally"
	case ReasonPolicyDiscard:
		return "the policy never bounces"
	case ReasonPolicyAlways:
		return "the policy always bounces"
	case ReasonRateLimit:
		return "the rate limit of bounces to the return path's domain is reached, or its count could not be kept"
	}
	return spfWhy(d.SPF, d.SPFSource, d.Reason == ReasonSPFTempErrorExpired, d.Action == Bounce, d.Action == Defer)
}

// spfWhy explains an SPF-decided bounce or reply: the verdict, where it
// came from, and what it showed.
func spfWhy(v spf.Verdict, src Source, expired, genuine, deferred bool) string {
	s := spfVerdict(v, src)
	switch {
	case expired:
		return s + ", still unresolved past the defer window"
	case genuine:
		return s + ": the return path is shown genuine"
	case deferred:
		return s + ": waiting for DNS"
	}
	return s + ": the return path is not shown genuine"
}

// spfVerdict names an SPF verdict and where it came from.
func spfVerdict(v spf.Verdict, src Source) string {
	s := "SPF " + string(v.Result)
	if v.Domain != "" {
		s += " for " + v.Domain
	}
	switch src {
	case SourceRecorded:
		s += " (recorded at receipt)"
	case SourceEvaluated:
		s += " (evaluated now)"
	default:
		s += " (no result recorded, none evaluated)"
	}
	return s
}
